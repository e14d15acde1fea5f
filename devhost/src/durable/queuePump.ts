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
}

/**
 * Polls one Storage queue and hands each message to `handle`, holding it (lease renewed at half the
 * visibility timeout) until the handler completes or releases it. Back-off between empty polls, and an
 * immediate poll when `poke`d — the engine pokes a queue right after writing to it.
 */
export class QueuePump {
  #running = false;
  #held = new Set<HeldMessage>();
  #delay = MIN_POLL_MS;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #renewal: NodeJS.Timeout | undefined;
  #lastPollEmpty = false;
  /** Set by poke(): a poll already under way may have missed the message that caused the poke. */
  #poked = false;

  constructor(
    readonly queue: QueueClient,
    private readonly options: PumpOptions,
    private readonly handle: (message: HeldMessage) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  get quiet(): boolean {
    return this.#lastPollEmpty && this.#held.size === 0;
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
    this.#poked = true;
    this.#lastPollEmpty = false;
    this.#delay = MIN_POLL_MS;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    clearInterval(this.#renewal);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(handle);
        this.#wake = undefined;
        resolve();
      };
      const handle = setTimeout(done, ms);
      this.#wake = done;
    });
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
      const room = concurrency - this.#held.size;
      if (room <= 0) {
        await this.#sleep(maxPollingIntervalMs);
        continue;
      }
      let items: DequeuedMessageItem[] = [];
      this.#poked = false;
      try {
        const reply = await this.queue.receiveMessages({ numberOfMessages: Math.min(batchSize, room), visibilityTimeout: Math.ceil(visibilityTimeoutMs / 1000) });
        items = reply.receivedMessageItems;
      } catch (error) {
        if (!this.#running) break;
        this.logger.warn(`polling ${this.queue.name} failed: ${(error as Error).message}`);
      }
      if (items.length === 0) {
        if (this.#poked) continue;
        this.#lastPollEmpty = this.#held.size === 0;
        await this.#sleep(this.#delay);
        this.#delay = Math.min(maxPollingIntervalMs, this.#delay * 2);
        continue;
      }
      this.#lastPollEmpty = false;
      this.#delay = MIN_POLL_MS;
      for (const item of items) this.#dispatch(item);
    }
  }

  #dispatch(item: DequeuedMessageItem): void {
    const held: HeldMessage = {
      item,
      popReceipt: item.popReceipt,
      complete: async () => {
        if (!this.#held.delete(held)) return;
        await this.queue.deleteMessage(item.messageId, held.popReceipt).catch((e: Error) => this.logger.warn(`deleting a message from ${this.queue.name}: ${e.message}`));
        this.#wake?.();
      },
      release: async (delayMs) => {
        if (!this.#held.delete(held)) return;
        await this.queue.updateMessage(item.messageId, held.popReceipt, undefined, Math.ceil(delayMs / 1000)).catch(() => undefined);
        this.#wake?.();
      },
    };
    this.#held.add(held);
    this.handle(held).catch(async (error: Error) => {
      this.logger.error(`${this.queue.name}: ${error.stack ?? error.message}`);
      await held.release(1000);
    });
  }
}
