/**
 * The report read model (docs/storage.md `reports`, docs/decisions/report-folding.md): table `reports`, PartitionKey tenant, RowKey message id,
 * one row per message holding a copy of its counters — `totals` and one column per month (`m202611`, the
 * days of November 2026) with their versions (`tv`, `v202611`). A report over a tenant's messages is one
 * partition read, however many events and markers the counters table holds.
 *
 * The copy is written shortly after a counter commit (adapters/stores/counterStore), one write in flight per
 * message with the commits of the meantime folded in; a column is only ever replaced by a newer version of itself, so two
 * instances writing at once cannot move it back. A read on this instance first waits for its own pending
 * writes, so what was just counted here is in the answer.
 */
import { odata, type TableClient } from '@azure/data-tables';
import type { Counts } from '../../core/reportMath.js';
import { MESSAGE_ID, tenantKey } from './keys.js';
import { findEntity, isStatus, table } from './storageClients.js';

/** A message's counter rows as a commit left them (what adapters/stores/counterStore hands over). */
export interface CommittedCounts {
  tenantId: string;
  messageId: string;
  totals: { counts: Counts; version: number };
  /** By month (yyyy-MM): its days' counts. */
  months: Map<string, { days: Record<string, Counts>; version: number }>;
}

interface Pending {
  committed: CommittedCounts;
  running?: Promise<void>;
  dirty: boolean;
}

const pending = new Map<string, Pending>();
/** The last ETag this instance saw of each copy, so the next write needs no read first. */
const etags = new Map<string, string>();
const MAX_ETAGS = 5000;
/**
 * How long a copy waits for more commits of its message to fold in: under a steady stream of events one
 * write per message and half second instead of one per commit. `settled` waits it out.
 */
const COPY_DELAY_MS = 500;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const reports = () => table('reports');
const monthColumn = (month: string) => `m${month.replace('-', '')}`;
const versionColumn = (month: string) => `v${month.replace('-', '')}`;

/** The later of two commits' copies: per column, the higher version wins. */
function fold(a: CommittedCounts, b: CommittedCounts): CommittedCounts {
  const months = new Map(a.months);
  for (const [m, row] of b.months) if ((months.get(m)?.version ?? -1) < row.version) months.set(m, row);
  return { ...a, totals: b.totals.version > a.totals.version ? b.totals : a.totals, months };
}

/** Writes (soon) the copy of a commit's rows; returns at once. */
export function project(committed: CommittedCounts): void {
  const key = `${committed.tenantId}:${committed.messageId}`;
  const entry = pending.get(key);
  if (entry) {
    entry.committed = fold(entry.committed, committed);
    entry.dirty = true;
  } else pending.set(key, { committed, dirty: true });
  const e = pending.get(key)!;
  e.running ??= delay(COPY_DELAY_MS)
    .then(() => writeCopies(key, e))
    .finally(() => {
      e.running = undefined;
      if (!e.dirty) pending.delete(key);
    });
}

async function writeCopies(key: string, entry: Pending) {
  const client = await reports();
  while (entry.dirty) {
    entry.dirty = false;
    const c = entry.committed;
    for (let attempt = 0; ; attempt++) {
      try {
        remember(key, await write(client, c, etags.get(key)));
        break;
      } catch (error) {
        if (attempt > 50 || (!isStatus(error, 412) && !isStatus(error, 409) && !isStatus(error, 404))) {
          // The counters hold the truth; the copy catches up with the message's next commit.
          console.error(`reports: the copy of ${key} was not written: ${String(error)}`);
          etags.delete(key);
          return;
        }
        remember(key, await dropOlder(client, c));
      }
    }
  }
}

function remember(key: string, etag: string | undefined) {
  etags.delete(key);
  if (etag) etags.set(key, etag);
  if (etags.size > MAX_ETAGS) etags.delete(etags.keys().next().value!);
}

async function write(client: TableClient, c: CommittedCounts, etag: string | undefined): Promise<string | undefined> {
  const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
    partitionKey: tenantKey(c.tenantId),
    rowKey: c.messageId,
    totals: JSON.stringify(c.totals.counts),
    tv: c.totals.version,
  };
  for (const [m, row] of c.months) {
    entity[monthColumn(m)] = JSON.stringify(row.days);
    entity[versionColumn(m)] = row.version;
  }
  const response = etag ? await client.updateEntity(entity, 'Merge', { etag }) : await client.createEntity(entity);
  return response.etag;
}

/** After a conflict: reads the stored copy and leaves out of `c` whatever it already has in a newer version. */
async function dropOlder(client: TableClient, c: CommittedCounts): Promise<string | undefined> {
  const stored = await findEntity(client, tenantKey(c.tenantId), c.messageId);
  if (!stored) return undefined;
  if (Number(stored.tv ?? -1) >= c.totals.version)
    c.totals = { counts: JSON.parse(String(stored.totals)) as Counts, version: Number(stored.tv) };
  for (const [m, row] of [...c.months]) if (Number(stored[versionColumn(m)] ?? -1) >= row.version) c.months.delete(m);
  return stored.etag;
}

/** Waits for this instance's copies of `tenantId`'s counters to be written. */
export async function settled(tenantId: string): Promise<void> {
  for (;;) {
    const running = [...pending.entries()].filter(([k, p]) => k.startsWith(`${tenantId}:`) && p.running).map(([, p]) => p.running!);
    if (running.length === 0) return;
    await Promise.all(running);
  }
}

/**
 * Brings the message's copy up to `committed` (the counters as they stand) when it lacks something — a
 * column missing or older, as a crash between a commit and its copy leaves it. True when it was behind.
 */
export async function repairCopy(committed: CommittedCounts): Promise<boolean> {
  await settled(committed.tenantId);
  const stored = await findEntity(await reports(), tenantKey(committed.tenantId), committed.messageId);
  const behind =
    !stored ||
    Number(stored.tv ?? -1) < committed.totals.version ||
    [...committed.months].some(([m, row]) => Number(stored[versionColumn(m)] ?? -1) < row.version);
  if (!behind) return false;
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
    if (typeof json === 'string')
      for (const [day, counts] of Object.entries(JSON.parse(json) as Record<string, Counts>)) days.set(day, counts);
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
        try {
          const e = await client.getEntity<Record<string, unknown>>(tenantKey(tenantId), id, { queryOptions: { select: ['totals'] } });
          out.set(id, JSON.parse(String(e.totals)) as Counts);
        } catch (error) {
          if (!isStatus(error, 404)) throw error;
        }
      }),
  );
  return out;
}

/** Every counted message of the tenant with its days in `months` (yyyy-MM), one partition read. */
export async function* tenantReports(tenantId: string, months: readonly string[]): AsyncIterable<MessageReport> {
  await settled(tenantId);
  const select = ['RowKey', 'totals', ...months.map(monthColumn)];
  const rows = (await reports()).listEntities<Record<string, unknown>>({
    queryOptions: { filter: odata`PartitionKey eq ${tenantKey(tenantId)}`, select },
  });
  for await (const e of rows) yield toReport(e, months);
}
