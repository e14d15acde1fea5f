/**
 * Push-channel delivery state (DESIGN §8): per occurrence, a row saying how far audience resolution got;
 * per batch of ≤ 1000 recipients, one partition holding a delivery row per recipient (the resolved
 * audience snapshot, the idempotency gate and the per-recipient status) and a summary row kept in step
 * with them in the same entity-group transactions, so progress is exact and cheap to read.
 */
import { odata, TableTransaction, type TableEntityResult } from '@azure/data-tables';
import type { Channel, DeliveryStatus } from '../core/delivery.js';
import { tenantKey } from './messageStore.js';
import { isStatus, table } from './tables.js';

export const BATCH_SIZE = 1000;
/** Delivery rows changed per transaction; the 100th operation is the summary row. */
export const CHUNK_SIZE = 99;

export interface Recipient {
  userId: string;
  upn: string;
  name?: string;
  mail?: string;
  language?: string;
}

export interface Delivery extends Recipient {
  status: DeliveryStatus;
  attempts: number;
  reason?: string;
  sentAt?: string;
}

export interface BatchRef {
  tenantId: string;
  messageId: string;
  occurrence: number;
  batch: number;
}

export interface BatchSummary {
  total: number;
  sent: number;
  failed: number;
  throttled: number;
  cancelled: number;
  /** A worker holds the batch until then (ms); another copy of its queue message stands back. */
  leaseUntil: number;
  updatedAt: string;
}

export interface Occurrence {
  occurrence: number;
  channel: Channel;
  /** failed: the audience could not be resolved (the poison queue's verdict); `reason` says why. */
  state: 'resolving' | 'resolved' | 'failed';
  reason?: string;
  startedAt: string;
  resolvedAt?: string;
  /** Known once resolved. */
  recipients?: number;
  batches?: number;
  /** Batches written so far while resolving. */
  batchesWritten: number;
}

const pad = (n: number) => String(n).padStart(6, '0');
const SUMMARY = '~summary';
const messageKey = (tenantId: string, messageId: string) => `${tenantKey(tenantId)}:${messageId}`;
const batchKey = (b: BatchRef) => `${messageKey(b.tenantId, b.messageId)}:${pad(b.occurrence)}:${pad(b.batch)}`;

export const pendingOf = (s: BatchSummary) => s.total - s.sent - s.failed - s.cancelled;

function toOccurrence(e: Record<string, unknown>): Occurrence {
  return {
    occurrence: Number(e.rowKey),
    channel: e.channel as Channel,
    state: e.state as Occurrence['state'],
    startedAt: String(e.startedAt),
    ...(e.reason ? { reason: String(e.reason) } : {}),
    ...(e.resolvedAt ? { resolvedAt: String(e.resolvedAt) } : {}),
    ...(e.recipients !== undefined ? { recipients: Number(e.recipients) } : {}),
    ...(e.batches !== undefined ? { batches: Number(e.batches) } : {}),
    batchesWritten: Number(e.batchesWritten ?? 0),
  };
}

function toDelivery(e: Record<string, unknown>): Delivery {
  return {
    userId: String(e.rowKey),
    upn: String(e.upn ?? ''),
    ...(e.name ? { name: String(e.name) } : {}),
    ...(e.mail ? { mail: String(e.mail) } : {}),
    ...(e.language ? { language: String(e.language) } : {}),
    status: e.status as DeliveryStatus,
    attempts: Number(e.attempts ?? 0),
    ...(e.reason ? { reason: String(e.reason) } : {}),
    ...(e.sentAt ? { sentAt: String(e.sentAt) } : {}),
  };
}

const toSummary = (e: Record<string, unknown>): BatchSummary => ({
  total: Number(e.total ?? 0),
  sent: Number(e.sent ?? 0),
  failed: Number(e.failed ?? 0),
  throttled: Number(e.throttled ?? 0),
  cancelled: Number(e.cancelled ?? 0),
  leaseUntil: Number(e.leaseUntil ?? 0),
  updatedAt: String(e.updatedAt ?? ''),
});

