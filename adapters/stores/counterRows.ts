/**
 * The counter shards' rows in table `counters` (docs/storage.md), partition `tenant:message`: `totals|<shard>`
 * and `m|yyyy-MM|<shard>` per writer (adapters/stores/counterStore writes its own), and `totals` and
 * `m|yyyy-MM` as counted before shards existed — the shard `''`, still part of every sum.
 */
import { odata } from '@azure/data-tables';
import type { CommittedCounts } from '../../core/counterShards.js';
import { addDays, addInto, emptyCounts, type Counts, type DayCounts } from '../../core/reportMath.js';
import { MESSAGE_ID, messageKey } from './keys.js';
import { table } from './storageClients.js';

const TOTALS = 'totals';
const shardSuffix = (shard: string) => (shard === '' ? '' : `|${shard}`);
export const totalsRow = (shard: string) => `${TOTALS}${shardSuffix(shard)}`;
/** `month` is yyyy-MM. */
export const monthRow = (month: string, shard: string) => `m|${month}${shardSuffix(shard)}`;

export const counterPartition = (tenantId: string, messageId: string) => {
  if (!MESSAGE_ID.test(messageId)) throw new Error(`not a message id: ${JSON.stringify(messageId)}`);
  return messageKey(tenantId, messageId);
};

/** The month and shard of a month row's key (`m|yyyy-MM` or `m|yyyy-MM|<shard>`). */
const monthOf = (rowKey: string) => ({ month: rowKey.slice(2, 9), shard: rowKey.slice(10) });

/**
 * The message's counters as they stand, every shard added up, with each shard's version; undefined when
 * nothing was counted. The report copy is rebuilt from it when it cannot be brought level otherwise.
 */
export async function committedCounts(tenantId: string, messageId: string): Promise<CommittedCounts | undefined> {
  if (!MESSAGE_ID.test(messageId)) return undefined;
  const pk = counterPartition(tenantId, messageId);
  const rows = (await table('counters')).listEntities<{ counts?: string; days?: string; version: number }>({
    queryOptions: {
      filter: odata`PartitionKey eq ${pk} and ((RowKey ge ${TOTALS} and RowKey lt ${`${TOTALS}}`}) or (RowKey ge 'm|' and RowKey lt 'm}'))`,
    },
  });
  let totals: { counts: Counts; versions: Record<string, number> } | undefined;
  const months = new Map<string, { days: DayCounts; versions: Record<string, number> }>();
  for await (const row of rows) {
    const key = row.rowKey!;
    if (key.startsWith(TOTALS)) {
      totals ??= { counts: emptyCounts(), versions: {} };
      addInto(totals.counts, JSON.parse(row.counts!) as Counts);
      totals.versions[key.slice(TOTALS.length + 1)] = Number(row.version);
      continue;
    }
    const { month, shard } = monthOf(key);
    let m = months.get(month);
    if (!m) months.set(month, (m = { days: {}, versions: {} }));
    addDays(m.days, JSON.parse(row.days!) as DayCounts);
    m.versions[shard] = Number(row.version);
  }
  return totals ? { tenantId, messageId, totals, months } : undefined;
}
