/**
 * What the push stand-in accepted, and which device tokens it treats as dead. With a state directory every
 * accepted notification is appended to `<dir>/received.jsonl` before its 200 goes out (so one the sender
 * saw accepted survives a SIGKILL) and read back at start; dead tokens are kept in `<dir>/dead.json`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../journal.js';

export type Platform = 'fcm' | 'apns';
export const PLATFORMS: readonly Platform[] = ['fcm', 'apns'];

export interface ReceivedNotification {
  /** FCM: the message id in the answer's `name`; APNs: the `apns-id`. */
  id: string;
  platform: Platform;
  /** When the stand-in accepted it (host clock, ISO 8601). */
  time: string;
  /** The device token it went to (FCM registration token, APNs device token); absent for FCM topic and condition sends. */
  token?: string;
  /** FCM: the topic it went to; APNs: the `apns-topic` header (the app's bundle id). */
  topic?: string;
  /** FCM: the condition it went to. */
  condition?: string;
  title?: string;
  body?: string;
  /** FCM: the data payload; APNs: the payload's keys other than `aps`. */
  data: Record<string, unknown>;
  /** FCM: `android.collapse_key` or the APNs override's `apns-collapse-id`; APNs: `apns-collapse-id`. */
  collapseId?: string;
  /** FCM: `android.priority`; APNs: `apns-priority`. */
  priority?: string;
  /** FCM: the message as sent (field names in snake_case); APNs: `{headers, payload}` (the apns-* headers and the JSON payload). */
  message: unknown;
}

export interface DeadToken {
  platform: Platform;
  token: string;
  /** When it was marked dead (host clock, epoch ms): APNs reports it as the 410's `timestamp`. */
  since: number;
}

const deadKey = (platform: Platform, token: string) => `${platform}\n${token}`;

export class PushStore {
  readonly #received: ReceivedNotification[] = [];
  readonly #dead = new Map<string, DeadToken>();
  readonly #journal: Journal<ReceivedNotification> | undefined;
  readonly #deadFile: string | undefined;

  private constructor(journal: Journal<ReceivedNotification> | undefined, deadFile: string | undefined) {
    this.#journal = journal;
    this.#deadFile = deadFile;
  }

  /** Opens the store, reloading what `dir` holds; without a directory everything stays in memory. */
  static open(dir: string | undefined, log: (message: string) => void): PushStore {
    if (!dir) return new PushStore(undefined, undefined);
    mkdirSync(dir, { recursive: true });
    const store = new PushStore(new Journal<ReceivedNotification>(join(dir, 'received.jsonl')), join(dir, 'dead.json'));
    store.#journal!.replay(
      (m) => log(`Push stand-in: ${m}`),
      (n) => store.#received.push(n),
    );
    if (existsSync(store.#deadFile!)) {
      try {
        for (const d of JSON.parse(readFileSync(store.#deadFile!, 'utf8')) as DeadToken[]) store.#dead.set(deadKey(d.platform, d.token), d);
      } catch {
        log(`Push stand-in: ignored the unreadable ${store.#deadFile}`);
      }
    }
    return store;
  }

  add(n: ReceivedNotification): void {
    this.#journal?.append(n);
    this.#received.push(n);
  }

  /** In arrival order, optionally of one platform and/or one device token. */
  received(filter: { platform?: string | null; token?: string | null } = {}): ReceivedNotification[] {
    return this.#received.filter(
      (n) => (!filter.platform || n.platform === filter.platform) && (!filter.token || n.token === filter.token),
    );
  }

  count(platform: Platform): number {
    return this.#received.reduce((sum, n) => sum + (n.platform === platform ? 1 : 0), 0);
  }

  markDead(platform: Platform, token: string, since: number): DeadToken {
    const existing = this.#dead.get(deadKey(platform, token));
    if (existing) return existing;
    const dead = { platform, token, since };
    this.#dead.set(deadKey(platform, token), dead);
    this.#saveDead();
    return dead;
  }

  dead(platform: Platform, token: string): DeadToken | undefined {
    return this.#dead.get(deadKey(platform, token));
  }

  allDead(): DeadToken[] {
    return [...this.#dead.values()];
  }

  #saveDead(): void {
    if (!this.#deadFile) return;
    const temporary = `${this.#deadFile}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.allDead()));
    renameSync(temporary, this.#deadFile);
  }

  clear(): void {
    this.#journal?.clear();
    this.#received.length = 0;
    this.#dead.clear();
    if (this.#deadFile) rmSync(this.#deadFile, { force: true });
  }

  close(): void {
    this.#journal?.close();
  }
}
