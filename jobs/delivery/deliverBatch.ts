/**
 * Delivers one batch (≤ 1000 recipients) of an occurrence on its push channel. The batch's delivery rows
 * are the gate: only pending (or throttled) recipients are sent to, and each chunk's outcomes are committed
 * with the batch summary in one transaction. A lease on the summary row keeps a duplicate queue message
 * from working the same batch at the same time. Provider throttling pauses the channel and re-queues the
 * rest after Retry-After; transient failures are retried with back-off and end, after MAX_ATTEMPTS, as a
 * recorded failure. A cancelled or ended message stops the batch: what was not sent is marked cancelled.
 *
 * A crash between a provider call and its commit sends that chunk again on retry; the providers' own
 * idempotency keys make that harmless: Teams replaces a notification with the same chainId, and ACS
 * returns the first operation for a repeated Operation-Id.
 */
import {
  afterOutcome,
  type BatchState,
  CHUNK_SIZE,
  type Delivery,
  type DeliveryStatus,
  LostBatchLease,
  retryDelayMs,
  type SendOutcome,
} from '../../core/delivery.js';
import { DELIVER, type BatchMessage, type BatchRef, type DeliveryChannel } from '../../core/hops.js';
import { dayOf } from '../../core/reportMath.js';
import type { BatchWorkerPorts } from './deliveryPorts.js';
import { createDeliveredCheck } from './progress.js';

export type Outcomes = Map<string, SendOutcome>;

/** How a channel sends a batch's chunks. */
export interface ChunkSender {
  channel: DeliveryChannel;
  /** Why the rest of the batch must not go (the message was cancelled or ended); checked before each chunk. */
  stopReason(): Promise<string | undefined>;
  /** Sends a chunk: each recipient's outcome, or when (real ms) to resume because the channel must wait. */
  send(chunk: Delivery[]): Promise<Outcomes | number>;
}

export interface BatchResult {
  /** The occurrence has an outcome for every recipient now. */
  occurrenceDelivered: boolean;
}

type Log = (message: string) => void;

export const batchRef = (job: BatchMessage): BatchRef => ({
  tenantId: job.tenantId,
  messageId: job.messageId,
  occurrence: job.occurrence,
  batch: job.batch,
});

const isOpen = (d: Delivery) => d.status === 'pending' || d.status === 'throttled';