/** Counts a batch's rows by status: the summary is always recomputed from the rows it sits beside. */
export function summarize(rows: Iterable<Delivery>, leaseUntil: number, now: number): BatchSummary {
  const s: BatchSummary = { total: 0, sent: 0, failed: 0, throttled: 0, cancelled: 0, leaseUntil, updatedAt: new Date(now).toISOString() };
  for (const r of rows) {
    s.total++;
    if (r.status === 'sent') s.sent++;
    else if (r.status === 'failed') s.failed++;
    else if (r.status === 'throttled') s.throttled++;
    else if (r.status === 'cancelled') s.cancelled++;
  }
  return s;
}

const deliveryColumns = (d: Delivery) => ({
  upn: d.upn,
  name: d.name,
  mail: d.mail,
  language: d.language,
  status: d.status,
  attempts: d.attempts,
  reason: d.reason ?? '',
  sentAt: d.sentAt ?? '',
});

/** The occurrence's row, created (state resolving) if this is its start. */
export async function startOccurrence(tenantId: string, messageId: string, occurrence: number, channel: Channel, now: number) {
  const t = await table('occurrences');
  const entity = {
    partitionKey: messageKey(tenantId, messageId),
    rowKey: pad(occurrence),
    channel,
    state: 'resolving',
    startedAt: new Date(now).toISOString(),
    batchesWritten: 0,
  };
  try {
    await t.createEntity(entity);
    return toOccurrence(entity);
  } catch (error) {
    if (!isStatus(error, 409)) throw error;
    return (await getOccurrence(tenantId, messageId, occurrence))!;
  }
}

