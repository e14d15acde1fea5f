/** How far an occurrence's delivery has got: counts from the batch summaries, a rate and an ETA. */
import type { OccurrenceRef } from '../../core/hops.js';
import { pendingOf, type Occurrence } from '../../core/delivery.js';
import type { Clock, DeliveryRecords } from './deliveryPorts.js';

export interface OccurrenceProgress {
  occurrence: number;
  channel: Occurrence['channel'];
  /** resolving: recipients still being looked up; sending; done; failed: the audience could not be resolved. */
  state: 'resolving' | 'sending' | 'done' | 'failed';
  reason?: string;
  startedAt: string;
  resolvedAt?: string;
  /** Recipients resolved so far (all of them once resolvedAt is set). */
  recipients: number;
  sent: number;
  failed: number;
  throttled: number;
  cancelled: number;
  /** In flight when a worker died, on a provider without an idempotency key: sent once or not at all. */
  unconfirmed: number;
  pending: number;
  /** Of the pending: handed to the provider, its answer not recorded yet (email: accepted, not yet confirmed). */
  inFlight: number;
  /** Recipients finished (sent or failed) per second since the occurrence started. */
  perSecond: number;
  /** When the last recipient should be done at the current rate; absent when done or not yet measurable. */
  eta?: string;
}

export interface ProgressPorts {
  deliveries: Pick<DeliveryRecords, 'getOccurrence' | 'batchSummary' | 'batchSummaries'>;
  clock: Pick<Clock, 'now'>;
}

/** Whether an occurrence is delivered: what every batch worker and resolution asks at its end. */
export function createDeliveredCheck({ deliveries }: { deliveries: Pick<DeliveryRecords, 'getOccurrence' | 'batchSummary'> }) {
  return {
    /**
     * Whether every recipient of the occurrence has an outcome (sent, failed, cancelled or unconfirmed). Every finished
     * batch asks; batches finish roughly in the order they were written, so looking from the last one back
     * finds an unfinished batch after a read or two, and only the very last answer reads them all.
     */
    async isDelivered(ref: OccurrenceRef): Promise<boolean> {
      const occ = await deliveries.getOccurrence(ref.tenantId, ref.messageId, ref.occurrence);
      if (!occ || occ.state !== 'resolved') return false;
      for (let batch = (occ.batches ?? 0) - 1; batch >= 0; batch--) {
        const summary = await deliveries.batchSummary({ ...ref, batch });
        if (!summary || pendingOf(summary) > 0) return false;
      }
      return true;
    },
  };
}

export function createProgress({ deliveries, clock }: ProgressPorts) {
  return {
    ...createDeliveredCheck({ deliveries }),

    async occurrenceProgress(occ: Occurrence, tenantId: string, messageId: string): Promise<OccurrenceProgress> {
      // While resolving, `batchesWritten` is recorded every tenth batch and a few more are in flight: look a
      // little past it (a batch not written yet is simply absent).
      const count = occ.batches ?? occ.batchesWritten + 20;
      const summaries = await deliveries.batchSummaries(tenantId, messageId, occ.occurrence, count);
      const p = { recipients: 0, sent: 0, failed: 0, throttled: 0, cancelled: 0, unconfirmed: 0, pending: 0, inFlight: 0 };
      for (const s of summaries) {
        p.recipients += s.total;
        p.sent += s.sent;
        p.failed += s.failed;
        p.throttled += s.throttled;
        p.cancelled += s.cancelled;
        p.unconfirmed += s.unconfirmed;
        p.pending += pendingOf(s);
        p.inFlight += s.sending;
      }
      const now = clock.now();
      const done = occ.state === 'resolved' && p.pending === 0;
      const elapsed = Math.max(1, now - Date.parse(occ.startedAt)) / 1000;
      const perSecond = Math.round(((p.sent + p.failed) / elapsed) * 10) / 10;
      const eta =
        !done && perSecond > 0 && occ.state === 'resolved' ? new Date(now + (p.pending / perSecond) * 1000).toISOString() : undefined;
      return {
        occurrence: occ.occurrence,
        channel: occ.channel,
        state: occ.state === 'resolved' ? (done ? 'done' : 'sending') : occ.state,
        ...(occ.reason ? { reason: occ.reason } : {}),
        startedAt: occ.startedAt,
        ...(occ.resolvedAt ? { resolvedAt: occ.resolvedAt } : {}),
        ...p,
        perSecond,
        ...(eta ? { eta } : {}),
      };
    },
  };
}
