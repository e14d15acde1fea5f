import { PollBackoff } from '../pollBackoff.js';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { QueueOptions } from '../config.js';
import type { RegisteredFunction, RpcTypedData } from '../coreTypes.js';
import { decodeMessage, encodeMessage } from '../bindings/queueMessages.js';
import type { Invoker } from '../invoker.js';
import type { Logger } from '../log.js';

const MIN_POLL_MS = 100;
/**
 * Messages are leased for this long and the lease renewed at half of it, as the Queues extension does
 * (10 minutes). `DEVHOST_QUEUE_LEASE_SECONDS` shortens it for crash tests, so what a killed host held
 * comes back in seconds.
 */
const LEASE_SECONDS = Number(process.env.DEVHOST_QUEUE_LEASE_SECONDS) > 0 ? Number(process.env.DEVHOST_QUEUE_LEASE_SECONDS) : 600;

/**
 * One queue trigger: polls with exponential back-off up to maxPollingInterval, runs up to
 * batchSize + newBatchThreshold messages at once, releases failed messages after visibilityTimeout,
 * and moves a message that failed maxDequeueCount times to `<queue>-poison`.
 */
export class QueueListener {
  #running = false;
  #inFlight = 0;
  #backoff: PollBackoff;
  #loop: Promise<void> | undefined;
  #lastPollEmpty = false;

  constructor(
    /** Whose messages these are, for the log: a function's name, or the host's blob-trigger dispatcher. */
    private readonly name: string,
    readonly queue: QueueClient,
    private readonly poison: QueueClient | undefined,
    private readonly options: QueueOptions,
    /** Handles one decoded message; a returned error leaves it for another attempt, or the poison queue. */
    private readonly run: (text: string, message: DequeuedMessageItem) => Promise<Error | undefined>,
    private readonly logger: Logger,
  ) {
    this.#backoff = new PollBackoff(MIN_POLL_MS, options.maxPollingIntervalMs);
  }

  get queueName(): string {
    return this.queue.name;
  }

  /** True when the last poll found nothing and nothing of ours is running. */
  get quiet(): boolean {
    return this.#lastPollEmpty && this.#inFlight === 0;
  }

  async start(): Promise<void> {
    await this.queue.createIfNotExists();
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Poll now instead of waiting out the back-off (a write to this queue, or a test asking for idle). */
  poke(): void {
    this.#lastPollEmpty = false;
    this.#backoff.poke();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#backoff.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { batchSize, newBatchThreshold, maxPollingIntervalMs } = this.options;
    while (this.#running) {
      if (this.#inFlight > newBatchThreshold) {
        await this.#backoff.sleep(maxPollingIntervalMs);
        continue;
      }
      let messages: DequeuedMessageItem[];
      this.#backoff.polling();
      try {
        const reply = await this.queue.receiveMessages({ numberOfMessages: batchSize, visibilityTimeout: LEASE_SECONDS });
        messages = reply.receivedMessageItems;
      } catch (error) {
        if (!this.#running) break;
        this.logger.warn(`polling queue '${this.queue.name}' failed: ${(error as Error).message}`, { functionName: this.name });
        messages = [];
      }
      if (messages.length === 0) {
        if (!this.#backoff.pokedSincePoll) this.#lastPollEmpty = this.#inFlight === 0;
        await this.#backoff.empty();
        continue;
      }
      this.#lastPollEmpty = false;
      this.#backoff.found();
      for (const message of messages) {
        this.#inFlight++;
        void this.#process(message).finally(() => {
          this.#inFlight--;
          this.#backoff.wake();
        });
      }
    }
    while (this.#inFlight > 0) await this.#backoff.sleep(50);
  }

  async #process(message: DequeuedMessageItem): Promise<void> {
    const name = this.name;
    let popReceipt = message.popReceipt;
    const renew = setInterval(
      () => {
        this.queue
          .updateMessage(message.messageId, popReceipt, undefined, LEASE_SECONDS)
          .then((r) => (popReceipt = r.popReceipt ?? popReceipt))
          .catch(() => undefined);
      },
      (LEASE_SECONDS * 1000) / 2,
    );
    try {
      const text = decodeMessage(message.messageText, this.options.messageEncoding);
      let failure: Error | undefined;
      if (text === undefined) {
        failure = new Error(
          `Message '${message.messageId}' on queue '${this.queue.name}' is not valid base64 (host.json extensions.queues.messageEncoding is "base64")`,
        );
        this.logger.error(failure.message, { functionName: name });
      } else failure = await this.run(text, message);
      clearInterval(renew);
      if (!failure) {
        await this.queue.deleteMessage(message.messageId, popReceipt);
      } else if (message.dequeueCount >= this.options.maxDequeueCount || text === undefined) {
        await this.#moveToPoison(message, popReceipt, text);
      } else {
        await this.queue.updateMessage(message.messageId, popReceipt, undefined, Math.ceil(this.options.visibilityTimeoutMs / 1000));
      }
    } catch (error) {
      this.logger.error(`queue '${this.queue.name}': settling message '${message.messageId}' failed: ${(error as Error).message}`, {
        functionName: name,
      });
    } finally {
      clearInterval(renew);
    }
  }

  async #moveToPoison(message: DequeuedMessageItem, popReceipt: string, text: string | undefined): Promise<void> {
    if (!this.poison) {
      this.logger.error(
        `Message '${message.messageId}' failed ${message.dequeueCount} times; '${this.queue.name}' is a poison queue, so it is deleted`,
        { functionName: this.name },
      );
    } else {
      this.logger.warn(
        `Message has reached MaxDequeueCount of ${this.options.maxDequeueCount}. Moving message to queue '${this.poison.name}'.`,
        { functionName: this.name },
      );
      await this.poison.createIfNotExists();
      await this.poison.sendMessage(text === undefined ? message.messageText : encodeMessage(text, this.options.messageEncoding));
    }
    await this.queue.deleteMessage(message.messageId, popReceipt);
  }
}

function triggerMetadata(fn: RegisteredFunction, m: DequeuedMessageItem, text: string): Record<string, RpcTypedData> {
  const iso = (d: Date | undefined) => ({ string: d ? d.toISOString() : '' });
  return {
    QueueTrigger: { string: text },
    DequeueCount: { int: m.dequeueCount },
    Id: { string: m.messageId },
    PopReceipt: { string: m.popReceipt },
    InsertionTime: iso(m.insertedOn),
    ExpirationTime: iso(m.expiresOn),
    NextVisibleTime: iso(m.nextVisibleOn),
    sys: { json: JSON.stringify({ MethodName: fn.metadata.name, UtcNow: new Date().toISOString(), RandGuid: crypto.randomUUID() }) },
  };
}

/** A queue trigger's handling of one message: invoke the function with the message and its metadata, then write its outputs. */
export function invokeFunctionOnMessage(
  fn: RegisteredFunction,
  triggerName: string,
  invoker: Invoker,
): (text: string, message: DequeuedMessageItem) => Promise<Error | undefined> {
  return (text, message) =>
    invoker.invokeAndWrite(fn, {
      inputData: [{ name: triggerName, data: { string: text } }],
      triggerMetadata: triggerMetadata(fn, message, text),
    });
}
