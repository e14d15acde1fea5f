/**
 * Retention (docs/decisions/retention.md): per-recipient records older than the tenant's `retentionDays` are purged, the daily
 * counters stay. Pure: the time comes in as epoch ms. Every per-recipient table stores its times as
 * `toISOString()` text, so the cutoff is that text too and compares in a query filter as it does here.
 */
export const DAY_MS = 24 * 3_600_000;

/** The instant before which a tenant's per-recipient records go. */
export const retentionCutoff = (now: number, retentionDays: number): string => new Date(now - retentionDays * DAY_MS).toISOString();

/** The tenant a partition key belongs to: per-recipient tables lead their keys with `tenant:`. */
export const tenantOfPartition = (partitionKey: string): string => {
  const colon = partitionKey.indexOf(':');
  return colon < 0 ? partitionKey : partitionKey.slice(0, colon);
};

/**
 * Every partition key of one tenant is in [`from`, `to`): `;` is the character after `:`, and a tenant id
 * holds no `:`, so another tenant's keys — even one whose id starts with this one's — fall outside.
 */
export const tenantPartitions = (tenant: string) => ({ from: `${tenant}:`, to: `${tenant};` });

/**
 * Whether a record whose times are `times` is past retention: its latest time is before the cutoff. A
 * record with no time at all is kept — nothing says it is old.
 */
export function isExpired(times: readonly (string | undefined)[], cutoff: string): boolean {
  const known = times.filter((t): t is string => typeof t === 'string' && t !== '');
  if (known.length === 0) return false;
  const limit = Date.parse(cutoff);
  return known.every((t) => Date.parse(t) < limit);
}

// The rows retention reads and deletes, as the retention job sees them (jobs/retentionPurge.ts) and the
// store offers them (adapters/stores/retentionRows.ts).

/** A per-recipient row as retention judges it. */
export interface AgedRow {
  partitionKey: string;
  rowKey: string;
  /** Every time the row records (ISO text); it goes when all it has are before the cutoff. */
  times: readonly (string | undefined)[];
  /** The message the row is about. */
  messageId: string;
}

/** One kind of per-recipient row. */
export interface AgedRows {
  /** The tenants that have rows of this table, in key order. */
  tenants(): AsyncIterable<string>;
  /** The tenant's rows that may be older than `cutoff`, partition by partition. */
  candidates(tenant: string, cutoff: string): AsyncIterable<AgedRow>;
  /** Deletes the rows; returns how many went (one already gone is not counted). */
  delete(rows: AsyncIterable<AgedRow>): Promise<number>;
}

/** A delivery batch's summary as read. */
export interface AgedBatch {
  partitionKey: string;
  updatedAt: string;
  /** Its recipients' rows went in an earlier run. */
  purged: boolean;
  /** The summary's version when read: marking it purged fails quietly if a worker changed it since. */
  etag: string;
}

export interface DeliveryBatches {
  tenants(): AsyncIterable<string>;
  /** The tenant's batches whose summary may have been last updated before `cutoff`. */
  candidates(tenant: string, cutoff: string): AsyncIterable<AgedBatch>;
  /** Deletes the batch's recipient snapshot and outcome rows, never its summary; returns how many went. */
  deleteRecipients(batch: AgedBatch): Promise<number>;
  /** Marks the summary purged at `at`, unless the batch changed since it was read (a later run judges it again). */
  markPurged(batch: AgedBatch, at: string): Promise<void>;
}
