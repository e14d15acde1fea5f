/**
 * Every email the stand-in accepted. All of them stay in memory as what identifies and counts them
 * (id, time, addresses, subject, status, body hash), but only the most recent `keepBodies` keep their html
 * and plain text there: a fan-out to 100,000 people would otherwise hold every body (~6 kB each) for the
 * life of the host. When a state directory is given, each email is also appended whole to a JSON-lines
 * journal, read back at start (so what a test sent survives a crashed host) and, for one email whose body
 * memory no longer holds, read at the offset recorded for it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../journal.js';

export interface Address {
  address: string;
  displayName?: string;
}

export type FinalStatus = 'Succeeded' | 'Failed';

export interface ReceivedEmail {
  /** The operation id: the request's Operation-Id when it had one. */
  id: string;
  /** When the stand-in accepted it (host clock, ISO 8601). */
  time: string;
  /** SHA-256 of the request body: a repeated Operation-Id must carry the same body. */
  bodyHash: string;
  from: string;
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address[];
  subject: string;
  html?: string;
  plainText?: string;
  /** True when html and plainText are left out because the stand-in no longer keeps them (see `EmailStore`). */
  bodyNotKept?: true;
  /** The email's own headers (the request's `headers`). */
  headers: Record<string, string>;
  attachments: { name: string; contentType: string; bytes: number }[];
  userEngagementTrackingDisabled: boolean;
  status: FinalStatus;
  error?: { code: string; message: string };
}

interface Entry {
  email: ReceivedEmail;
  /** Where the email's line is in the journal (bytes), or -1 without one. */
  offset: number;
  length: number;
}

/** One empty list and record for every email that has none, since most emails have no cc, bcc, headers… */
const NONE: never[] = Object.freeze([]) as never[];
const NO_HEADERS: Record<string, string> = Object.freeze({});
const orNone = <T>(list: T[]): T[] => (list.length ? list : NONE);

/**
 * The email as it stays in memory for good. Built property by property with every field present, so that all
 * these objects share one shape (an object with properties left out by a rest pattern takes ~60 % more).
 */
const withoutBody = (e: ReceivedEmail): ReceivedEmail => ({
  id: e.id,
  time: e.time,
  bodyHash: e.bodyHash,
  from: e.from,
  to: e.to,
  cc: orNone(e.cc),
  bcc: orNone(e.bcc),
  replyTo: orNone(e.replyTo),
  subject: e.subject,
  bodyNotKept: true,
  headers: Object.keys(e.headers).length ? e.headers : NO_HEADERS,
  attachments: orNone(e.attachments),
  userEngagementTrackingDisabled: e.userEngagementTrackingDisabled,
  status: e.status,
  error: e.error,
});

export class EmailStore {
  readonly #byId = new Map<string, Entry>();
  /** In arrival order: the last `keepBodies` of them hold their bodies. */
  readonly #entries: Entry[] = [];
  readonly #keepBodies: number;
  readonly #journal: Journal<ReceivedEmail> | undefined;
  #succeeded = 0;

  private constructor(keepBodies: number, journal: Journal<ReceivedEmail> | undefined) {
    this.#keepBodies = keepBodies;
    this.#journal = journal;
  }

  /**
   * Opens the store, reloading `<stateDir>/acs/emails.jsonl` when there is a state directory; `keepBodies`
   * is how many of the most recent emails keep their html and plain text in memory.
   */
  static open(stateDir: string | undefined, log: (message: string) => void, keepBodies: number): EmailStore {
    if (!stateDir) return new EmailStore(keepBodies, undefined);
    const dir = join(stateDir, 'acs');
    mkdirSync(dir, { recursive: true });
    const journal = new Journal<ReceivedEmail>(join(dir, 'emails.jsonl'));
    const store = new EmailStore(keepBodies, journal);
    journal.replay(
      (m) => log(`ACS Email stand-in: ${m}`),
      (email, offset, length) => store.#keep({ email, offset, length }),
    );
    return store;
  }

  /** The email as memory holds it: for idempotency and status, whether or not its body is kept. */
  get(id: string): ReceivedEmail | undefined {
    return this.#byId.get(id)?.email;
  }

  /** The whole email, its body read back from the journal when memory no longer holds it and there is one. */
  read(id: string): ReceivedEmail | undefined {
    const entry = this.#byId.get(id);
    if (!entry?.email.bodyNotKept || !this.#journal || entry.offset < 0) return entry?.email;
    return this.#journal.read(entry.offset, entry.length);
  }

  add(email: ReceivedEmail): void {
    // Written before the 202 goes out, so an email the sender saw accepted is never lost.
    this.#keep({ email, ...(this.#journal?.append(email) ?? { offset: -1, length: 0 }) });
  }

  /** Ids are unique here: `add` is only called for an id `get` does not know, with no await between. */
  #keep(entry: Entry): void {
    this.#byId.set(entry.email.id, entry);
    this.#entries.push(entry);
    if (entry.email.status === 'Succeeded') this.#succeeded++;
    const leaving = this.#entries[this.#entries.length - 1 - this.#keepBodies];
    if (leaving && !leaving.email.bodyNotKept) leaving.email = withoutBody(leaving.email);
  }

  /** Every email in the order received; those older than the most recent `keepBodies` without their body. */
  all(): ReceivedEmail[] {
    return this.#entries.map((e) => e.email);
  }

  counts(): { received: number; succeeded: number; failed: number } {
    const received = this.#entries.length;
    return { received, succeeded: this.#succeeded, failed: received - this.#succeeded };
  }

  clear(): void {
    this.#journal?.clear();
    this.#byId.clear();
    this.#entries.length = 0;
    this.#succeeded = 0;
  }

  close(): void {
    this.#journal?.close();
  }
}

/** True when `address` is one of the email's to, cc or bcc recipients (case-insensitive, as mail addresses are). */
export function isRecipient(email: ReceivedEmail, address: string): boolean {
  const wanted = address.toLowerCase();
  return [...email.to, ...email.cc, ...email.bcc].some((a) => a.address.toLowerCase() === wanted);
}
