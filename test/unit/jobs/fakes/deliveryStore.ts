/**
 * The delivery store in memory, keeping adapters/stores/deliveryStore's contract: a batch's snapshot is
 * written whole or refused (false) when it exists; a recipient without an outcome row reads as pending;
 * the summary is recomputed from the rows on every commit; a commit against a summary that moved since
 * it was read throws LostBatchLease; occurrence changes merge into the row.
 */
import {
  type BatchState,
  type BatchSummary,
  type Channel,
  type Delivery,
  type DeliveryStatus,
  LostBatchLease,
  summarize,
  type Occurrence,
  type Recipient,
} from '../../../../core/delivery.js';
import type { BatchRef } from '../../../../core/hops.js';
import type { HeldBatch } from '../../../../adapters/stores/deliveryControlStore.js';
import type { DeliveryRecords } from '../../../../jobs/delivery/deliveryPorts.js';

interface OutcomeRow {
  status: DeliveryStatus;
  attempts: number;
  reason: string;
  sentAt: string;
}

interface StoredBatch {
  channel: Channel;
  recipients: Recipient[];
  outcomes: Map<string, OutcomeRow>;
  summary: BatchSummary;
  version: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const occurrenceKey = (tenantId: string, messageId: string, occurrence: number) => `${tenantId}:${messageId}:${occurrence}`;
const batchKey = (b: BatchRef) => `${b.tenantId}:${b.messageId}:${b.occurrence}:${b.batch}`;

export class FakeDeliveryStore implements DeliveryRecords {
  readonly occurrences = new Map<string, Occurrence>();
  readonly batches = new Map<string, StoredBatch>();
  /** writeBatch calls that wrote a snapshot, and those refused because it was there. */
  written = 0;
  refused = 0;

  startOccurrence = async (tenantId: string, messageId: string, occurrence: number, channel: Channel, now: number) => {
    const key = occurrenceKey(tenantId, messageId, occurrence);
    if (!this.occurrences.has(key))
      this.occurrences.set(key, { occurrence, channel, state: 'resolving', startedAt: iso(now), batchesWritten: 0 });
    return structuredClone(this.occurrences.get(key)!);
  };

  getOccurrence = async (tenantId: string, messageId: string, occurrence: number) => {
    const occ = this.occurrences.get(occurrenceKey(tenantId, messageId, occurrence));
    return occ && structuredClone(occ);
  };

  updateOccurrence = async (tenantId: string, messageId: string, occurrence: number, change: Partial<Occurrence>) => {
    const occ = this.occurrences.get(occurrenceKey(tenantId, messageId, occurrence));
    if (!occ) throw new Error(`no occurrence ${occurrence} of ${messageId}`);
    Object.assign(occ, structuredClone(change));
  };

  writeBatch = async (ref: BatchRef, channel: Channel, recipients: Recipient[], now: number) => {
    const key = batchKey(ref);
    if (this.batches.has(key)) {
      this.refused++;
      return false;
    }
    this.batches.set(key, {
      channel,
      recipients: structuredClone(recipients),
      outcomes: new Map(),
      summary: { ...summarize([], 0, now), total: recipients.length },
      version: 1,
    });
    this.written++;
    return true;
  };

  readBatch = async (ref: BatchRef): Promise<BatchState | undefined> => {
    const stored = this.batches.get(batchKey(ref));
    if (!stored) return undefined;
    const rows = new Map<string, Delivery>();
    for (const r of stored.recipients) {
      const o = stored.outcomes.get(r.userId);
      rows.set(
        r.userId,
        o
          ? {
              ...structuredClone(r),
              status: o.status,
              attempts: o.attempts,
              ...(o.reason ? { reason: o.reason } : {}),
              ...(o.sentAt ? { sentAt: o.sentAt } : {}),
            }
          : { ...structuredClone(r), status: 'pending', attempts: 0 },
      );
    }
    return { rows, summary: { ...stored.summary }, etag: String(stored.version) };
  };

  commitBatch = async (ref: BatchRef, state: BatchState, changed: Delivery[], leaseUntil: number, now: number) => {
    for (const d of changed) state.rows.set(d.userId, d);
    const summary = summarize(state.rows.values(), leaseUntil, now);
    const stored = this.batches.get(batchKey(ref));
    if (!stored) throw new Error(`no batch ${batchKey(ref)}`);
    if (String(stored.version) !== state.etag) throw new LostBatchLease(`batch ${batchKey(ref)} was taken by another worker`);
    for (const d of changed)
      stored.outcomes.set(d.userId, { status: d.status, attempts: d.attempts, reason: d.reason ?? '', sentAt: d.sentAt ?? '' });
    stored.summary = summary;
    stored.version++;
    state.etag = String(stored.version);
    state.summary = { ...summary };
  };

  batchSummary = async (ref: BatchRef) => {
    const stored = this.batches.get(batchKey(ref));
    return stored && { ...stored.summary };
  };

  batchSummaries = async (tenantId: string, messageId: string, occurrence: number, count: number) => {
    const out: BatchSummary[] = [];
    for (let batch = 0; batch < count; batch++) {
      const s = await this.batchSummary({ tenantId, messageId, occurrence, batch });
      if (s) out.push(s);
    }
    return out;
  };

  /** Every recipient of the batch with their delivery, in snapshot order (what readBatch gives a worker). */
  async rows(ref: BatchRef): Promise<Delivery[]> {
    return [...((await this.readBatch(ref))?.rows.values() ?? [])];
  }

  /** The batch numbers written for an occurrence. */
  batchesOf(tenantId: string, messageId: string, occurrence: number): number[] {
    const prefix = `${occurrenceKey(tenantId, messageId, occurrence)}:`;
    return [...this.batches.keys()]
      .filter((k) => k.startsWith(prefix))
      .map((k) => Number(k.slice(prefix.length)))
      .sort((a, b) => a - b);
  }
}

/** The list of held batches (adapters/stores/deliveryControlStore): what a restarted host would resume. */
export class FakeHeld {
  readonly batches = new Map<string, HeldBatch>();
  markHeld = async (ref: HeldBatch) => void this.batches.set(batchKey(ref), { ...ref });
  clearHeld = async (ref: BatchRef) => void this.batches.delete(batchKey(ref));
  listHeld = async () => [...this.batches.values()].map((b) => ({ ...b }));
  noteResumed = async (ref: BatchRef, at: number) => {
    const b = this.batches.get(batchKey(ref));
    if (b) b.resumedAt = at;
  };
}
