/** Messages, tenant settings, clicks and counters in memory, with the stores' contracts. */
import type { MessageStatus } from '../../../../core/lifecycle.js';
import type { DraftInput } from '../../../../core/message.js';
import type { MessageRecord } from '../../../../core/records.js';
import type { BatchItem } from '../../../../adapters/stores/counterStore.js';
import type { MessageStore } from '../../../../adapters/stores/messageStore.js';
import { DEFAULT_SETTINGS, type TenantSettings } from '../../../../adapters/stores/tenantSettingsStore.js';

export const TENANT = '5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90';
const AUTHOR = { id: 'writer', upn: 'writer@contoso.test', name: 'Writer' };

let ids = 0;
/** A message id as the store makes them: 21 hex digits. */
export const newMessageId = () => (++ids).toString(16).padStart(21, '0');

export function message(draft: DraftInput, status: MessageStatus = 'Active', id = newMessageId()): MessageRecord {
  return {
    id,
    status,
    draft,
    author: AUTHOR,
    createdAt: '2026-03-01T09:00:00.000Z',
    updatedAt: '2026-03-01T09:00:00.000Z',
    version: 1,
    etag: 'W/"1"',
  };
}

export class FakeMessages implements Pick<MessageStore, 'get' | 'setOccurrence' | 'dueOccurrences'> {
  readonly #rows = new Map<string, { message: MessageRecord; occurrence?: number; nextAt?: string }>();
  reads = 0;

  put(tenant: string, m: MessageRecord) {
    const row = this.#rows.get(`${tenant}:${m.id}`);
    this.#rows.set(`${tenant}:${m.id}`, { ...row, message: structuredClone(m) });
  }

  setStatus(tenant: string, id: string, status: MessageStatus) {
    this.#rows.get(`${tenant}:${id}`)!.message.status = status;
  }

  /** The occurrence being delivered and when the next is due, as setOccurrence left them. */
  occurrenceOf(tenant: string, id: string) {
    const row = this.#rows.get(`${tenant}:${id}`);
    return { occurrence: row?.occurrence, nextAt: row?.nextAt };
  }

  get = async (tenant: string, id: string) => {
    this.reads++;
    const row = this.#rows.get(`${tenant}:${id}`);
    return row && structuredClone(row.message);
  };

  setOccurrence = async (tenant: string, id: string, occurrence: number, nextAt: string | undefined) => {
    const row = this.#rows.get(`${tenant}:${id}`);
    if (!row) throw new Error(`no message ${id}`);
    row.occurrence = occurrence;
    row.nextAt = nextAt;
  };

  dueOccurrences = (at: string): AsyncIterable<{ tenant: string; id: string; occurrence: number }> => {
    const due = [...this.#rows]
      .filter(([, row]) => row.message.status === 'Active' && row.nextAt && row.nextAt <= at)
      .map(([key, row]) => ({ tenant: key.slice(0, key.indexOf(':')), id: row.message.id, occurrence: row.occurrence ?? 0 }));
    return (async function* () {
      yield* due;
    })();
  };
}

export const settingsOf =
  (overrides: Record<string, Partial<TenantSettings>> = {}) =>
  async (tenant: string): Promise<TenantSettings> => ({ ...DEFAULT_SETTINGS, ...overrides[tenant] });

/** The counter store's batch rows: the latest absolute counts of each batch, so a repeat adds nothing. */
export class FakeCounters {
  readonly #batches = new Map<string, BatchItem>();

  count = async (tenantId: string, messageId: string, item: BatchItem) => {
    const key = `${tenantId}:${messageId}:${item.occurrence}:${item.batch}`;
    const before = this.#batches.get(key);
    if (before && before.sent === item.sent && before.failed === item.failed) return false;
    this.#batches.set(key, { ...item });
    return true;
  };

  totals(tenantId: string, messageId: string) {
    let delivered = 0;
    let failed = 0;
    for (const [key, item] of this.#batches)
      if (key.startsWith(`${tenantId}:${messageId}:`)) {
        delivered += item.sent;
        failed += item.failed;
      }
    return { delivered, failed };
  }
}
