/** The storage queues in memory: every message sent, with its delay, in order. */
import type { QueueHop } from '../../../../core/hops.js';
import type { Enqueue } from '../../../../jobs/delivery/deliveryPorts.js';

export interface Sent {
  queue: string;
  body: unknown;
  delayMs: number;
}

export class FakeQueue {
  readonly sent: Sent[] = [];

  enqueue: Enqueue = async (hop, body, delayMs = 0) => {
    this.sent.push({ queue: hop.name, body: structuredClone(body), delayMs });
  };

  /** The messages on the hop's queue, oldest first. */
  on<T>(hop: QueueHop<T>): (Sent & { body: T })[] {
    return this.sent.filter((s): s is Sent & { body: T } => s.queue === hop.name);
  }

  /** Takes the hop's messages off the queue (what a trigger would receive next). */
  take<T>(hop: QueueHop<T>): T[] {
    const taken = this.on(hop);
    for (const s of taken) this.sent.splice(this.sent.indexOf(s), 1);
    return taken.map((s) => s.body);
  }
}
