/**
 * Every email the stand-in accepted, in memory and, when a state directory is given, in an append-only
 * JSON-lines journal read back at start, so what a test sent survives a crashed host.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
  /** The email's own headers (the request's `headers`). */
  headers: Record<string, string>;
  attachments: { name: string; contentType: string; bytes: number }[];
  userEngagementTrackingDisabled: boolean;
  status: FinalStatus;
  error?: { code: string; message: string };
}

export class EmailStore {
  readonly #emails = new Map<string, ReceivedEmail>();
  readonly #journal: string | undefined;

  private constructor(journal: string | undefined) {
    this.#journal = journal;
  }

  /** Opens the store, reloading `<stateDir>/acs/emails.jsonl` when there is a state directory. */
  static open(stateDir: string | undefined, log: (message: string) => void): EmailStore {
    if (!stateDir) return new EmailStore(undefined);
    const dir = join(stateDir, 'acs');
    mkdirSync(dir, { recursive: true });
    const store = new EmailStore(join(dir, 'emails.jsonl'));
    if (existsSync(store.#journal!)) {
      const lines = readFileSync(store.#journal!, 'utf8').split('\n');
      for (const [i, line] of lines.entries()) {
        if (!line.trim()) continue;
        try {
          const email = JSON.parse(line) as ReceivedEmail;
          store.#emails.set(email.id, email);
        } catch {
          // A host killed in the middle of a write leaves a partial last line; the sender saw no 202 for it.
          log(`ACS Email stand-in: skipped unreadable line ${i + 1} of ${store.#journal}`);
        }
      }
    }
    return store;
  }

  get(id: string): ReceivedEmail | undefined {
    return this.#emails.get(id);
  }

  add(email: ReceivedEmail): void {
    // Written before the 202 goes out, so an email the sender saw accepted is never lost.
    if (this.#journal) appendFileSync(this.#journal, JSON.stringify(email) + '\n');
    this.#emails.set(email.id, email);
  }

  /** In the order received. */
  all(): ReceivedEmail[] {
    return [...this.#emails.values()];
  }

  clear(): void {
    if (this.#journal) writeFileSync(this.#journal, '');
    this.#emails.clear();
  }
}

/** True when `address` is one of the email's to, cc or bcc recipients (case-insensitive, as mail addresses are). */
export function isRecipient(email: ReceivedEmail, address: string): boolean {
  const wanted = address.toLowerCase();
  return [...email.to, ...email.cc, ...email.bcc].some((a) => a.address.toLowerCase() === wanted);
}
