/**
 * Retention purge (issue #6): deletes the per-recipient records older than each tenant's `retentionDays`
 * (adapters/stores/tenantSettingsStore), keeping everything reports and delivery progress are made of.
 *
 * - `interactions` (adapters/stores/interactionStore): the `~evt|` event markers, and a recipient's summary of a
 *   message once its latest time (seen, clicked, dismissed) is older than the cutoff — unless the message
 *   is still Active: the inbox's frequency rules read the summary (a click silences it for a year);
 * - `clicks`: who clicked, by their last click — unless the message is still Active (resends skip them);
 * - `counters` (adapters/stores/counterStore): the `~e|` event rows; `totals`, `m|…` and `~b|…` stay;
 * - `deliveries` (adapters/stores/deliveryStore): a batch's recipient snapshot (`~chunk:NN`) and outcome rows once
 *   its `~summary` was last updated before the cutoff. The summary stays — the delivery progress API reads
 *   its counts — and gets a `purgedAt` column, so later runs pass the batch by;
 * - export blobs older than a day (adapters/stores/exportStore).
 * The `reports` copy, `occurrences`, `messages` and `audit` are not per-recipient and are left alone.
 *
 * A table is walked tenant by tenant: a one-row query finds the next tenant's first partition, then a range
 * query over that tenant's partitions, with its cutoff in the filter, returns only rows that go. Deletes
 * are entity-group transactions of up to 100 rows of one partition. A run can be repeated or stopped
 * anywhere: whatever is left is found again next time, and a row already gone (404) is skipped.
 */
