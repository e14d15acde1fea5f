/**
 * The per-recipient rows retention purges, over Azure Tables with their key layouts (interactionStore,
 * counterStore, deliveryStore; `}` is the character after `|`): the stores the retention job
 * (jobs/retentionPurge.ts) takes as its ports.
 *
 * A table is walked tenant by tenant: a one-row query finds the next tenant's first partition, then a range
 * query over that tenant's partitions, with its cutoff in the filter, returns the candidates. Deletes are
 * entity-group transactions of up to 100 rows of one partition; a row already gone (404) is skipped.
 */
import { odata, type TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import { tenantOfPartition, tenantPartitions, type AgedRow, type AgedRows, type DeliveryBatches } from '../../core/retention.js';
import { EVENT_PREFIX } from './counterStore.js';
import { isStatus, table } from './storageClients.js';

type Entity = TableEntityResult<Record<string, unknown>>;
type Range = { from: string; to: string };

/** Operations one entity-group transaction may hold. */
const MAX_TRANSACTION = 100;
const MARKER_FROM = '~evt|';
const MARKER_TO = '~evt}';
const EVENT_TO = '~e}';
const SUMMARY_TO = '~';
const BATCH_SUMMARY = '~summary';
const SUMMARY_TIMES = ['firstSeenAt', 'lastSeenAt', 'clickedAt', 'dismissedAt'];

const text = (e: Entity, column: string) => (typeof e[column] === 'string' ? (e[column] as string) : undefined);
const afterColon = (key: string) => key.slice(key.indexOf(':') + 1);

/** The tenants that have rows in the table, in key order, skipping from one tenant's partitions to the next's. */
async function* tenantsIn(client: TableClient): AsyncIterable<string> {
  let from = '';
  for (;;) {
    const pages = client.listEntities({ queryOptions: { filter: odata`PartitionKey ge ${from}`, select: ['PartitionKey'] } });
    let first: string | undefined;
    // A filtered query may answer with empty pages before the first match.
    for await (const page of pages.byPage({ maxPageSize: 1 })) {
      first = page[0]?.partitionKey;
      if (first !== undefined) break;
    }
    if (first === undefined) return;
    const tenant = tenantOfPartition(first);
    yield tenant;
    from = tenantPartitions(tenant).to;
  }
}

async function deleteGroup(client: TableClient, partitionKey: string, rowKeys: string[]): Promise<number> {
  try {
    await client.submitTransaction(rowKeys.map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]));
    return rowKeys.length;
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
  // One of them went meanwhile (another run, say), which fails the whole transaction: the rest one by one.
  let deleted = 0;
  for (const rowKey of rowKeys) {
    try {
      await client.deleteEntity(partitionKey, rowKey);
      deleted++;
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }
  return deleted;
}

/** Deletes rows in transactions of up to 100, flushed whenever the partition changes; returns how many went. */
async function deleteRows(client: TableClient, rows: AsyncIterable<{ partitionKey?: string; rowKey?: string }>): Promise<number> {
  let deleted = 0;
  let partition: string | undefined;
  let keys: string[] = [];
  const flush = async () => {
    if (partition !== undefined && keys.length > 0) deleted += await deleteGroup(client, partition, keys);
    keys = [];
  };
  for await (const row of rows) {
    if (row.partitionKey !== partition || keys.length === MAX_TRANSACTION) await flush();
    partition = row.partitionKey;
    keys.push(row.rowKey!);
  }
  await flush();
  return deleted;
}

/** Rows of `tableName` that a range query over a tenant's partitions offers, each read as an AgedRow. */
function agedRows(
  tableName: string,
  query: (range: Range, cutoff: string) => { filter: string; select: string[] },
  toRow: (e: Entity) => Omit<AgedRow, 'partitionKey' | 'rowKey'>,
): AgedRows {
  return {
    async *tenants() {
      yield* tenantsIn(await table(tableName));
    },
    async *candidates(tenant, cutoff) {
      const rows = (await table(tableName)).listEntities<Record<string, unknown>>({
        queryOptions: query(tenantPartitions(tenant), cutoff),
      });
      for await (const e of rows) yield { partitionKey: e.partitionKey!, rowKey: e.rowKey!, ...toRow(e) };
    },
    async delete(rows) {
      return deleteRows(await table(tableName), rows);
    },
  };
}

export const interactionMarkers = agedRows(
  'interactions',
  (range, cutoff) => ({
    filter: odata`PartitionKey ge ${range.from} and PartitionKey lt ${range.to} and RowKey ge ${MARKER_FROM} and RowKey lt ${MARKER_TO} and occurredAt lt ${cutoff}`,
    select: ['PartitionKey', 'RowKey', 'occurredAt'],
  }),
  (e) => ({ times: [text(e, 'occurredAt')], messageId: e.rowKey!.split('|')[1] ?? '' }),
);

// The filter returns summaries with a latest time before the cutoff (a first sighting is never later than
// the last); the job keeps those with a time after it. Deletes in a transaction carry no ETag, so an event
// recorded in the very moment its summary goes is left with its marker but no summary.
export const interactionSummaries = agedRows(
  'interactions',
  (range, cutoff) => ({
    filter: odata`PartitionKey ge ${range.from} and PartitionKey lt ${range.to} and RowKey lt ${SUMMARY_TO} and (lastSeenAt lt ${cutoff} or clickedAt lt ${cutoff} or dismissedAt lt ${cutoff})`,
    select: ['PartitionKey', 'RowKey', ...SUMMARY_TIMES],
  }),
  (e) => ({ times: SUMMARY_TIMES.map((t) => text(e, t)), messageId: e.rowKey! }),
);

export const clicks = agedRows(
  'clicks',
  (range, cutoff) => ({
    filter: odata`PartitionKey ge ${range.from} and PartitionKey lt ${range.to} and lastClickedAt lt ${cutoff}`,
    select: ['PartitionKey', 'RowKey', 'lastClickedAt'],
  }),
  (e) => ({ times: [text(e, 'lastClickedAt')], messageId: afterColon(e.partitionKey!) }),
);

export const counterEvents = agedRows(
  'counters',
  (range, cutoff) => ({
    filter: odata`PartitionKey ge ${range.from} and PartitionKey lt ${range.to} and RowKey ge ${EVENT_PREFIX} and RowKey lt ${EVENT_TO} and at lt ${cutoff}`,
    select: ['PartitionKey', 'RowKey', 'at'],
  }),
  (e) => ({ times: [text(e, 'at')], messageId: afterColon(e.partitionKey!) }),
);

export const deliveryBatches: DeliveryBatches = {
  async *tenants() {
    yield* tenantsIn(await table('deliveries'));
  },
  async *candidates(tenant, cutoff) {
    const range = tenantPartitions(tenant);
    const summaries = (await table('deliveries')).listEntities<Record<string, unknown>>({
      queryOptions: {
        filter: odata`PartitionKey ge ${range.from} and PartitionKey lt ${range.to} and RowKey eq ${BATCH_SUMMARY} and updatedAt lt ${cutoff}`,
        select: ['PartitionKey', 'RowKey', 'updatedAt', 'purgedAt'],
      },
    });
    for await (const s of summaries)
      yield { partitionKey: s.partitionKey!, updatedAt: text(s, 'updatedAt') ?? '', purged: Boolean(s.purgedAt), etag: s.etag };
  },
  async deleteRecipients(batch) {
    const client = await table('deliveries');
    const rows = client.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${batch.partitionKey}`, select: ['PartitionKey', 'RowKey'] },
    });
    async function* recipients() {
      for await (const row of rows) if (row.rowKey !== BATCH_SUMMARY) yield row;
    }
    return deleteRows(client, recipients());
  },
  async markPurged(batch, purgedAt) {
    try {
      await (
        await table('deliveries')
      ).updateEntity({ partitionKey: batch.partitionKey, rowKey: BATCH_SUMMARY, purgedAt }, 'Merge', { etag: batch.etag });
    } catch (error) {
      if (!isStatus(error, 404) && !isStatus(error, 412)) throw error;
    }
  },
};
