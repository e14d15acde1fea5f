import { PollBackoff } from '../pollBackoff.js';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { Logger } from '../log.js';

const MIN_POLL_MS = 50;

export interface PumpOptions {
  batchSize: number;
  /** Messages handled at once by this pump. */
  concurrency: number;
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
}

export interface HeldMessage {
  item: DequeuedMessageItem;
  popReceipt: string;
  /** Deletes the message: it is done with. */
  complete(): Promise<void>;
  /** Makes the message visible again after `delayMs` (0: at once). */
  release(delayMs: number): Promise<void>;
  /** Makes the message visible to every reader at once, not handed over here again: its work moved elsewhere. */
  abandon(): Promise<void>;
}

/**
 * Feeds one Storage queue's messages to `handle`, holding each (lease renewed at half the visibility
 * timeout) until the handler completes or releases it.
 *
 * Messages this process writes take a short cut (`sendLocal`): they are written already leased (invisible
 * for the visibility timeout) and handed over in memory with the pop receipt the write returned, so no poll
 * stands between a step and the next. The queue stays the record: if we die, the lease runs out and the
 * poller — which otherwise only finds messages from a crashed run, or from other writers — picks them up.
 */
export class QueuePump {
  #running = false;
  #held = new Set<HeldMessage>();
  /** Held messages whose handler has not started: more than `concurrency` arrived locally. */
  #backlog: HeldMessage[] = [];
  #active = 0;
  #waitingForRoom = false;
  #backoff: PollBackoff;
  #loop: Promise<void> | undefined;
  #renewal: NodeJS.Timeout | undefined;
  #lastPollEmpty = false;

  constructor(
    readonly queue: QueueClient,
    private readonly options: PumpOptions,
    private readonly handle: (message: HeldMessage) => Promise<void>,
    private readonly logger: Logger,
  ) {
    this.#backoff = new PollBackoff(MIN_POLL_MS, options.maxPollingIntervalMs);
  }

  get quiet(): boolean {
    return this.#lastPollEmpty && this.#held.size === 0 && this.#retrying === 0;
  }

  get held(): number {
    return this.#held.size;
  }

  start(): void {
    this.#running = true;
    this.#renewal = setInterval(() => void this.#renew(), Math.max(500, this.options.visibilityTimeoutMs / 2));
    this.#renewal.unref();
    this.#loop = this.#run();
  }

  poke(): void {
    this.#lastPollEmpty = false;
    this.#backoff.poke();
  }

  /** Stops polling; what is held stays held (and renewed) until its handler settles it. */
  async stopPolling(): Promise<void> {
    this.#running = false;
    this.#backoff.wake();
    await this.#loop;
  }

  async stop(): Promise<void> {
    await this.stopPolling();
    clearInterval(this.#renewal);
  }

  /** Stops, and makes every message still held visible at once, for the instance that takes this queue over. */
  async abandon(): Promise<void> {
    await this.stop();
    this.#backlog = [];
    await Promise.all([...this.#held].map((m) => m.abandon()));
  }

  async #visibleNow(messageId: string, popReceipt: string): Promise<void> {
    await this.queue.updateMessage(messageId, popReceipt, undefined, 0).catch(() => undefined);
  }

  async #renew(): Promise<void> {
    const seconds = Math.ceil(this.options.visibilityTimeoutMs / 1000);
    await Promise.all(
      [...this.#held].map(async (m) => {
        try {
          const r = await this.queue.updateMessage(m.item.messageId, m.popReceipt, undefined, seconds);
          if (r.popReceipt) m.popReceipt = r.popReceipt;
        } catch {
          // The message was settled meanwhile; nothing to renew.
        }
      }),
    );
  }

  async #run(): Promise<void> {
    const { batchSize, concurrency, maxPollingIntervalMs, visibilityTimeoutMs } = this.options;
    while (this.#running) {
      const room = concurrency - this.#active - this.#backlog.length;
      // Local arrivals fill the room first; the poller only takes what is left.
      if (room <= 0) {
        this.#waitingForRoom = true;
        await this.#backoff.sleep(maxPollingIntervalMs);
        this.#waitingForRoom = false;
        continue;
      }
      let items: DequeuedMessageItem[] = [];
      this.#backoff.polling();
      try {
        const reply = await this.queue.receiveMessages({
          numberOfMessages: Math.min(batchSize, room),
          visibilityTimeout: Math.ceil(visibilityTimeoutMs / 1000),
        });
        items = reply.receivedMessageItems;
      } catch (error) {
        if (!this.#running) break;
        this.logger.warn(`polling ${this.queue.name} failed: ${(error as Error).message}`);
      }
      if (items.length === 0) {
        if (!this.#backoff.pokedSincePoll) this.#lastPollEmpty = this.#held.size === 0;
        await this.#backoff.empty();
        continue;
      }
      this.#lastPollEmpty = false;
      this.#backoff.found();
      for (const item of items) this.#accept(item);
    }
  }

  /** Writes a message leased to this process and hands it to the handler without a poll. */
  async sendLocal(text: string): Promise<void> {
    const seconds = Math.ceil(this.options.visibilityTimeoutMs / 1000);
    const sent = await this.queue.sendMessage(text, { visibilityTimeout: seconds });
    this.#accept({
      messageId: sent.messageId,
      popReceipt: sent.popReceipt,
      messageText: text,
      dequeueCount: 1,
      insertedOn: sent.insertedOn,
      expiresOn: sent.expiresOn,
      nextVisibleOn: sent.nextVisibleOn,
    });
  }

  #accept(item: DequeuedMessageItem): void {
    const settle = () => this.#held.delete(held);
    const held: HeldMessage = {
      item,
      popReceipt: item.popReceipt,
      complete: async () => {
        if (!settle()) return;
        await this.queue
          .deleteMessage(item.messageId, held.popReceipt)
          .catch((e: Error) => this.logger.warn(`deleting a message from ${this.queue.name}: ${e.message}`));
      },
      // Kept leased and handed over again after the delay, so a retry needs no poll either.
      release: async (delayMs) => {
        if (!settle()) return;
        try {
          const seconds = Math.ceil((delayMs + this.options.visibilityTimeoutMs) / 1000);
          const r = await this.queue.updateMessage(item.messageId, held.popReceipt, undefined, seconds);
          const again = { ...item, popReceipt: r.popReceipt ?? held.popReceipt, dequeueCount: item.dequeueCount + 1 };
          this.#retrying++;
          setTimeout(() => {
            this.#retrying--;
            if (this.#running) this.#accept(again);
            else void this.#visibleNow(again.messageId, again.popReceipt);
          }, delayMs).unref();
        } catch {
          // The lease was lost; the poller will see the message when it is visible again.
        }
      },
      abandon: async () => {
        if (settle()) await this.#visibleNow(item.messageId, held.popReceipt);
      },
    };
    this.#held.add(held);
    this.#backlog.push(held);
    this.#next();
  }

  #retrying = 0;

  /** Starts handlers for backlog messages while there is room. */
  #next(): void {
    while (this.#backlog.length > 0 && this.#active < this.options.concurrency) {
      const held = this.#backlog.shift()!;
      this.#active++;
      // A handler's slot frees when it returns; the message may stay held longer (until its work is committed).
      this.handle(held)
        .catch(async (error: Error) => {
          this.logger.error(`${this.queue.name}: ${error.stack ?? error.message}`);
          await held.release(1000);
        })
        .finally(() => {
          this.#active--;
          this.#next();
          // Only a poller waiting for room is woken: a poll per finished message would cost a request each.
          if (this.#waitingForRoom) this.#backoff.wake();
        });
    }
  }
}
