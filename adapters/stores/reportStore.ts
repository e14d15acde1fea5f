/**
 * The report read model (docs/storage.md `reports`, docs/decisions/report-folding.md): table `reports`,
 * PartitionKey tenant:
 * - RowKey message id: a copy of the message's counters — `totals` and one column per month (`m202611`, the
 *   days of November 2026) with their versions (`tv`, `v202611`). A message's figures are one point read.
 * - RowKey `~m|yyyy-MM`: the tenant's rollup of that month, `days` — every copy's column of the month
 *   added up — and `~n`: how many copies there are, `count`. A tenant-wide report reads these few rows,
 *   however many messages were counted.
 *
 * The copies are written shortly after a counter commit (adapters/stores/counterStore), with the commits of
 * the meantime folded in, one write in flight per tenant: an entity-group transaction that merges the
 * changed columns into each copy against its ETag and adds each copy's change (new minus old) to the
 * month rollups against theirs, so a rollup always equals the sum of the copies as stored. A column is only
 * ever replaced by a newer version of itself, so two instances writing at once cannot move it back. A rollup
 * that does not exist yet (messages counted before rollups existed) is built once from the copies and
 * created in the transaction that first needs it, or by the first report that reads it; every copy write
 * touches the rollups of its months, so a concurrent write makes that create fail (409) and it is redone.
 * A read on this instance first waits for its own pending writes, so what was just counted here is in the
 * answer.
 */