import { odata, type TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import { isExpired, retentionCutoff, tenantOfPartition, tenantPartitions } from '../core/retention.js';
import { EVENT_PREFIX } from '../adapters/stores/counterStore.js';
import { messageStore } from '../adapters/stores/messageStore.js';
import { sweepExports } from '../adapters/stores/exportStore.js';
import { isStatus, table } from '../adapters/stores/storageClients.js';
import { getTenantSettings } from '../adapters/stores/tenantSettingsStore.js';

/** Rows (blobs for `exports`) deleted, per table. */
export interface PurgeCounts {
  interactions: number;
  clicks: number;
  counters: number;
  deliveries: number;
  exports: number;
}

type Row = TableEntityResult<Record<string, unknown>>;
/** A tenant's cutoff (ISO), or undefined when its settings could not be read: then its records are kept. */
type CutoffOf = (tenant: string) => Promise<string | undefined>;

/** Operations one entity-group transaction may hold. */
const MAX_TRANSACTION = 100;
// Key layouts of adapters/stores/interactionStore and adapters/stores/deliveryStore; `}` is the character after `|`.
const MARKER_FROM = '~evt|';
const MARKER_TO = '~evt}';
const EVENT_TO = '~e}';
const SUMMARY_TO = '~';
const BATCH_SUMMARY = '~summary';

/**
 * Purges what is past retention as of `now`. `log` hears about tenants skipped because their settings
 * could not be read.
 */
export async function purgeExpired(now: number, log: (message: string) => void = () => undefined): Promise<PurgeCounts> {
  const cutoffOf = tenantCutoffs(now, log);
  const running = activeMessages();
  // Interactions go before counters: a replayed old event whose interaction marker is gone is recorded
  // anew but not counted again while its counter row remains, whereas the other way round it would be
  // counted twice — so a run stopped between the two must have done the interactions.
  const interactions = await purgeInteractions(cutoffOf, running);
  const clicks = await purgeEach(
    await table('clicks'),
    cutoffOf,
    (range, cutoff) => ({
      filter: odata`PartitionKey ge ${range.from} and PartitionKey lt ${range.to} and lastClickedAt lt ${cutoff}`,
      select: ['PartitionKey', 'RowKey'],
    }),
    async (row) => !(await running(tenantOfPartition(row.partitionKey!), row.partitionKey!.slice(row.partitionKey!.indexOf(':') + 1))),
  );
  const counters = await purgeEach(await table('counters'), cutoffOf, (range, cutoff) => ({
    filter: odata`PartitionKey ge ${range.from} and PartitionKey lt ${range.to} and RowKey ge ${EVENT_PREFIX} and RowKey lt ${EVENT_TO} and at lt ${cutoff}`,
    select: ['PartitionKey', 'RowKey'],
  }));
  const deliveries = await purgeDeliveries(cutoffOf, now);
  const exports = await sweepExports();
  return { interactions, clicks, counters, deliveries, exports };
}

/** Whether a message is still Active (its frequency rules and resends read the rows), looked up once per run. */
function activeMessages(): (tenant: string, messageId: string) => Promise<boolean> {
  const known = new Map<string, Promise<boolean>>();
  return (tenant, messageId) => {
    const key = `${tenant}:${messageId}`;
    let active = known.get(key);
    if (!active) {
      active = messageStore()
        .get(tenant, messageId)
        .then((m) => m?.status === 'Active');
      known.set(key, active);
    }
    return active;
  };
}

/** Each tenant's settings are read once per run. */
function tenantCutoffs(now: number, log: (message: string) => void): CutoffOf {
  const cutoffs = new Map<string, Promise<string | undefined>>();
  return (tenant) => {
    let cutoff = cutoffs.get(tenant);
    if (!cutoff) {
      cutoff = getTenantSettings(tenant).then(
        (settings) => retentionCutoff(now, settings.retentionDays),
        (error: unknown) => {
          log(`tenant ${tenant}: settings unreadable (${(error as Error).message}); its records are kept this run`);
          return undefined;
        },
      );
      cutoffs.set(tenant, cutoff);
    }
    return cutoff;
  };
}

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

interface Query {
  filter: string;
  select: string[];
}

/**
 * For each tenant of the table with a readable cutoff, deletes the rows `query` returns that `expired`
 * (default: all of them) confirms. Returns how many were deleted.
 */
async function purgeEach(
  client: TableClient,
  cutoffOf: CutoffOf,
  query: (range: { from: string; to: string }, cutoff: string) => Query,
  expired: (row: Row, cutoff: string) => boolean | Promise<boolean> = () => true,
): Promise<number> {
  let deleted = 0;
  for await (const tenant of tenantsIn(client)) {
    const cutoff = await cutoffOf(tenant);
    if (cutoff === undefined) continue;
    const rows = client.listEntities<Record<string, unknown>>({ queryOptions: query(tenantPartitions(tenant), cutoff) });
    deleted += await deleteRows(
      client,
      filterRows(rows, (row) => expired(row, cutoff)),
    );
  }
  return deleted;
}

async function* filterRows(rows: AsyncIterable<Row>, keep: (row: Row) => boolean | Promise<boolean>): AsyncIterable<Row> {
  for await (const row of rows) if (await keep(row)) yield row;
}

async function purgeInteractions(cutoffOf: CutoffOf, running: (tenant: string, messageId: string) => Promise<boolean>): Promise<number> {
  const client = await table('interactions');
  const markers = await purgeEach(client, cutoffOf, (range, cutoff) => ({
    filter: odata`PartitionKey ge ${range.from} and PartitionKey lt ${range.to} and RowKey ge ${MARKER_FROM} and RowKey lt ${MARKER_TO} and occurredAt lt ${cutoff}`,
    select: ['PartitionKey', 'RowKey'],
  }));
  // The filter returns summaries with a latest time before the cutoff (a first sighting is never later than
  // the last); only those with every time before it go. Deletes in a transaction carry no ETag, so an event
  // recorded in the very moment its summary goes is left with its marker but no summary.
  const times = ['firstSeenAt', 'lastSeenAt', 'clickedAt', 'dismissedAt'];
  const summaries = await purgeEach(
    client,
    cutoffOf,
    (range, cutoff) => ({
      filter: odata`PartitionKey ge ${range.from} and PartitionKey lt ${range.to} and RowKey lt ${SUMMARY_TO} and (lastSeenAt lt ${cutoff} or clickedAt lt ${cutoff} or dismissedAt lt ${cutoff})`,
      select: ['PartitionKey', 'RowKey', ...times],
    }),
    async (row, cutoff) =>
      isExpired(
        times.map((t) => (typeof row[t] === 'string' ? row[t] : undefined)),
        cutoff,
      ) && !(await running(tenantOfPartition(row.partitionKey!), row.rowKey!)),
  );
  return markers + summaries;
}

/**
 * Batches last updated before the cutoff lose their recipient snapshot and outcome rows; the summary is
 * marked afterwards, so a run stopped in between finishes the batch next time.
 */
async function purgeDeliveries(cutoffOf: CutoffOf, now: number): Promise<number> {
  const client = await table('deliveries');
  const purgedAt = new Date(now).toISOString();
  let deleted = 0;
  for await (const tenant of tenantsIn(client)) {
    const cutoff = await cutoffOf(tenant);
    if (cutoff === undefined) continue;
    const range = tenantPartitions(tenant);
    const summaries = client.listEntities<Record<string, unknown>>({
      queryOptions: {
        filter: odata`PartitionKey ge ${range.from} and PartitionKey lt ${range.to} and RowKey eq ${BATCH_SUMMARY} and updatedAt lt ${cutoff}`,
        select: ['PartitionKey', 'RowKey', 'purgedAt'],
      },
    });
    for await (const summary of summaries) {
      if (summary.purgedAt) continue;
      const pk = summary.partitionKey!;
      const rows = client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${pk}`, select: ['PartitionKey', 'RowKey'] },
      });
      deleted += await deleteRows(
        client,
        filterRows(rows, (row) => row.rowKey !== BATCH_SUMMARY),
      );
      try {
        // Guarded: a batch a worker touched meanwhile is left for a later run to judge again.
        await client.updateEntity({ partitionKey: pk, rowKey: BATCH_SUMMARY, purgedAt }, 'Merge', { etag: summary.etag });
      } catch (error) {
        if (!isStatus(error, 404) && !isStatus(error, 412)) throw error;
      }
    }
  }
  return deleted;
}

/** Deletes rows in transactions of up to 100, flushed whenever the partition changes; returns how many went. */
async function deleteRows(client: TableClient, rows: AsyncIterable<Row>): Promise<number> {
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
