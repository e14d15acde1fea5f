/**
 * What the push stand-in accepted, and which device tokens it treats as dead. With a state directory every
 * accepted notification is appended to `<dir>/received.jsonl` before its 200 goes out (so one the sender
 * saw accepted survives a SIGKILL) and read back at start; dead tokens are kept in `<dir>/dead.json`.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

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

/** An append-only file of one JSON notification per line. */
class Journal {
  readonly #fd: number;
  #size = 0;

  constructor(readonly path: string) {
    this.#fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
  }

  /** Reads every whole line back; a last line without its newline (a host killed mid-write) is dropped. */
  replay(log: (message: string) => void, onLine: (n: ReceivedNotification) => void): void {
    const size = fstatSync(this.#fd).size;
    const bytes = Buffer.alloc(size);
    for (let read = 0; read < size;) read += readSync(this.#fd, bytes, read, size - read, read);
    let start = 0;
    for (let newline = bytes.indexOf(10); newline !== -1; newline = bytes.indexOf(10, start)) {
      const text = bytes.subarray(start, newline).toString('utf8');
      start = newline + 1;
      if (!text.trim()) continue;
      try {
        onLine(JSON.parse(text) as ReceivedNotification);
      } catch {
        log(`Push stand-in: skipped an unreadable line of ${this.path}`);
      }
    }
    if (start < size) {
      log(`Push stand-in: dropped the unfinished last line of ${this.path}`);
      ftruncateSync(this.#fd, start);
    }
    this.#size = start;
  }

  append(n: ReceivedNotification): void {
    const bytes = Buffer.from(JSON.stringify(n) + '\n', 'utf8');
    for (let written = 0; written < bytes.length;)
      written += writeSync(this.#fd, bytes, written, bytes.length - written, this.#size + written);
    this.#size += bytes.length;
  }

  clear(): void {
    ftruncateSync(this.#fd, 0);
    this.#size = 0;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

const deadKey = (platform: Platform, token: string) => `${platform}\n${token}`;

export class PushStore {
  readonly #received: ReceivedNotification[] = [];
  readonly #dead = new Map<string, DeadToken>();
  readonly #journal: Journal | undefined;
  readonly #deadFile: string | undefined;

  private constructor(journal: Journal | undefined, deadFile: string | undefined) {
    this.#journal = journal;
    this.#deadFile = deadFile;
  }

  /** Opens the store, reloading what `dir` holds; without a directory everything stays in memory. */
  static open(dir: string | undefined, log: (message: string) => void): PushStore {
    if (!dir) return new PushStore(undefined, undefined);
    mkdirSync(dir, { recursive: true });
    const store = new PushStore(new Journal(join(dir, 'received.jsonl')), join(dir, 'dead.json'));
    store.#journal!.replay(log, (n) => store.#received.push(n));
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