import pMap, { pMapSkip } from 'p-map';
import { odata, TableTransaction, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { addDays, type Counts, type DayCounts } from '../../core/reportMath.js';
import { MESSAGE_ID, tenantKey } from './keys.js';
import { findEntity, isStatus, table } from './storageClients.js';

/** A message's counter rows as a commit left them (what adapters/stores/counterStore hands over). */
export interface CommittedCounts {
  tenantId: string;
  messageId: string;
  totals: { counts: Counts; version: number };
  /** By month (yyyy-MM): its days' counts. */
  months: Map<string, { days: DayCounts; version: number }>;
}

/** A copy as stored: what the next write changes and subtracts from the rollups. Month days as JSON text. */
interface StoredCopy {
  etag: string;
  tv: number;
  months: Map<string, { version: number; json: string }>;
}

interface StoredRollup {
  /** Absent: not stored yet (built from the copies, to be created). */
  etag?: string;
  days: DayCounts;
}

interface StoredCount {
  etag?: string;
  count: number;
}

interface TenantPending {
  messages: Map<string, CommittedCounts>;
  running?: Promise<void>;
}

const pending = new Map<string, TenantPending>();
/** The copies and rollups as this instance last wrote or read them, so the next write needs no read first. */
const copies = new Map<string, StoredCopy>();
const rollups = new Map<string, StoredRollup>();
const messageCounts = new Map<string, StoredCount>();
const MAX_CACHED = 2000;
/**
 * How long copies wait for more commits to fold in: under a steady stream of events one write per tenant
 * and half second instead of one per commit. `settled` waits it out.
 */
const COPY_DELAY_MS = 500;
/** Operations one entity-group transaction may hold, and a bound on its body (Azure allows 4 MiB). */
const MAX_OPERATIONS = 100;
const MAX_BATCH_CHARS = 1_500_000;
const MAX_ATTEMPTS = 50;
const COUNT_ROW = '~n';
const ROLLUP_PREFIX = '~m|';
/** Copies' row keys sort before this: message and notification ids are alphanumeric, `~` sorts after them. */
const COPIES_END = '~';
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const reports = () => table('reports');
const monthColumn = (month: string) => `m${month.replace('-', '')}`;
const versionColumn = (month: string) => `v${month.replace('-', '')}`;
const rollupKey = (month: string) => `${ROLLUP_PREFIX}${month}`;

function cache<T>(map: Map<string, T>, key: string, value: T | undefined) {
  map.delete(key);
  if (value === undefined) return;
  map.set(key, value);
  if (map.size > MAX_CACHED) map.delete(map.keys().next().value!);
}

/** The later of two commits' copies: per column, the higher version wins. */
function fold(a: CommittedCounts, b: CommittedCounts): CommittedCounts {
  const months = new Map(a.months);
  for (const [m, row] of b.months) if ((months.get(m)?.version ?? -1) < row.version) months.set(m, row);
  return { ...a, totals: b.totals.version > a.totals.version ? b.totals : a.totals, months };
}

/** Writes (soon) the copy of a commit's rows; returns at once. */
export function project(committed: CommittedCounts): void {
  let tenant = pending.get(committed.tenantId);
  if (!tenant) pending.set(committed.tenantId, (tenant = { messages: new Map() }));
  const before = tenant.messages.get(committed.messageId);
  tenant.messages.set(committed.messageId, before ? fold(before, committed) : committed);
  schedule(committed.tenantId, tenant);
}

function schedule(tenantId: string, t: TenantPending) {
  t.running ??= delay(COPY_DELAY_MS)
    .then(() => writeAll(tenantId, t))
    .finally(() => {
      t.running = undefined;
      // A commit can arrive between the last batch and here.
      if (t.messages.size > 0) schedule(tenantId, t);
      else pending.delete(tenantId);
    });
}

async function writeAll(tenantId: string, t: TenantPending) {
  while (t.messages.size > 0) {
    const batch = takeBatch(t);
    try {
      await writeBatch(await reports(), tenantId, batch);
    } catch (error) {
      // The counters hold the truth; the copies catch up with each message's next commit (or the reconciler).
      console.error(`reports: copies of ${batch.map((c) => c.messageId).join(', ')} not written: ${String(error)}`);
      for (const c of batch) cache(copies, `${tenantId}:${c.messageId}`, undefined);
      for (const m of new Set(batch.flatMap((c) => [...c.months.keys()]))) cache(rollups, `${tenantId}:${m}`, undefined);
      cache(messageCounts, tenantId, undefined);
    }
  }
}

/** The next copies that fit one transaction: each copy, each month rollup they touch and the count. */
function takeBatch(t: TenantPending): CommittedCounts[] {
  const batch: CommittedCounts[] = [];
  const months = new Set<string>();
  let chars = 0;
  for (const [id, c] of t.messages) {
    const more = [...c.months.keys()].filter((m) => !months.has(m));
    const size = [...c.months.values()].reduce((n, row) => n + JSON.stringify(row.days).length, 0);
    if (batch.length > 0 && (batch.length + 1 + months.size + more.length + 1 > MAX_OPERATIONS || chars + size > MAX_BATCH_CHARS)) break;
    batch.push(c);
    for (const m of more) months.add(m);
    chars += size;
    t.messages.delete(id);
  }
  return batch;
}

/** What a write changes in one copy: the columns newer than the stored ones. */
interface Change {
  committed: CommittedCounts;
  stored: StoredCopy | undefined;
  totals?: { counts: Counts; version: number };
  months: [string, { days: DayCounts; version: number }][];
}

async function writeBatch(client: TableClient, tenantId: string, batch: CommittedCounts[]) {
  const pk = tenantKey(tenantId);
  for (let attempt = 0; ; attempt++) {
    const stored = await Promise.all(batch.map((c) => copies.get(`${tenantId}:${c.messageId}`) ?? readCopy(client, pk, c.messageId)));
    const changes: Change[] = batch
      .map((committed, i) => changeOf(committed, stored[i]))
      .filter((c) => c.totals !== undefined || c.months.length > 0);
    if (changes.length === 0) return;
    const months = [...new Set(changes.flatMap((c) => c.months.map(([m]) => m)))];
    const creates = changes.filter((c) => !c.stored).length;
    const cached = months.map((m) => rollups.get(`${tenantId}:${m}`));
    const [read, countRow] = await Promise.all([
      readRollups(
        client,
        pk,
        months.filter((_, i) => !cached[i]),
      ),
      creates > 0 ? (messageCounts.get(tenantId) ?? readCount(client, pk)) : undefined,
    ]);
    const monthRows = months.map((m, i) => cached[i] ?? read.get(m)!);

    const tx = new TableTransaction();
    const nextRollups = new Map(months.map((m, i) => [m, structuredClone(monthRows[i]!.days)]));
    for (const c of changes) {
      const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
        partitionKey: pk,
        rowKey: c.committed.messageId,
      };
      if (c.totals) Object.assign(entity, { totals: JSON.stringify(c.totals.counts), tv: c.totals.version });
      for (const [m, row] of c.months) {
        entity[monthColumn(m)] = JSON.stringify(row.days);
        entity[versionColumn(m)] = row.version;
        const into = nextRollups.get(m)!;
        addDays(into, row.days);
        const old = c.stored?.months.get(m);
        if (old) addDays(into, JSON.parse(old.json) as DayCounts, -1);
      }
      if (c.stored) tx.updateEntity(entity, 'Merge', { etag: c.stored.etag });
      else tx.createEntity(entity);
    }
    for (const [i, m] of months.entries()) put(tx, pk, rollupKey(m), monthRows[i]!.etag, { days: JSON.stringify(nextRollups.get(m)) });
    if (countRow) put(tx, pk, COUNT_ROW, countRow.etag, { count: countRow.count + creates });

    let etags: Map<string, string | undefined>;
    try {
      const { subResponses } = await client.submitTransaction(tx.actions);
      etags = new Map(subResponses.map((r, i) => [r.rowKey ?? rowKeyAt(tx, i), r.etag]));
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || (!isStatus(error, 412) && !isStatus(error, 409) && !isStatus(error, 404))) throw error;
      // Another instance wrote one of these rows first: read them again.
      for (const c of batch) cache(copies, `${tenantId}:${c.messageId}`, undefined);
      for (const m of months) cache(rollups, `${tenantId}:${m}`, undefined);
      cache(messageCounts, tenantId, undefined);
      continue;
    }
    for (const c of changes) cache(copies, `${tenantId}:${c.committed.messageId}`, afterWrite(c, etags.get(c.committed.messageId)));
    for (const m of months) {
      const etag = etags.get(rollupKey(m));
      cache(rollups, `${tenantId}:${m}`, etag ? { etag, days: nextRollups.get(m)! } : undefined);
    }
    if (countRow) {
      const etag = etags.get(COUNT_ROW);
      cache(messageCounts, tenantId, etag ? { etag, count: countRow.count + creates } : undefined);
    }
    return;
  }
}

