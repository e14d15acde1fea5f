/**
 * Push-channel delivery state (docs/storage.md, docs/delivery.md): per occurrence, a row saying how far audience resolution got;
 * per batch of ≤ 990 recipients, one partition holding
 * - the resolved audience snapshot, as ≤ 10 chunk rows of 99 recipients (written in one transaction with
 *   the summary, so a batch is either wholly there or not at all),
 * - ≤ 10 outcome rows, `~out:0`…`~out:9`, each holding the outcomes (sent, failed, throttled, cancelled,
 *   unconfirmed, or pending after a transient error) of the recipients whose key hashes to it — a
 *   recipient without one is pending. They are the idempotency gate: nobody recorded `sent` is sent to
 *   again. A chunk's outcomes rewrite the few rows its recipients hash to, not a row per recipient, and a
 *   recipient's delivery is one point read of its row,
 * - a summary row kept in step with the outcome rows in the same entity-group transactions, so progress
 *   is exact and cheap to read. It also lists the recipients in flight (`sending`, recorded before the
 *   provider call), so marking a chunk in flight rewrites the summary alone. While listed, a recipient is
 *   `sending` whatever its outcome says (an earlier throttled or pending one).
 * A 99-recipient chunk costs two transactions of ≤ 11 entities: what a 100k send costs in Table operations
 * is ~2,000 transactions and ~12,000 entity writes. Rows an older build wrote per recipient (row key = the
 * recipient's key) are still read; an outcome row's entry, being newer, comes before them.
 */
