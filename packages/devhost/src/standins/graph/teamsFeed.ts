/**
 * What the Teams activity feed received, per recipient. As in Teams, a notification with the same `chainId`
 * as an earlier one for the same user replaces it, so the feed holds one entry per (user, chainId). Every
 * request is appended to a JSONL journal (synchronously, before the answer goes out) and the journal is
 * replayed at start, so a host killed mid-run still shows everything it acknowledged.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TeamsSend } from './throttle.js';

export interface ActivityNotification {
  topic: { source: string; value: string; webUrl?: string };
  activityType: string;
  previewText: { content: string };
  templateParameters: { name: string; value: string }[];
  chainId?: number;
  teamsAppId?: string;
  iconId?: string;
}

export interface FeedEntry extends ActivityNotification {
  tenantId: string;
  userId: string;
  kind: TeamsSend;
  /** Host clock time the notification arrived. */
  receivedAt: string;
  /** How many earlier notifications of this chain this one replaced for this user. */
  replaced: number;
}

export interface FeedStats {
  /** Requests that reached the endpoints, whatever the answer. */
  requests: { single: number; bulk: number };
  /** Requests answered 202/204. */
  accepted: { single: number; bulk: number };
  /** Requests answered 4xx (bad body, unknown user, token too close to expiry). */
  rejected: number;
  /** Requests answered 429. */
  throttled: number;
  /** Notifications recorded for a recipient, replacements included. */
  notifications: number;
  /** Notifications that replaced an earlier one with the same chainId. */
  replaced: number;
  /** Bulk recipients the directory does not know (accepted by Graph, shown to nobody). */
  unknownRecipients: number;
}

type JournalLine =
  | { e: 'sent'; tenant: string; kind: TeamsSend; at: string; n: ActivityNotification; to: string[]; unknown: number }
  | { e: 'rejected' | 'throttled'; tenant: string; kind: TeamsSend }
  | { e: 'reset'; tenant?: string };

const emptyStats = (): FeedStats => ({
  requests: { single: 0, bulk: 0 },
  accepted: { single: 0, bulk: 0 },
  rejected: 0,
  throttled: 0,
  notifications: 0,
  replaced: 0,
  unknownRecipients: 0,
});

export class TeamsFeed {
  #entries = new Map<string, FeedEntry>();
  #stats = new Map<string, FeedStats>();
  #unchained = 0;

  /** Replays `journal` when it exists; later requests are appended to it. */
  constructor(private readonly journal: string | undefined) {
    if (!journal) return;
    mkdirSync(dirname(journal), { recursive: true });
    if (!existsSync(journal)) return;
    const text = readFileSync(journal, 'utf8');
    // A host killed mid-write leaves a torn last line, never acknowledged: skip it, and end it so the
    // next request starts a line of its own.
    if (text !== '' && !text.endsWith('\n')) appendFileSync(journal, '\n');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        this.#apply(JSON.parse(line) as JournalLine);
      } catch {
        continue;
      }
    }
  }

  sent(tenant: string, kind: TeamsSend, at: number, n: ActivityNotification, to: string[], unknown: number): void {
    this.#record({ e: 'sent', tenant, kind, at: new Date(at).toISOString(), n, to, unknown });
  }

  refused(tenant: string, kind: TeamsSend, why: 'rejected' | 'throttled'): void {
    this.#record({ e: why, tenant, kind });
  }

  reset(tenant?: string): void {
    this.#record(tenant ? { e: 'reset', tenant } : { e: 'reset' });
  }

  read(filter: { tenant?: string; user?: string }): { stats: FeedStats; entries: FeedEntry[] } {
    const tenant = filter.tenant?.toLowerCase();
    const user = filter.user?.toLowerCase();
    const entries = [...this.#entries.values()].filter((e) => (!tenant || e.tenantId === tenant) && (!user || e.userId === user));
    const stats = tenant ? (this.#stats.get(tenant) ?? emptyStats()) : this.#total();
    return { stats, entries };
  }

  #record(line: JournalLine): void {
    if (this.journal) appendFileSync(this.journal, JSON.stringify(line) + '\n');
    this.#apply(line);
  }

  #apply(line: JournalLine): void {
    if (line.e === 'reset') {
      const tenant = line.tenant?.toLowerCase();
      for (const [key, entry] of this.#entries) if (!tenant || entry.tenantId === tenant) this.#entries.delete(key);
      if (tenant) this.#stats.delete(tenant);
      else this.#stats.clear();
      return;
    }
    const tenant = line.tenant.toLowerCase();
    const stats = this.#stats.get(tenant) ?? emptyStats();
    this.#stats.set(tenant, stats);
    stats.requests[line.kind]++;
    if (line.e === 'rejected') stats.rejected++;
    if (line.e === 'throttled') stats.throttled++;
    if (line.e !== 'sent') return;
    stats.accepted[line.kind]++;
    stats.unknownRecipients += line.unknown;
    for (const userId of line.to) {
      const key = line.n.chainId === undefined ? `${tenant}|${userId}|#${this.#unchained++}` : `${tenant}|${userId}|${line.n.chainId}`;
      const previous = this.#entries.get(key);
      stats.notifications++;
      if (previous) stats.replaced++;
      // Re-inserting moves the entry to the end: the feed reads oldest first, as notifications arrived.
      this.#entries.delete(key);
      this.#entries.set(key, {
        ...line.n,
        tenantId: tenant,
        userId,
        kind: line.kind,
        receivedAt: line.at,
        replaced: previous ? previous.replaced + 1 : 0,
      });
    }
  }

  #total(): FeedStats {
    const total = emptyStats();
    for (const s of this.#stats.values()) {
      total.requests.single += s.requests.single;
      total.requests.bulk += s.requests.bulk;
      total.accepted.single += s.accepted.single;
      total.accepted.bulk += s.accepted.bulk;
      total.rejected += s.rejected;
      total.throttled += s.throttled;
      total.notifications += s.notifications;
      total.replaced += s.replaced;
      total.unknownRecipients += s.unknownRecipients;
    }
    return total;
  }
}
