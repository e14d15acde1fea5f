/**
 * Delivers one batch (≤ 1000 recipients) of an occurrence on its push channel. The batch's delivery rows
 * are the gate: only pending (or throttled) recipients are sent to, and each chunk's outcomes are committed
 * with the batch summary in one transaction. A short lease on the summary row, renewed while the worker
 * runs, keeps a duplicate queue message from working the same batch at the same time and lapses within
 * seconds of its worker's death. Provider throttling pauses the channel and re-queues the rest after
 * Retry-After; transient failures are retried with back-off and end, after MAX_ATTEMPTS, as a recorded
 * failure. A cancelled or ended message stops the batch: what was not sent is marked cancelled.
 *
 * Exactly once, across a crash at any moment: a sender records its recipients `sending` before the provider
 * calls. A worker that finds rows `sending` knows their worker died mid-call. Where the provider cannot tell
 * a repeat (Teams, push) it marks them `unconfirmed` and never sends them again; email sends carry an
 * Operation-Id ACS deduplicates by, so there they are simply sent again — unless the message was stopped
 * meanwhile, when they too are `unconfirmed` (ACS may have them; they must not go now).
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
  unconfirmed,
} from '../../core/delivery.js';
import { DELIVER, type BatchMessage, type BatchRef, type DeliveryChannel } from '../../core/hops.js';
import { dayOf } from '../../core/reportMath.js';
import type { BatchWorkerPorts } from './deliveryPorts.js';
import { createDeliveredCheck } from './progress.js';

export type Outcomes = Map<string, SendOutcome>;

/** How a channel sends a batch's chunks. */
export interface ChunkSender {
  channel: DeliveryChannel;
  /** The provider drops a repeat of the same send (ACS, by Operation-Id): a row in doubt after a crash is sent again. */
  resendable: boolean;
  /** Why the rest of the batch must not go (the message was cancelled or ended); checked before each chunk. */
  stopReason(): Promise<string | undefined>;
  /**
   * Sends a chunk: each recipient's outcome, or when (real ms) to resume because the channel must wait.
   * The sender calls `inFlight` with the recipients before the provider calls that reach them — one that is
   * not `resendable` right before, so that nothing but that call follows.
   */
  send(chunk: Delivery[], inFlight: (recipients: Delivery[]) => Promise<void>): Promise<Outcomes | number>;
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
const needsWork = (d: Delivery) => isOpen(d) || d.status === 'sending';

export function createBatchWorker(ports: BatchWorkerPorts) {
  const { deliveries, enqueue, clock, held } = ports;
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

  /**
   * The worker's hold on the batch: every commit goes through it, one at a time, and while the worker runs
   * a heartbeat renews the lease every third of its length, so the lease can be short and a dead worker's
   * batch is free again within seconds.
   */
  function holdLease(ref: BatchRef, state: BatchState) {
    let chain: Promise<unknown> = Promise.resolve();
    let lost: LostBatchLease | undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const commit = (changed: Delivery[], until = leaseUntil()) => {
      const run = chain.then(() => {
        if (lost) throw lost;
        return deliveries.commitBatch(ref, state, changed, until, clock.now());
      });
      chain = run.catch((error: unknown) => {
        if (error instanceof LostBatchLease) lost = error;
      });
      return run;
    };
    const stop = () => clearInterval(heartbeat);
    return {
      commit,
      async take() {
        await commit([]);
        // A renewal that fails for another reason is tried again at the next beat; a lost lease stops the worker.
        heartbeat = setInterval(() => void commit([]).catch(() => undefined), Math.max(250, ports.leaseMs() / 3));
        heartbeat.unref?.();
      },
      stop,
      async release() {
        stop();
        await commit([], 0);
      },
    };
  }
  type Lease = ReturnType<typeof holdLease>;

  /** Sends chunk by chunk; returns when the rest must wait (real ms), or undefined when every row has an outcome. */
  async function work(sender: ChunkSender, ref: BatchRef, state: BatchState, lease: Lease, log: Log, tally: () => Promise<void>) {
    let retryAt: number | undefined;
    // Rows in doubt are sent first where the provider drops repeats (the others were settled already).
    const rows = [...state.rows.values()].filter((d) => d.status === 'sending').concat([...state.rows.values()].filter(isOpen));
    const inFlight = (recipients: Delivery[]) => lease.commit(recipients.map((d) => ({ ...d, status: 'sending' as DeliveryStatus })));
    for (let i = 0; i < rows.length; i += CHUNK_SIZE) {
      const chunk = rows.slice(i, i + CHUNK_SIZE);
      const reason = await sender.stopReason();
      if (reason) {
        const rest = rows
          .slice(i)
          .map((d) => (d.status === 'sending' ? { ...d, ...unconfirmed(d) } : { ...d, status: 'cancelled' as DeliveryStatus, reason }));
        for (let j = 0; j < rest.length; j += CHUNK_SIZE) await lease.commit(rest.slice(j, j + CHUNK_SIZE));
        log(`message ${ref.messageId} batch ${ref.batch}: ${rest.length} not sent, ${reason}`);
        return undefined;
      }
      const outcomes = await sender.send(chunk, inFlight);
      if (typeof outcomes === 'number') {
        // Recorded in flight, then told to wait before the call went: back as they were (`chunk` holds them so).
        const back = chunk.filter((d) => state.rows.get(d.userId)?.status === 'sending');
        if (back.length > 0) await lease.commit(back);
        return outcomes;
      }

      const at = clock.now();
      const changed = chunk.map((d) => ({ ...d, ...afterOutcome(d, outcomes.get(d.userId)!, at) }));
      await lease.commit(changed);
      await tally();
      for (const o of outcomes.values()) {
        if (o.status === 'throttled') retryAt = Math.max(retryAt ?? 0, clock.realNow() + o.retryAfterMs);
      }
      const transient = changed.filter((d) => d.status === 'pending' || (d.status === 'sending' && d.attempts > 0));
      if (transient.length > 0)
        retryAt = Math.max(retryAt ?? 0, clock.realNow() + retryDelayMs(Math.max(...transient.map((d) => d.attempts))));
      if (retryAt !== undefined) return retryAt;
    }
    return undefined;
  }

  /**
   * Rows a dead worker left in flight: sent again where the provider drops repeats and the message may
   * still go, otherwise unconfirmed for good — never twice.
   */
  async function settleInDoubt(sender: ChunkSender, ref: BatchRef, state: BatchState, lease: Lease, log: Log) {
    const inDoubt = [...state.rows.values()].filter((d) => d.status === 'sending');
    if (inDoubt.length === 0) return;
    const resend = sender.resendable && !(await sender.stopReason());
    if (!resend) {
      const settled = inDoubt.map((d) => ({ ...d, ...unconfirmed(d) }));
      for (let i = 0; i < settled.length; i += CHUNK_SIZE) await lease.commit(settled.slice(i, i + CHUNK_SIZE));
    }
    log(
      `message ${ref.messageId} batch ${ref.batch}: ${inDoubt.length} in flight when a worker stopped, ${resend ? 'sent again' : 'unconfirmed'}`,
    );
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
      if (![...state.rows.values()].some(needsWork)) {
        // Finished — perhaps by a worker that died before counting its last outcomes.
        await tally();
        await held.clearHeld(ref);
        return { occurrenceDelivered: await isDelivered(ref) };
      }
      // Listed before the lease is taken, so a batch whose worker dies is always found again.
      await held.markHeld({ ...ref, channel });
      const lease = holdLease(ref, state);
      try {
        await lease.take();
        await settleInDoubt(sender, ref, state, lease, log);
        const requeueAt = await work(sender, ref, state, lease, log, tally);
        await lease.release();
        await held.clearHeld(ref);
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
      } finally {
        lease.stop();
      }
      const { total, sent, failed, cancelled, unconfirmed } = state.summary;
      log(
        `${where}: ${sent} sent, ${failed} failed, ${cancelled} cancelled${unconfirmed ? `, ${unconfirmed} unconfirmed` : ''} of ${total}`,
      );
      return { occurrenceDelivered: await isDelivered(ref) };
    },

    /** The poison queue's end of a batch: whatever is still open is recorded as failed, never dropped silently. */
    async failBatch(channel: DeliveryChannel, job: BatchMessage, reason: string, log: Log): Promise<BatchResult> {
      const ref = batchRef(job);
      const state = await deliveries.readBatch(ref);
      if (!state) return { occurrenceDelivered: false };
      const failed = [...state.rows.values()]
        .filter(needsWork)
        .map((d) =>
          d.status === 'sending'
            ? { ...d, ...unconfirmed(d) }
            : { ...d, status: 'failed' as DeliveryStatus, reason: d.reason ? `${reason}; last error: ${d.reason}` : reason },
        );
      // At least one commit, empty or not: it releases a lease a dead worker left behind.
      for (let i = 0; i < failed.length || i === 0; i += CHUNK_SIZE)
        await deliveries.commitBatch(ref, state, failed.slice(i, i + CHUNK_SIZE), 0, clock.now());
      await held.clearHeld(ref);
      await outcomeCounter(channel, ref, state)();
      log(`message ${ref.messageId} occurrence ${ref.occurrence} batch ${ref.batch}: ${failed.length} recorded as failed (${reason})`);
      return { occurrenceDelivered: await isDelivered(ref) };
    },
  };
}