const rowKeyAt = (tx: TableTransaction, i: number) => (tx.actions[i]?.[1] as { rowKey?: string } | undefined)?.rowKey ?? '';

function put(tx: TableTransaction, pk: string, rowKey: string, etag: string | undefined, columns: Record<string, unknown>) {
  const entity = { partitionKey: pk, rowKey, ...columns };
  if (etag) tx.updateEntity(entity, 'Replace', { etag });
  else tx.createEntity(entity);
}

function changeOf(committed: CommittedCounts, stored: StoredCopy | undefined): Change {
  return {
    committed,
    stored,
    ...(!stored || stored.tv < committed.totals.version ? { totals: committed.totals } : {}),
    months: [...committed.months].filter(([m, row]) => (stored?.months.get(m)?.version ?? -1) < row.version),
  };
}

function afterWrite(c: Change, etag: string | undefined): StoredCopy | undefined {
  if (!etag) return undefined;
  const months = new Map(c.stored?.months);
  for (const [m, row] of c.months) months.set(m, { version: row.version, json: JSON.stringify(row.days) });
  return { etag, tv: c.totals?.version ?? c.stored!.tv, months };
}

const storedCopy = (e: TableEntityResult<Record<string, unknown>>): StoredCopy => {
  const months = new Map<string, { version: number; json: string }>();
  for (const [column, value] of Object.entries(e))
    if (/^m\d{6}$/.test(column) && typeof value === 'string')
      months.set(`${column.slice(1, 5)}-${column.slice(5)}`, { version: Number(e[`v${column.slice(1)}`] ?? -1), json: value });
  return { etag: e.etag, tv: Number(e.tv ?? -1), months };
};

