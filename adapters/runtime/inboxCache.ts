/**
 * What the inbox reads on every request, kept in memory so a request costs at most one Table read (the
 * user's interactions, themselves kept a few seconds by interactionCache.ts):
 * - per tenant, for a few seconds: the inbox candidates (Active messages, and urgent ones sent in the last
 *   24 hours) and the tenant settings;
 * - per user, for 15 minutes, in a bounded LRU: the directory profile and transitive groups;
 * - per tenant, for an hour: the usage report (read only when a due message targets a usage segment).
 * Each entry is loaded once however many requests want it at the same moment (single flight). Ages are
 * measured on the app clock, so a test that moves time moves them too.
 */
import { DIRECTORY_USER_FIELDS, type DirectoryUser, type UsageRecord } from '../../core/audience.js';
import { candidate, URGENT_WINDOW_MS, type Candidate } from '../../core/eligibility.js';
import type { MessageStatus } from '../../core/lifecycle.js';
import { now } from './clock.js';
import { directory } from '../services/graphDirectory.js';
import type { MessageRecord } from '../../core/records.js';
import { messageStore } from '../stores/messageStore.js';
import { getTenantSettings, type TenantSettings } from '../stores/tenantSettingsStore.js';

export const MESSAGES_TTL_MS = 5_000;
export const MEMBER_TTL_MS = 15 * 60_000;
export const USAGE_TTL_MS = 60 * 60_000;
export const MAX_MEMBERS = 100_000;

/**
 * A time-limited cache whose concurrent misses share one load, evicting the least recently used past `max`
 * and expired entries from the least recently used end, so a short-lived cache holds about its live entries.
 */
export class SingleFlightCache<K, V> {
  private readonly entries = new Map<K, { value: V; loadedAt: number }>();
  private readonly loading = new Map<K, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = Infinity,
    private readonly clock: () => number = now,
  ) {}

  get(key: K, load: () => Promise<V>): Promise<V> {
    const t = this.clock();
    const entry = this.entries.get(key);
    if (entry && t >= entry.loadedAt && t < entry.loadedAt + this.ttlMs) {
      // Map order is insertion order: moving the entry to the end keeps the eviction order least recent first.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return Promise.resolve(entry.value);
    }
    let pending = this.loading.get(key);
    if (!pending) {
      const started: Promise<V> = load().then(
        (value) => {
          // A load forgotten meanwhile may have read what a write then changed: its waiters get it, the cache does not.
          if (this.loading.get(key) !== started) return value;
          this.loading.delete(key);
          this.entries.delete(key);
          this.entries.set(key, { value, loadedAt: t });
          this.evict(this.clock());
          return value;
        },
        (error: unknown) => {
          if (this.loading.get(key) === started) this.loading.delete(key);
          throw error;
        },
      );
      pending = started;
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Drops the entry and any load under way: the next get loads afresh. */
  forget(key: K): void {
    this.entries.delete(key);
    this.loading.delete(key);
  }

  private evict(t: number) {
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as K);
    for (const [key, entry] of this.entries) {
      if (t < entry.loadedAt + this.ttlMs) break;
      this.entries.delete(key);
    }
  }
}

export interface TenantInbox {
  settings: TenantSettings;
  candidates: Candidate[];
}

export interface Member {
  user: DirectoryUser;
  groups: ReadonlySet<string>;
}

async function all(tenantId: string, status: MessageStatus, location?: string): Promise<MessageRecord[]> {
  const out: MessageRecord[] = [];
  let continuation: string | undefined;
  do {
    const page = await messageStore().list(tenantId, { status, ...(location ? { location } : {}), pageSize: 100, continuation });
    out.push(...page.items);
    continuation = page.continuation;
  } while (continuation);
  return out;
}

async function loadTenant(tenantId: string): Promise<TenantInbox> {
  const [settings, active, ...delivered] = await Promise.all([
    getTenantSettings(tenantId),
    all(tenantId, 'Active'),
    // Urgent messages turn Delivered as soon as they are sent; they stay in the inbox for 24 hours.
    all(tenantId, 'Delivered', 'taskbar'),
    all(tenantId, 'Delivered', 'notificationCenter'),
  ]);
  const since = now() - URGENT_WINDOW_MS;
  const recentUrgent = delivered.flat().filter((m) => m.draft.urgent && Date.parse(m.activatedAt ?? '') >= since);
  const candidates = [...active, ...recentUrgent].flatMap((m) => candidate(m, settings.timeZone) ?? []);
  return { settings, candidates };
}

// The member cache holds up to MAX_MEMBERS people for 15 minutes. Each entry keeps only the attributes
// audiences read (not what else Graph answered, such as its @odata.context URL), and a value many people
// share (a group id, a department, an office) as one string for all of them: the cache grows with the
// people, not with copies of what they have in common.
const PER_PERSON: ReadonlySet<string> = new Set(['id', 'userPrincipalName', 'displayName', 'mail', 'accountEnabled']);
const SHARED_FIELDS: ReadonlySet<string> = new Set(DIRECTORY_USER_FIELDS.filter((f) => !PER_PERSON.has(f)));
const shared = new Map<string, string>();
const MAX_SHARED = 100_000;

function intern(value: string): string {
  const known = shared.get(value);
  if (known !== undefined) return known;
  // Past the bound (a directory with that many distinct values) sharing starts over; nothing is wrong, only less shared.
  if (shared.size >= MAX_SHARED) shared.clear();
  shared.set(value, value);
  return value;
}

/** `user` with only the attributes audiences read, shared values shared. */
export function compact(user: DirectoryUser): DirectoryUser {
  const out: Record<string, unknown> = {};
  for (const field of DIRECTORY_USER_FIELDS) {
    const value = user[field];
    if (value !== undefined) out[field] = typeof value === 'string' && SHARED_FIELDS.has(field) ? intern(value) : value;
  }
  return out as unknown as DirectoryUser;
}

async function loadMember(tenantId: string, userId: string): Promise<Member | undefined> {
  // Profile and groups in one round trip: every person of the tenant misses once per MEMBER_TTL_MS.
  const found = await directory().userWithGroups(tenantId, userId);
  if (!found) return undefined;
  return { user: compact(found.user), groups: new Set(found.groups.map((g) => intern(g.toLowerCase()))) };
}

const tenants = new SingleFlightCache<string, TenantInbox>(MESSAGES_TTL_MS);
const members = new SingleFlightCache<string, Member | undefined>(MEMBER_TTL_MS, MAX_MEMBERS);
const usages = new SingleFlightCache<string, ReadonlyMap<string, UsageRecord>>(USAGE_TTL_MS);

/** The tenant's inbox candidates and settings, at most a few seconds old. */
export const tenantInbox = (tenantId: string) => tenants.get(tenantId, () => loadTenant(tenantId));

/** The user as the directory knows them (undefined: not a user of the tenant), at most 15 minutes old. */
export const member = (tenantId: string, userId: string) => members.get(`${tenantId}:${userId}`, () => loadMember(tenantId, userId));

/** The tenant's usage report, at most an hour old. */
export const usage = (tenantId: string) => usages.get(tenantId, () => directory().usage(tenantId));
