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
 * month rollups against theirs, so a rollup always equals the sum of the copies as stored. A column is the
 * counter shards added up (core/counterShards), with the version of each shard it includes (`tv`,
 * `vYYYYMM`: JSON; a number is the shard `''` of before shards). A commit of this process's shard trades
 * that shard's old value in the column for the new one — the values it committed are kept here until the
 * copy has moved past them —, and a column is only ever replaced by one that includes it, so two instances
 * writing at once cannot move it back. A column this process cannot bring level so (a restart, a repair) is
 * rebuilt from the counters (adapters/stores/counterRows `committedCounts`). A rollup
 * that does not exist yet (messages counted before rollups existed) is built once from the copies and
 * created in the transaction that first needs it, or by the first report that reads it; every copy write
 * touches the rollups of its months, so a concurrent write makes that create fail (409) and it is redone.
 * A read on this instance first waits for its own pending writes, so what was just counted here is in the
 * answer.
 */
import pMap, { pMapSkip } from 'p-map';
import { odata, TableTransaction, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { includes, nextFigure, type CommittedCounts, type Figure, type Versions } from '../../core/counterShards.js';
import { addDays, addInto, type Counts, type DayCounts } from '../../core/reportMath.js';
import { committedCounts } from './counterRows.js';
import { MESSAGE_ID, tenantKey } from './keys.js';
import { findEntity, isStatus, table } from './storageClients.js';

/** A copy as stored: what the next write changes and subtracts from the rollups. Month days as JSON text. */
interface StoredCopy {
  etag: string;
  totals?: Figure<Counts>;
  months: Map<string, { versions: Versions; json: string }>;
}

/**
 * The values of a shard this process committed, per column and version, from the version the copy holds
 * on: what a commit of that shard takes out of the column when it puts its new value in.
 */
interface ShardHistory {
  totals: Map<string, Map<number, Counts>>;
  months: Map<string, Map<string, Map<number, DayCounts>>>;
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
const histories = new Map<string, ShardHistory>();
/**
 * Messages whose copy this process has brought level with every shard (from the counters). A process that
 * died may have committed its shard and not yet written the copy (the write waits COPY_DELAY_MS); its shard
 * never commits again, so no later commit of another shard carries that tail into the copy. A process's
 * first write of a message therefore takes the counters whole: one read per message and process.
 */
const levelled = new Map<string, true>();
const MAX_CACHED = 2000;
/** Versions of one shard kept per column: beyond them (copy writes failing for long) the counters are read. */
const MAX_HISTORY = 64;
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

/** The later of two commits of one shard: per column, the one that includes the other. */
function fold(a: CommittedCounts, b: CommittedCounts): CommittedCounts {
  const months = new Map(a.months);
  for (const [m, row] of b.months) if (!months.has(m) || includes(row.versions, months.get(m)!.versions)) months.set(m, row);
  return { ...a, totals: includes(b.totals.versions, a.totals.versions) ? b.totals : a.totals, months };
}

function remember<T>(versions: Map<number, T>, shardVersions: Versions, value: T) {
  const [version] = Object.values(shardVersions);
  versions.set(version!, value);
  if (versions.size > MAX_HISTORY) versions.delete(Math.min(...versions.keys()));
}

/** Keeps a commit's values of its shard until the copy has moved past them. */
function record(committed: CommittedCounts) {
  const key = `${committed.tenantId}:${committed.messageId}`;
  let h = histories.get(key);
  if (!h) cache(histories, key, (h = { totals: new Map(), months: new Map() }));
  const [shard] = Object.keys(committed.totals.versions);
  const of = <T>(byShard: Map<string, Map<number, T>>) => {
    let versions = byShard.get(shard!);
    if (!versions) byShard.set(shard!, (versions = new Map()));
    return versions;
  };
  remember(of(h.totals), committed.totals.versions, committed.totals.counts);
  for (const [m, row] of committed.months) {
    let byShard = h.months.get(m);
    if (!byShard) h.months.set(m, (byShard = new Map()));
    remember(of(byShard), row.versions, row.days);
  }
}

/** Drops the versions of a column's history the copy, at `versions`, has moved past. */
function prune<T>(byShard: Map<string, Map<number, T>> | undefined, versions: Versions) {
  for (const [shard, values] of byShard ?? []) for (const v of values.keys()) if (v < (versions[shard] ?? 0)) values.delete(v);
}

/**
 * Writes (soon) the copy of a commit of this process's shard (one shard's versions in every column); returns
 * at once.
 */
export function project(committed: CommittedCounts): void {
  record(committed);
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

/** What a write changes in one copy: the columns that do not include the committed figures yet, as they become. */
interface Change {
  committed: CommittedCounts;
  stored: StoredCopy | undefined;
  totals?: Figure<Counts>;
  months: [string, Figure<DayCounts>][];
}

async function writeBatch(client: TableClient, tenantId: string, batch: CommittedCounts[]) {
  const pk = tenantKey(tenantId);
  for (let attempt = 0; ; attempt++) {
    const stored = await Promise.all(batch.map((c) => copies.get(`${tenantId}:${c.messageId}`) ?? readCopy(client, pk, c.messageId)));
    const all = await Promise.all(batch.map((committed, i) => changeOrRebuild(batch, i, stored[i])));
    const changes = all.filter((c) => c.totals !== undefined || c.months.length > 0);
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
      if (c.totals) Object.assign(entity, { totals: JSON.stringify(c.totals.value), tv: JSON.stringify(c.totals.versions) });
      for (const [m, row] of c.months) {
        entity[monthColumn(m)] = JSON.stringify(row.value);
        entity[versionColumn(m)] = JSON.stringify(row.versions);
        const into = nextRollups.get(m)!;
        addDays(into, row.value);
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

/** `sum` with one shard's `remove` taken out and its `add` put in, as a new object. */
const swapCounts = (sum: Counts, remove: Counts | undefined, add: Counts) => {
  const out = structuredClone(sum);
  if (remove) addInto(out, remove, -1);
  addInto(out, add);
  return out;
};
const swapDays = (sum: DayCounts, remove: DayCounts | undefined, add: DayCounts) => {
  const out = structuredClone(sum);
  if (remove) addDays(out, remove, -1);
  addDays(out, add);
  return out;
};

/** The change `committed` makes to the stored copy; undefined when this process cannot tell it (see nextFigure). */
function changeOf(committed: CommittedCounts, stored: StoredCopy | undefined): Change | undefined {
  const h = histories.get(`${committed.tenantId}:${committed.messageId}`);
  const baseOf =
    <T>(byShard: Map<string, Map<number, T>> | undefined) =>
    (shard: string, version: number) =>
      byShard?.get(shard)?.get(version);
  const totals = nextFigure(
    stored?.totals,
    { value: committed.totals.counts, versions: committed.totals.versions },
    baseOf(h?.totals),
    swapCounts,
  );
  if (totals.kind === 'unknown') return undefined;
  const months: Change['months'] = [];
  for (const [m, row] of committed.months) {
    const before = stored?.months.get(m);
    const next = nextFigure(
      before && { value: JSON.parse(before.json) as DayCounts, versions: before.versions },
      { value: row.days, versions: row.versions },
      baseOf(h?.months.get(m)),
      swapDays,
    );
    if (next.kind === 'unknown') return undefined;
    if (next.kind === 'write') months.push([m, next.figure]);
  }
  return { committed, stored, ...(totals.kind === 'write' ? { totals: totals.figure } : {}), months };
}

/**
 * The change of `batch[i]`; when this process cannot tell it, the message's counters are read and put in
 * its place (they include whatever a copy read before them holds, so their change is always known).
 */
async function changeOrRebuild(batch: CommittedCounts[], i: number, stored: StoredCopy | undefined): Promise<Change> {
  const { tenantId, messageId } = batch[i]!;
  const key = `${tenantId}:${messageId}`;
  if (levelled.has(key)) {
    const change = changeOf(batch[i]!, stored);
    if (change) return change;
  }
  const counters = await committedCounts(tenantId, messageId);
  cache(levelled, key, true);
  // No counter rows to level with (purged since): the commit is all there is.
  const change = changeOf(counters ?? batch[i]!, stored);
  if (!change) throw new Error(`reports: the copy of ${messageId} holds counts its counters do not`);
  if (counters) batch[i] = counters;
  return change;
}

function afterWrite(c: Change, etag: string | undefined): StoredCopy | undefined {
  if (!etag) return undefined;
  const months = new Map(c.stored?.months);
  for (const [m, row] of c.months) months.set(m, { versions: row.versions, json: JSON.stringify(row.value) });
  const h = histories.get(`${c.committed.tenantId}:${c.committed.messageId}`);
  const totals = c.totals ?? c.stored?.totals;
  if (totals) prune(h?.totals, totals.versions);
  for (const [m, row] of months) prune(h?.months.get(m), row.versions);
  return { etag, ...(totals ? { totals } : {}), months };
}

/** A version column: JSON per shard, or a number — the one shard `''` of a copy written before shards. */
const versionsOf = (value: unknown): Versions =>
  typeof value === 'number' ? { '': value } : typeof value === 'string' ? (JSON.parse(value) as Versions) : {};

const storedCopy = (e: TableEntityResult<Record<string, unknown>>): StoredCopy => {
  const months = new Map<string, { versions: Versions; json: string }>();
  for (const [column, value] of Object.entries(e))
    if (/^m\d{6}$/.test(column) && typeof value === 'string')
      months.set(`${column.slice(1, 5)}-${column.slice(5)}`, { versions: versionsOf(e[`v${column.slice(1)}`]), json: value });
  const totals = typeof e.totals === 'string' ? { value: JSON.parse(e.totals) as Counts, versions: versionsOf(e.tv) } : undefined;
  return { etag: e.etag, ...(totals ? { totals } : {}), months };
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
  if (months.length === 0) return new Map();
  const sorted = [...months].sort();
  const { rollups } = await readRange(client, pk, rollupKey(sorted[0]!), rollupKey(sorted[sorted.length - 1]!));
  return withBuilt(client, pk, months, rollups);
}

/** The rows of the rollup range `from`..`to` (row keys) as stored: month rollups and the count. */
async function readRange(client: TableClient, pk: string, from: string, to: string) {
  const rollups = new Map<string, StoredRollup>();
  let count: StoredCount | undefined;
  const rows = client.listEntities<{ days?: string; count?: number }>({
    queryOptions: { filter: odata`PartitionKey eq ${pk} and RowKey ge ${from} and RowKey le ${to}` },
  });
  for await (const e of rows)
    if (e.rowKey === COUNT_ROW) count = { etag: e.etag, count: Number(e.count) };
    else rollups.set(e.rowKey!.slice(ROLLUP_PREFIX.length), { etag: e.etag, days: JSON.parse(e.days ?? '{}') as DayCounts });
  return { rollups, count };
}

/** `months`' rollups from `stored`, those not stored yet built from the copies. */
async function withBuilt(client: TableClient, pk: string, months: readonly string[], stored: Map<string, StoredRollup>) {
  const out = new Map<string, StoredRollup>();
  const missing: string[] = [];
  for (const m of months) {
    const r = stored.get(m);
    if (r) out.set(m, r);
    else missing.push(m);
  }
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
  return e ? { etag: e.etag, count: Number(e.count) } : countCopies(client, pk);
}

async function countCopies(client: TableClient, pk: string): Promise<StoredCount> {
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
  const client = await reports();
  const stored = await readCopy(client, tenantKey(committed.tenantId), committed.messageId);
  const change = changeOf(committed, stored);
  if (change && change.totals === undefined && change.months.length === 0) return false;
  // What was just read, not what this instance remembers writing: the repair is for when those differ.
  cache(copies, `${committed.tenantId}:${committed.messageId}`, stored);
  await writeBatch(client, committed.tenantId, [committed]);
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
  // One range query for the months' rollups and the count (`~n` sorts right after the last month's rollup):
  // one request, and no point read, which Azurite answers by scanning the copies' row keys. It runs on to
  // the tenant's latest month, a few KB a month.
  const first = [...months].sort()[0];
  const stored = await readRange(client, pk, first ? rollupKey(first) : COUNT_ROW, COUNT_ROW);
  const [rollupRows, count] = await Promise.all([withBuilt(client, pk, months, stored.rollups), stored.count ?? countCopies(client, pk)]);
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