export async function getOccurrence(tenantId: string, messageId: string, occurrence: number): Promise<Occurrence | undefined> {
  try {
    return toOccurrence(await (await table('occurrences')).getEntity(messageKey(tenantId, messageId), pad(occurrence)));
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

export async function listOccurrences(tenantId: string, messageId: string): Promise<Occurrence[]> {
  const rows = (await table('occurrences')).listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${messageKey(tenantId, messageId)}` },
  });
  const out: Occurrence[] = [];
  for await (const e of rows) out.push(toOccurrence(e));
  return out;
}

export async function updateOccurrence(tenantId: string, messageId: string, occurrence: number, change: Partial<Occurrence>) {
  await (
    await table('occurrences')
  ).updateEntity({ partitionKey: messageKey(tenantId, messageId), rowKey: pad(occurrence), ...change }, 'Merge');
}

/**
 * Writes a batch's snapshot: every recipient pending, and the summary last (in the last transaction), so a
 * batch with a summary is complete. Returns false when it was already written (a resolution run again).
 */
export async function writeBatch(ref: BatchRef, channel: Channel, recipients: Recipient[], now: number): Promise<boolean> {
  const t = await table('deliveries');
  const pk = batchKey(ref);
  try {
    await t.getEntity(pk, SUMMARY, { queryOptions: { select: ['total'] } });
    return false;
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
  const rows: Delivery[] = recipients.map((r) => ({ ...r, status: 'pending', attempts: 0 }));
  const summary = summarize(rows, 0, now);
  for (let i = 0; i < rows.length || i === 0; i += CHUNK_SIZE) {
    const tx = new TableTransaction();
    for (const r of rows.slice(i, i + CHUNK_SIZE))
      tx.upsertEntity({ partitionKey: pk, rowKey: r.userId, channel, ...deliveryColumns(r) }, 'Replace');
    if (i + CHUNK_SIZE >= rows.length) tx.upsertEntity({ partitionKey: pk, rowKey: SUMMARY, ...summary }, 'Replace');
    await t.submitTransaction(tx.actions);
  }
  return true;
}

export interface BatchState {
  rows: Map<string, Delivery>;
  summary: BatchSummary;
  etag: string;
}

export async function readBatch(ref: BatchRef): Promise<BatchState | undefined> {
  const rows = new Map<string, Delivery>();
  let summary: BatchSummary | undefined;
  let etag = '';
  const entities = (await table('deliveries')).listEntities({ queryOptions: { filter: odata`PartitionKey eq ${batchKey(ref)}` } });
  for await (const e of entities as AsyncIterable<TableEntityResult<Record<string, unknown>>>) {
    if (e.rowKey === SUMMARY) {
      summary = toSummary(e);
      etag = e.etag;
    } else rows.set(String(e.rowKey), toDelivery(e));
  }
  return summary ? { rows, summary, etag } : undefined;
}

export class LostBatchLease extends Error {}

/**
 * Records changed deliveries with the summary recomputed, in one transaction guarded by the summary's
 * ETag: a second worker on the same batch finds it moved and stops (LostBatchLease).
 */
export async function commitBatch(ref: BatchRef, state: BatchState, changed: Delivery[], leaseUntil: number, now: number): Promise<void> {
  for (const d of changed) state.rows.set(d.userId, d);
  const summary = summarize(state.rows.values(), leaseUntil, now);
  const pk = batchKey(ref);
  const tx = new TableTransaction();
  for (const d of changed) tx.updateEntity({ partitionKey: pk, rowKey: d.userId, ...deliveryColumns(d) }, 'Merge');
  tx.updateEntity({ partitionKey: pk, rowKey: SUMMARY, ...summary }, 'Replace', { etag: state.etag });
  try {
    const result = await (await table('deliveries')).submitTransaction(tx.actions);
    const last = result.subResponses[result.subResponses.length - 1];
    state.etag = last?.etag ?? state.etag;
    state.summary = summary;
  } catch (error) {
    if (isStatus(error, 412)) throw new LostBatchLease(`batch ${pk} was taken by another worker`);
    throw error;
  }
}

/** Summaries of an occurrence's batches 0…count-1 (missing ones are not written yet). */
export async function batchSummaries(tenantId: string, messageId: string, occurrence: number, count: number): Promise<BatchSummary[]> {
  const t = await table('deliveries');
  const out: BatchSummary[] = [];
  for (let from = 0; from < count; from += 32) {
    const part = await Promise.all(
      Array.from({ length: Math.min(32, count - from) }, async (_, i) => {
        try {
          return toSummary(await t.getEntity(batchKey({ tenantId, messageId, occurrence, batch: from + i }), SUMMARY));
        } catch (error) {
          if (isStatus(error, 404)) return undefined;
          throw error;
        }
      }),
    );
    for (const s of part) if (s) out.push(s);
  }
  return out;
}

export interface RecipientPage {
  items: Delivery[];
  /** Opaque; absent on the last page. */
  continuation?: string;
}

/** One page of an occurrence's deliveries, batch by batch, optionally only those with `status`. */
export async function listDeliveries(
  tenantId: string,
  messageId: string,
  occurrence: number,
  batches: number,
  options: { status?: DeliveryStatus; pageSize: number; after?: { batch: number; userId: string } },
): Promise<RecipientPage> {
  const t = await table('deliveries');
  const items: Delivery[] = [];
  let batch = options.after?.batch ?? 0;
  let afterUser = options.after?.userId ?? '';
  for (; batch < batches; batch++, afterUser = '') {
    const pk = batchKey({ tenantId, messageId, occurrence, batch });
    let filter = odata`PartitionKey eq ${pk} and RowKey gt ${afterUser} and RowKey lt ${SUMMARY}`;
    if (options.status) filter += odata` and status eq ${options.status}`;
    for await (const e of t.listEntities({ queryOptions: { filter } })) {
      items.push(toDelivery(e));
      if (items.length === options.pageSize) {
        const continuation = Buffer.from(JSON.stringify({ b: batch, u: e.rowKey })).toString('base64url');
        return { items, continuation };
      }
    }
  }
  return { items };
}

export function decodeRecipientContinuation(token: string): { batch: number; userId: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { b: unknown; u: unknown };
    if (Number.isInteger(v.b) && typeof v.u === 'string') return { batch: v.b as number, userId: v.u };
  } catch {
    // not ours
  }
  return undefined;
}