import { createHash } from 'node:crypto';
import { odata, TableTransaction, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import {
  CHUNK_SIZE,
  LostBatchLease,
  summarize,
  type BatchState,
  type BatchSummary,
  type Channel,
  type Delivery,
  type DeliveryStatus,
  type Occurrence,
  type Recipient,
} from '../../core/delivery.js';
import { isDeviceApp } from '../../core/notification.js';
import { messageKey } from './keys.js';
import { findEntity, isStatus, table } from './storageClients.js';
import type { BatchRef } from '../../core/hops.js';

const pad = (n: number) => String(n).padStart(6, '0');
const SUMMARY = '~summary';
const CHUNK_PREFIX = '~chunk:';
const OUTCOME_PREFIX = '~out:';
/** Outcome rows per batch: a batch holds ≤ 10 chunks, so each row holds about a chunk's recipients. */
const OUTCOME_ROWS = 10;
/** Not `batchOf`'s hash: a push batch's devices share that hash modulo the batch count and would crowd one row. */
const outcomeRowOf = (key: string) => createHash('md5').update(key).digest().readUInt32BE(0) % OUTCOME_ROWS;
/** Each recipient's outcome row, per batch read: a commit looks at every row of the batch, twenty times a batch. */
const rowIndexes = new WeakMap<BatchState, Map<string, number>>();
function outcomeRowIn(state: BatchState, key: string): number {
  let indexes = rowIndexes.get(state);
  if (!indexes) rowIndexes.set(state, (indexes = new Map()));
  let index = indexes.get(key);
  if (index === undefined) indexes.set(key, (index = outcomeRowOf(key)));
  return index;
}
/** Tables keeps a string property to 64 KiB (32K UTF-16 units); a chunk's JSON is cut into parts below that. */
const PART_CHARS = 30_000;
const batchKey = (b: BatchRef) => `${messageKey(b.tenantId, b.messageId)}:${pad(b.occurrence)}:${pad(b.batch)}`;

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

/** A recipient's outcome as an outcome row keeps it: status, attempts, and the reason and time when there are any. */
type Outcome = [status: DeliveryStatus, attempts: number, reason?: string, sentAt?: string];

const outcomeOfRow = (e: Record<string, unknown>): Outcome => [
  e.status as DeliveryStatus,
  Number(e.attempts ?? 0),
  String(e.reason ?? ''),
  String(e.sentAt ?? ''),
];

function toDelivery(recipient: Recipient, outcome: Outcome | undefined): Delivery {
  if (!outcome) return { ...recipient, status: 'pending', attempts: 0 };
  const [status, attempts, reason, sentAt] = outcome;
  return { ...recipient, status, attempts, ...(reason ? { reason } : {}), ...(sentAt ? { sentAt } : {}) };
}

/** Whether the recipient has anything to record: not in flight (the summary lists those) and not untouched. */
const recorded = (d: Delivery) => d.status !== 'sending' && !(d.status === 'pending' && d.attempts === 0 && !d.reason);

/**
 * A reason is kept to this many characters: an outcome row holds ~99 (at most ~150) recipients and an entity
 * at most 1 MiB, ten of them one 4 MiB transaction. Providers' reasons are a few hundred characters.
 */
const REASON_CHARS = 2000;

const outcomeEntity = (pk: string, index: number, rows: Delivery[]) => {
  const outcomes: Record<string, Outcome> = {};
  for (const d of rows) {
    const o: Outcome = [d.status, d.attempts];
    if (d.reason || d.sentAt) o.push((d.reason ?? '').slice(0, REASON_CHARS));
    if (d.sentAt) o.push(d.sentAt);
    outcomes[d.userId] = o;
  }
  return { partitionKey: pk, rowKey: `${OUTCOME_PREFIX}${index}`, ...toParts(JSON.stringify(outcomes), 'p', 'parts') };
};

const outcomesOf = (e: Record<string, unknown>) => JSON.parse(fromParts(e, 'p', 'parts') ?? '{}') as Record<string, Outcome>;

const toSummary = (e: Record<string, unknown>): BatchSummary => ({
  total: Number(e.total ?? 0),
  sent: Number(e.sent ?? 0),
  failed: Number(e.failed ?? 0),
  throttled: Number(e.throttled ?? 0),
  cancelled: Number(e.cancelled ?? 0),
  sending: Number(e.sending ?? 0),
  unconfirmed: Number(e.unconfirmed ?? 0),
  leaseUntil: Number(e.leaseUntil ?? 0),
  updatedAt: String(e.updatedAt ?? ''),
});

type Packed = [
  userId: string,
  upn: string,
  name?: string,
  mail?: string,
  language?: string,
  owner?: string,
  platform?: string,
  token?: string,
  app?: string,
  appVersion?: string,
];
const pack = (r: Recipient): Packed => {
  const packed: Packed = [r.userId, r.upn, r.name ?? '', r.mail === r.upn ? '=' : (r.mail ?? ''), r.language ?? ''];
  if (r.device) packed.push(r.device.owner, r.device.platform, r.device.token, r.device.app ?? '', r.device.appVersion ?? '');
  return packed;
};
const unpack = ([userId, upn, name, mail, language, owner, platform, token, app, appVersion]: Packed): Recipient => ({
  userId,
  upn,
  ...(name ? { name } : {}),
  ...(mail ? { mail: mail === '=' ? upn : mail } : {}),
  ...(language ? { language } : {}),
  ...(owner && platform && token
    ? { device: { owner, platform, token, ...(isDeviceApp(app) ? { app } : {}), ...(appVersion ? { appVersion } : {}) } }
    : {}),
});

/** `json` as string columns `<prefix>0…` below the property limit, and how many (column `count`). */
function toParts(json: string, prefix: string, count: string): Record<string, string | number> {
  const parts: Record<string, string | number> = {};
  let n = 0;
  for (; n * PART_CHARS < json.length; n++) parts[`${prefix}${n}`] = json.slice(n * PART_CHARS, (n + 1) * PART_CHARS);
  return { [count]: n, ...parts };
}

function fromParts(e: Record<string, unknown>, prefix: string, count: string): string | undefined {
  const n = Number(e[count] ?? 0);
  if (n === 0) return undefined;
  let json = '';
  for (let i = 0; i < n; i++) json += String(e[`${prefix}${i}`] ?? '');
  return json;
}

function chunkEntity(pk: string, index: number, recipients: Recipient[]) {
  return {
    partitionKey: pk,
    rowKey: `${CHUNK_PREFIX}${String(index).padStart(2, '0')}`,
    ...toParts(JSON.stringify(recipients.map(pack)), 'p', 'parts'),
  };
}

const chunkRecipients = (e: Record<string, unknown>): Recipient[] =>
  (JSON.parse(fromParts(e, 'p', 'parts') ?? '[]') as Packed[]).map(unpack);

/** A recipient in flight as the summary lists it: key, attempts, and the last transient error if any. */
type InFlight = [userId: string, attempts: number, reason?: string];
const IN_FLIGHT = { prefix: 'f', count: 'inFlightParts' } as const;

const inFlightColumns = (rows: Iterable<Delivery>) => {
  const list: InFlight[] = [];
  for (const d of rows)
    if (d.status === 'sending') list.push(d.reason ? [d.userId, d.attempts, d.reason.slice(0, REASON_CHARS)] : [d.userId, d.attempts]);
  return list.length ? toParts(JSON.stringify(list), IN_FLIGHT.prefix, IN_FLIGHT.count) : {};
};

function inFlightOf(summary: Record<string, unknown>): Map<string, { attempts: number; reason?: string }> {
  const json = fromParts(summary, IN_FLIGHT.prefix, IN_FLIGHT.count);
  const list = json ? (JSON.parse(json) as InFlight[]) : [];
  return new Map(list.map(([userId, attempts, reason]) => [userId, { attempts, ...(reason ? { reason } : {}) }]));
}

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
  const e = await findEntity(await table('occurrences'), messageKey(tenantId, messageId), pad(occurrence));
  return e && toOccurrence(e);
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
 * Writes a batch's snapshot — its chunks and the summary — in one transaction. Returns false when it was
 * there already (a resolution run again after a crash).
 */
export async function writeBatch(ref: BatchRef, channel: Channel, recipients: Recipient[], now: number): Promise<boolean> {
  const pk = batchKey(ref);
  const actions: TransactionAction[] = [];
  for (let i = 0; i * CHUNK_SIZE < recipients.length; i++)
    actions.push(['create', chunkEntity(pk, i, recipients.slice(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE))]);
  const summary = { ...summarize([], 0, now), total: recipients.length };
  actions.push(['create', { partitionKey: pk, rowKey: SUMMARY, channel, chunks: actions.length, ...summary }]);
  try {
    await (await table('deliveries')).submitTransaction(actions);
    return true;
  } catch (error) {
    if (isStatus(error, 409)) return false;
    throw error;
  }
}

export async function readBatch(ref: BatchRef): Promise<BatchState | undefined> {
  const chunks: Recipient[][] = [];
  const outcomes = new Map<string, Outcome>();
  const older = new Map<string, Outcome>();
  let summary: BatchSummary | undefined;
  let inFlight = new Map<string, { attempts: number; reason?: string }>();
  let etag = '';
  const entities = (await table('deliveries')).listEntities({ queryOptions: { filter: odata`PartitionKey eq ${batchKey(ref)}` } });
  for await (const e of entities as AsyncIterable<TableEntityResult<Record<string, unknown>>>) {
    const key = String(e.rowKey);
    if (key === SUMMARY) {
      summary = toSummary(e);
      inFlight = inFlightOf(e);
      etag = e.etag;
    } else if (key.startsWith(CHUNK_PREFIX)) chunks[Number(key.slice(CHUNK_PREFIX.length))] = chunkRecipients(e);
    else if (key.startsWith(OUTCOME_PREFIX)) for (const [id, o] of Object.entries(outcomesOf(e))) outcomes.set(id, o);
    else older.set(key, outcomeOfRow(e));
  }
  if (!summary) return undefined;
  const rows = new Map<string, Delivery>();
  for (const chunk of chunks)
    for (const r of chunk ?? []) {
      const flying = inFlight.get(r.userId);
      rows.set(r.userId, flying ? { ...r, status: 'sending', ...flying } : toDelivery(r, outcomes.get(r.userId) ?? older.get(r.userId)));
    }
  return { rows, summary, etag };
}

/**
 * Records changed deliveries with the summary recomputed, in one transaction guarded by the summary's
 * ETag: a second worker on the same batch finds it moved and stops (LostBatchLease). A recipient now in
 * flight is listed in the summary; the outcome rows that changed recipients hash to are rewritten whole.
 */
export async function commitBatch(ref: BatchRef, state: BatchState, changed: Delivery[], leaseUntil: number, now: number): Promise<void> {
  for (const d of changed) state.rows.set(d.userId, d);
  const summary = summarize(state.rows.values(), leaseUntil, now);
  const pk = batchKey(ref);
  const tx = new TableTransaction();
  const touched = new Set<number>();
  for (const d of changed) if (d.status !== 'sending') touched.add(outcomeRowIn(state, d.userId));
  if (touched.size > 0) {
    const byRow = new Map<number, Delivery[]>([...touched].map((i) => [i, []]));
    for (const d of state.rows.values()) if (recorded(d)) byRow.get(outcomeRowIn(state, d.userId))?.push(d);
    for (const [i, rows] of byRow) tx.upsertEntity(outcomeEntity(pk, i, rows), 'Replace');
  }
  tx.updateEntity({ partitionKey: pk, rowKey: SUMMARY, ...summary, ...inFlightColumns(state.rows.values()) }, 'Replace', {
    etag: state.etag,
  });
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
  const out: BatchSummary[] = [];
  for (let from = 0; from < count; from += 32) {
    const part = await Promise.all(
      Array.from({ length: Math.min(32, count - from) }, (_, i) => batchSummary({ tenantId, messageId, occurrence, batch: from + i })),
    );
    for (const s of part) if (s) out.push(s);
  }
  return out;
}

const SUMMARY_COLUMNS = ['total', 'sent', 'failed', 'throttled', 'cancelled', 'sending', 'unconfirmed', 'leaseUntil', 'updatedAt'];

/** One batch's summary; undefined when the batch is not written (yet). */
export async function batchSummary(ref: BatchRef): Promise<BatchSummary | undefined> {
  const e = await findEntity(await table('deliveries'), batchKey(ref), SUMMARY, SUMMARY_COLUMNS);
  return e && toSummary(e);
}

export interface RecipientPage {
  items: Delivery[];
  /** Opaque; absent on the last page. */
  continuation?: string;
}

/** One recipient's delivery in a batch: undefined while pending (or when not in the batch). */
export async function deliveryRow(ref: BatchRef, key: string): Promise<{ status: DeliveryStatus; sentAt?: string } | undefined> {
  const t = await table('deliveries');
  const pk = batchKey(ref);
  const [outcomes, older, summary] = await Promise.all([
    findEntity(t, pk, `${OUTCOME_PREFIX}${outcomeRowOf(key)}`),
    findEntity(t, pk, key, ['status', 'attempts', 'sentAt']),
    findEntity(t, pk, SUMMARY),
  ]);
  if (summary && inFlightOf(summary).has(key)) return { status: 'sending' };
  const outcome = (outcomes && outcomesOf(outcomes)[key]) ?? (older && outcomeOfRow(older));
  if (!outcome) return undefined;
  const [status, , , sentAt] = outcome;
  return { status, ...(sentAt ? { sentAt } : {}) };
}

/** One page of an occurrence's deliveries, batch by batch in snapshot order, optionally only those with `status`. */
export async function listDeliveries(
  tenantId: string,
  messageId: string,
  occurrence: number,
  batches: number,
  options: { status?: DeliveryStatus; pageSize: number; after?: { batch: number; userId: string } },
): Promise<RecipientPage> {
  const items: Delivery[] = [];
  for (let batch = options.after?.batch ?? 0; batch < batches; batch++) {
    const state = await readBatch({ tenantId, messageId, occurrence, batch });
    if (!state) continue;
    let rows = [...state.rows.values()];
    if (options.after && batch === options.after.batch) rows = rows.slice(rows.findIndex((d) => d.userId === options.after!.userId) + 1);
    for (const d of rows) {
      if (options.status && d.status !== options.status) continue;
      items.push(d);
      if (items.length === options.pageSize) {
        return { items, continuation: Buffer.from(JSON.stringify({ b: batch, u: d.userId })).toString('base64url') };
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
