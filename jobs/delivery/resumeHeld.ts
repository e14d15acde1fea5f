/**
 * Resumes the batches of a worker that died. A queue message a dead host had taken stays invisible until
 * the queue's own lease on it runs out (minutes); the batch's lease lapses within seconds, because a live
 * worker renews it. So a sweep every few seconds looks at the batches listed as held: one whose lease has
 * lapsed is queued again at once — its rows say where to go on, and a copy too many finds the batch taken
 * or finished and stands back.
 */
import { DELIVER } from '../../core/hops.js';
import type * as deliveryControlStore from '../../adapters/stores/deliveryControlStore.js';
import type { Clock, DeliveryRecords, Enqueue } from './deliveryPorts.js';

/** Queued again and not picked up within this long (no live host yet): queued again. */
const REQUEUE_AFTER_MS = 30_000;

export interface HeldResumePorts {
  held: Pick<typeof deliveryControlStore, 'listHeld' | 'noteResumed' | 'clearHeld'>;
  deliveries: Pick<DeliveryRecords, 'batchSummary'>;
  enqueue: Enqueue;
  clock: Pick<Clock, 'realNow'>;
}

export function createHeldResume({ held, deliveries, enqueue, clock }: HeldResumePorts) {
  return {
    /** Queues again every listed batch whose worker is gone; returns how many. */
    async resumeHeld(log: (line: string) => void): Promise<number> {
      let resumed = 0;
      for (const b of await held.listHeld()) {
        const { channel, resumedAt, ...ref } = b;
        const summary = await deliveries.batchSummary(ref);
        if (!summary) {
          await held.clearHeld(ref);
          continue;
        }
        const now = clock.realNow();
        if (summary.leaseUntil > now || (resumedAt !== undefined && now - resumedAt < REQUEUE_AFTER_MS)) continue;
        await enqueue(DELIVER[channel], ref);
        await held.noteResumed(ref, now);
        resumed++;
        log(`message ${ref.messageId} occurrence ${ref.occurrence} batch ${ref.batch}: its worker stopped; queued again`);
      }
      return resumed;
    },
  };
}