export function createBatchWorker(ports: BatchWorkerPorts) {
  const { deliveries, enqueue, clock } = ports;
  const { isDelivered } = createDeliveredCheck(ports);
  const leaseUntil = () => clock.realNow() + ports.leaseMs();

  /**
   * Brings the message's delivered and failed counters level with the batch's outcomes (exactly: the
   * counter store keeps what it counted of each batch, so a crash between the two is made good by the next
   * call).
   */
  function outcomeCounter(channel: DeliveryChannel, ref: BatchRef, state: BatchState) {
    let timeZone: Promise<string> | undefined;
    return async () => {
      timeZone ??= ports.tenantSettings(ref.tenantId).then((s) => s.timeZone);
      const { sent, failed } = state.summary;
      const day = dayOf(clock.now(), await timeZone);
      await ports.counters.count(ref.tenantId, ref.messageId, {
        kind: 'batch',
        occurrence: ref.occurrence,
        batch: ref.batch,
        channel,
        day,
        sent,
        failed,
      });
    };
  }

  /** Sends chunk by chunk; returns when the rest must wait (real ms), or undefined when every row has an outcome. */
  async function work(sender: ChunkSender, ref: BatchRef, state: BatchState, log: Log, tally: () => Promise<void>) {
    let retryAt: number | undefined;
    const rows = [...state.rows.values()].filter(isOpen);
    for (let i = 0; i < rows.length; i += CHUNK_SIZE) {
      const chunk = rows.slice(i, i + CHUNK_SIZE);
      const reason = await sender.stopReason();
      if (reason) {
        const rest = rows.slice(i).map((d) => ({ ...d, status: 'cancelled' as DeliveryStatus, reason }));
        for (let j = 0; j < rest.length; j += CHUNK_SIZE)
          await deliveries.commitBatch(ref, state, rest.slice(j, j + CHUNK_SIZE), leaseUntil(), clock.now());
        log(`message ${ref.messageId} batch ${ref.batch}: ${rest.length} not sent, ${reason}`);
        return undefined;
      }
      const outcomes = await sender.send(chunk);
      if (typeof outcomes === 'number') return outcomes;

      const at = clock.now();
      const changed = chunk.map((d) => ({ ...d, ...afterOutcome(d, outcomes.get(d.userId)!, at) }));
      await deliveries.commitBatch(ref, state, changed, leaseUntil(), at);
      await tally();
      for (const o of outcomes.values()) {
        if (o.status === 'throttled') retryAt = Math.max(retryAt ?? 0, clock.realNow() + o.retryAfterMs);
      }
      const transient = changed.filter((d) => d.status === 'pending');
      if (transient.length > 0)
        retryAt = Math.max(retryAt ?? 0, clock.realNow() + retryDelayMs(Math.max(...transient.map((d) => d.attempts))));
      if (retryAt !== undefined) return retryAt;
    }
    return undefined;
  }

  return {
    async deliverBatch(job: BatchMessage, sender: ChunkSender, log: Log): Promise<BatchResult> {
      const { channel } = sender;
      const ref = batchRef(job);
      const where = `message ${ref.messageId} occurrence ${ref.occurrence} batch ${ref.batch}`;
      const state = await deliveries.readBatch(ref);
      if (!state) {
        log(`${where}: no such batch; nothing to deliver`);
        return { occurrenceDelivered: false };
      }
      // Held by another worker — or by one that died, whose message this may be: come back when the lease
      // ends rather than drop the message (a finished batch answers the extra copy at no cost).
      const comeBack = async (why: string) => {
        const at = Math.max(state.summary.leaseUntil, clock.realNow()) + 1000;
        await enqueue(DELIVER[channel], { ...ref, notBefore: at }, at - clock.realNow());
        log(`${where}: ${why}; looking again at ${new Date(at).toISOString()}`);
        return { occurrenceDelivered: false };
      };
      if (state.summary.leaseUntil > clock.realNow()) return comeBack('another worker holds it');
      const tally = outcomeCounter(channel, ref, state);
      if (![...state.rows.values()].some(isOpen)) {
        // Finished — perhaps by a worker that died before counting its last outcomes.
        await tally();
        return { occurrenceDelivered: await isDelivered(ref) };
      }
      try {
        await deliveries.commitBatch(ref, state, [], leaseUntil(), clock.now());
        const requeueAt = await work(sender, ref, state, log, tally);
        await deliveries.commitBatch(ref, state, [], 0, clock.now());
        await tally();
        if (requeueAt !== undefined) {
          await enqueue(DELIVER[channel], { ...ref, notBefore: requeueAt }, Math.max(0, requeueAt - clock.realNow()));
          const { total, sent, failed, cancelled } = state.summary;
          log(`${where}: ${total - sent - failed - cancelled} left; resuming at ${new Date(requeueAt).toISOString()}`);
          return { occurrenceDelivered: false };
        }
      } catch (error) {
        if (error instanceof LostBatchLease) return comeBack(error.message);
        throw error;
      }
      const { total, sent, failed, cancelled } = state.summary;
      log(`${where}: ${sent} sent, ${failed} failed, ${cancelled} cancelled of ${total}`);
      return { occurrenceDelivered: await isDelivered(ref) };
    },

    /** The poison queue's end of a batch: whatever is still open is recorded as failed, never dropped silently. */
    async failBatch(channel: DeliveryChannel, job: BatchMessage, reason: string, log: Log): Promise<BatchResult> {
      const ref = batchRef(job);
      const state = await deliveries.readBatch(ref);
      if (!state) return { occurrenceDelivered: false };
      const failed = [...state.rows.values()].filter(isOpen).map((d) => ({
        ...d,
        status: 'failed' as DeliveryStatus,
        reason: d.reason ? `${reason}; last error: ${d.reason}` : reason,
      }));
      // At least one commit, empty or not: it releases a lease a dead worker left behind.
      for (let i = 0; i < failed.length || i === 0; i += CHUNK_SIZE)
        await deliveries.commitBatch(ref, state, failed.slice(i, i + CHUNK_SIZE), 0, clock.now());
      await outcomeCounter(channel, ref, state)();
      log(`message ${ref.messageId} occurrence ${ref.occurrence} batch ${ref.batch}: ${failed.length} recorded as failed (${reason})`);
      return { occurrenceDelivered: await isDelivered(ref) };
    },
  };
}