async function readCopy(client: TableClient, pk: string, messageId: string): Promise<StoredCopy | undefined> {
  const e = await findEntity(client, pk, messageId);
  return e ? storedCopy(e) : undefined;
}

/** The copies' rows (not the rollups), `select`ed, in pages small enough to bound memory. */
function listCopies(client: TableClient, pk: string, select: string[]) {
  return client.listEntities<Record<string, unknown>>({
    queryOptions: { filter: odata`PartitionKey eq ${pk} and RowKey lt ${COPIES_END}`, select },
  });
}

/**
 * The tenant's rollups of `months` as stored; one not stored yet is built from the copies (etag absent: the
 * write that stores it creates it).
 */
async function readRollups(client: TableClient, pk: string, months: readonly string[]): Promise<Map<string, StoredRollup>> {
  const out = new Map<string, StoredRollup>();
  if (months.length === 0) return out;
  const sorted = [...months].sort();
  const rows = client.listEntities<{ days?: string }>({
    queryOptions: {
      filter: odata`PartitionKey eq ${pk} and RowKey ge ${rollupKey(sorted[0]!)} and RowKey le ${rollupKey(sorted[sorted.length - 1]!)}`,
    },
  });
  for await (const e of rows) {
    const m = e.rowKey!.slice(ROLLUP_PREFIX.length);
    if (months.includes(m)) out.set(m, { etag: e.etag, days: JSON.parse(e.days ?? '{}') as DayCounts });
  }
  const missing = months.filter((m) => !out.has(m));
  if (missing.length === 0) return out;
  const built = new Map(missing.map((m) => [m, {} as DayCounts]));
  for await (const e of listCopies(client, pk, ['RowKey', ...missing.map(monthColumn)]))
    for (const m of missing) {
      const json = e[monthColumn(m)];
      if (typeof json === 'string') addDays(built.get(m)!, JSON.parse(json) as DayCounts);
    }
  for (const [m, days] of built) out.set(m, { days });
  return out;
}

/** The tenant's count of copies as stored, or counted from the copies when not stored yet. */
async function readCount(client: TableClient, pk: string): Promise<StoredCount> {
  const e = await findEntity(client, pk, COUNT_ROW);
  if (e) return { etag: e.etag, count: Number(e.count) };
  let count = 0;
  for await (const _ of listCopies(client, pk, ['RowKey'])) count++;
  return { count };
}

/** Stores what `readRollups` and `readCount` built, so the next report reads it; someone storing it first is fine. */
async function storeBuilt(client: TableClient, pk: string, rollupRows: Map<string, StoredRollup>, count: StoredCount) {
  const tx = new TableTransaction();
  for (const [m, r] of rollupRows) if (!r.etag) tx.createEntity({ partitionKey: pk, rowKey: rollupKey(m), days: JSON.stringify(r.days) });
  if (!count.etag) tx.createEntity({ partitionKey: pk, rowKey: COUNT_ROW, count: count.count });
  if (tx.actions.length === 0) return;
  try {
    await client.submitTransaction(tx.actions);
  } catch (error) {
    // 409: a copy write (or another report) stored one of them meanwhile; the next report reads what is stored.
    if (!isStatus(error, 409)) throw error;
  }
}

/** Waits for this instance's copies of `tenantId`'s counters to be written. */
export async function settled(tenantId: string): Promise<void> {
  for (let running = pending.get(tenantId)?.running; running; running = pending.get(tenantId)?.running) await running;
}

