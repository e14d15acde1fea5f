/**
 * A message's counters are kept in shards, one per writer (docs/storage.md `counters`): each Herald process
 * commits to rows of its own, so two instances never replace each other's rows. A figure (the totals, a month
 * of days) is the shards added up, and says which version of each shard it includes: its `Versions`. The rows
 * from before shards are the shard `''`.
 */
import type { Counts, DayCounts } from './reportMath.js';

/** Per shard, the version of it a figure includes (a shard at version 0, or absent, has counted nothing). */
export type Versions = Readonly<Record<string, number>>;

/** A message's counters — the totals and each month's days — and the shard versions each one includes. */
export interface CommittedCounts {
  tenantId: string;
  messageId: string;
  totals: { counts: Counts; versions: Versions };
  /** By month (yyyy-MM). */
  months: Map<string, { days: DayCounts; versions: Versions }>;
}

/** Whether a figure at `a` includes everything one at `b` does. */
export const includes = (a: Versions, b: Versions) => Object.entries(b).every(([shard, v]) => (a[shard] ?? 0) >= v);

export interface Figure<T> {
  value: T;
  versions: Versions;
}

/**
 * What a stored figure becomes with `incoming`: `current` when it includes it already; the incoming figure
 * when that includes the stored one (a sum over every shard the stored one has); the stored figure with one
 * shard moved on when `incoming` is that shard alone and `baseOf` knows that shard's value at the stored
 * version (the sum then trades the old value for the new). `unknown` otherwise: only the counters can tell.
 */
export function nextFigure<T>(
  stored: Figure<T> | undefined,
  incoming: Figure<T>,
  baseOf: (shard: string, version: number) => T | undefined,
  swap: (sum: T, remove: T | undefined, add: T) => T,
): { kind: 'current' } | { kind: 'write'; figure: Figure<T> } | { kind: 'unknown' } {
  const before = stored?.versions ?? {};
  if (stored && includes(before, incoming.versions)) return { kind: 'current' };
  if (!stored || includes(incoming.versions, before)) return { kind: 'write', figure: incoming };
  const shards = Object.keys(incoming.versions);
  if (shards.length !== 1) return { kind: 'unknown' };
  const shard = shards[0]!;
  const was = before[shard];
  const base = was === undefined ? undefined : baseOf(shard, was);
  if (was !== undefined && base === undefined) return { kind: 'unknown' };
  return {
    kind: 'write',
    figure: { value: swap(stored.value, base, incoming.value), versions: { ...before, [shard]: incoming.versions[shard]! } },
  };
}
