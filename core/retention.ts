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