/**
 * Brings the message's copy up to `committed` (the counters as they stand) when it lacks something — a
 * column missing or older, as a crash between a commit and its copy leaves it. True when it was behind.
 */
export async function repairCopy(committed: CommittedCounts): Promise<boolean> {
  await settled(committed.tenantId);
  const stored = await readCopy(await reports(), tenantKey(committed.tenantId), committed.messageId);
  const change = changeOf(committed, stored);
  if (change.totals === undefined && change.months.length === 0) return false;
  // What was just read, not what this instance remembers writing: the repair is for when those differ.
  cache(copies, `${committed.tenantId}:${committed.messageId}`, stored);
  project(committed);
  await settled(committed.tenantId);
  return true;
}

export interface MessageReport {
  messageId: string;
  totals: Counts;
  /** Counts by day, for the months asked for. */
  days: Map<string, Counts>;
}

const toReport = (e: Record<string, unknown>, months: readonly string[]): MessageReport => {
  const days = new Map<string, Counts>();
  for (const m of months) {
    const json = e[monthColumn(m)];
    if (typeof json === 'string') for (const [day, counts] of Object.entries(JSON.parse(json) as DayCounts)) days.set(day, counts);
  }
  return { messageId: String(e.rowKey), totals: JSON.parse(String(e.totals)) as Counts, days };
};

/** Totals of the given messages (missing: nothing counted yet). */
export async function messageTotals(tenantId: string, ids: readonly string[]): Promise<Map<string, Counts>> {
  await settled(tenantId);
  const client = await reports();
  const out = new Map<string, Counts>();
  await Promise.all(
    ids
      .filter((id) => MESSAGE_ID.test(id))
      .map(async (id) => {
        const e = await findEntity(client, tenantKey(tenantId), id, ['totals']);
        if (e) out.set(id, JSON.parse(String(e.totals)) as Counts);
      }),
  );
  return out;
}

/** The tenant's activity over `months` (yyyy-MM): every counted message's days added up, and how many there are. */
export async function tenantActivity(
  tenantId: string,
  months: readonly string[],
): Promise<{ messages: number; days: Map<string, Counts> }> {
  await settled(tenantId);
  const client = await reports();
  const pk = tenantKey(tenantId);
  const [rollupRows, count] = await Promise.all([readRollups(client, pk, months), readCount(client, pk)]);
  await storeBuilt(client, pk, rollupRows, count);
  const days = new Map<string, Counts>();
  for (const r of rollupRows.values()) for (const [day, counts] of Object.entries(r.days)) days.set(day, counts);
  return { messages: count.count, days };
}

/** Copies read one by one below this many messages, the partition beyond. */
const POINT_READS_UP_TO = 200;
const POINT_READ_CONCURRENCY = 16;
const PAGE_ROWS = 100;

/**
 * The counted messages among `ids` with their days in `months` (yyyy-MM): a point read each for a few, the
 * partition in pages of 100 rows for many (each row can hold a year of days).
 */
export async function* messageReports(tenantId: string, months: readonly string[], ids: ReadonlySet<string>): AsyncIterable<MessageReport> {
  await settled(tenantId);
  const client = await reports();
  const pk = tenantKey(tenantId);
  const select = ['RowKey', 'totals', ...months.map(monthColumn)];
  if (ids.size > POINT_READS_UP_TO) {
    for await (const page of listCopies(client, pk, select).byPage({ maxPageSize: PAGE_ROWS }))
      for (const e of page) if (ids.has(String(e.rowKey))) yield toReport(e, months);
    return;
  }
  const wanted = [...ids].filter((id) => MESSAGE_ID.test(id)).sort();
  const found = await pMap(
    wanted,
    async (id) => {
      const e = await findEntity(client, pk, id, select);
      return e ? toReport(e, months) : pMapSkip;
    },
    { concurrency: POINT_READ_CONCURRENCY },
  );
  yield* found;
}
