/**
 * The message store over Azure Tables (docs/storage.md): table `messages` (PartitionKey tenant, RowKey
 * message id, ETag-guarded) and table `audit` (PartitionKey `tenant:message`, RowKey inverted time, so
 * newest first). Every method takes the tenant and builds the keys from it, so no query can be written
 * that reaches across tenants; a message of another tenant simply does not exist here.
 */
import { odata, type TableEntityResult } from '@azure/data-tables';
import { z } from 'zod';
import {
  MESSAGE_STATUSES,
  PAST_TENSE,
  transition,
  transitionContext,
  TRANSITION_RECORDS,
  type MessageStatus,
} from '../../core/lifecycle.js';
import type { Actor, AppliedTransition, AuditEntry, LifecycleEnded, MessageRecord, TransitionRequest } from '../../core/records.js';
import { DraftInput } from '../../core/message.js';
import { now } from '../runtime/clock.js';
import { storageSettings, type StorageSettings } from '../runtime/settings.js';
import { findEntity, isStatus, tableClientFor } from './storageClients.js';
import { inverted, MAX_TIME, MESSAGE_ID, messageId, messageKey, tenantKey } from './keys.js';

export interface ListQuery {
  status?: MessageStatus;
  location?: string;
  objective?: string;
  /** A case-insensitive prefix of the name (Tables can range over a prefix, not search inside a string). */
  name?: string;
  pageSize: number;
  continuation?: string;
}

/** What reports need of a message: who it is and the columns they filter on. */
export interface MessageIndexEntry {
  id: string;
  name: string;
  status: MessageStatus;
  location: string;
  objective: string;
}

export interface MessagePage {
  items: MessageRecord[];
  /** Opaque; present when there may be more. */
  continuation?: string;
}

/** The message changed since the caller read it (its ETag no longer matches). */
export class StaleMessage extends Error {}
/** A continuation token that this store did not hand out. */
export class InvalidContinuation extends Error {}

export interface MessageStore {
  create(tenant: string, draft: DraftInput, by: Actor): Promise<MessageRecord>;
  get(tenant: string, id: string): Promise<MessageRecord | undefined>;
  list(tenant: string, query: ListQuery): Promise<MessagePage>;
  /** Replaces the draft of `current`; throws StaleMessage when the row moved on since `current` was read. */
  modify(tenant: string, current: MessageRecord, draft: DraftInput, by: Actor, fields: string[]): Promise<MessageRecord>;
  /** Deletes `current`; throws StaleMessage when the row moved on since it was read. */
  delete(tenant: string, current: MessageRecord, by: Actor): Promise<void>;
  /** Every message of the tenant matching the filters, newest first, without drafts (one lean query). */
  index(tenant: string, filter: Pick<ListQuery, 'status' | 'location' | 'objective'>): AsyncIterable<MessageIndexEntry>;
  /** The audit trail, newest first. */
  audit(tenant: string, id: string): Promise<AuditEntry[]>;
  /**
   * A status change as the status machine (`core/lifecycle.ts`) decides it from the current row, written
   * against the row's ETag so a concurrent change wins or loses whole. Repeating the change that was made
   * last is a no-op that succeeds, so an activity may run twice.
   */
  transition(tenant: string, id: string, change: TransitionRequest): Promise<AppliedTransition>;
  /** Records the occurrence now being delivered and when the next one is due (none: no resend). */
  setOccurrence(tenant: string, id: string, occurrence: number, nextAt: string | undefined): Promise<void>;
  /** Active messages of every tenant whose next occurrence is due at `at` (the resend timer's query). */
  dueOccurrences(at: string): AsyncIterable<{ tenant: string; id: string; occurrence: number }>;
  /**
   * The reconciler's query, across tenants: messages whose life is under way (pending approval, scheduled,
   * active) and those changed since `since` (their counts may still be settling).
   */
  toReconcile(since: string): AsyncIterable<ReconcileEntry>;
  /** Records that the message's lifecycle orchestration ended early, so the message shows it. */
  markLifecycleEnded(tenant: string, id: string, ended: LifecycleEnded): Promise<void>;
}

/** A message as the reconciler sees it (`MessageStore.toReconcile`). */
export interface ReconcileEntry {
  tenant: string;
  id: string;
  status: MessageStatus;
  lifecycle?: string;
  /** Already marked as having lost its lifecycle. */
  lifecycleEnded: boolean;
}

const auditRowKey = (time: number, version: number) => `${inverted(time, MAX_TIME, 11)}-${inverted(version, 0xffff_ffff, 8)}`;

const auditKey = messageKey;

const MessageRow = z.object({
  rowKey: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  draft: z.string(),
  authorId: z.string(),
  authorUpn: z.string(),
  authorName: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
  etag: z.string(),
  lastAction: z.enum(TRANSITION_RECORDS).optional(),
  lastActorId: z.string().optional(),
  lastActorUpn: z.string().optional(),
  lastActorName: z.string().optional(),
  lifecycle: z.string().optional(),
  activatedAt: z.string().optional(),
  lifecycleEnded: z.string().optional(),
  occurrence: z.number().int().optional(),
  nextOccurrenceAt: z.string().optional(),
});
type MessageRow = Omit<z.infer<typeof MessageRow>, 'rowKey' | 'etag'> & {
  name?: string;
  nameKey?: string;
  objective?: string;
  location?: string;
};

const AuditRow = z.object({
  at: z.string(),
  action: z.enum(['created', 'modified', 'deleted', ...TRANSITION_RECORDS]),
  byId: z.string(),
  byUpn: z.string(),
  byName: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  fields: z.string().optional(),
  comment: z.string().optional(),
});
type AuditRow = z.infer<typeof AuditRow>;

function toRecord(entity: TableEntityResult<Record<string, unknown>>): MessageRecord {
  const row = MessageRow.parse(entity);
  return {
    id: row.rowKey,
    status: row.status,
    // Written by this module from a validated DraftInput; parsing it again keeps defaults of newer schemas.
    draft: DraftInput.parse(JSON.parse(row.draft)),
    author: { id: row.authorId, upn: row.authorUpn, name: row.authorName },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    version: row.version,
    etag: row.etag,
    ...(row.lastAction ? { lastAction: row.lastAction } : {}),
    ...(row.lastActorId ? { lastActor: { id: row.lastActorId, upn: row.lastActorUpn ?? '', name: row.lastActorName ?? '' } } : {}),
    ...(row.lifecycle ? { lifecycle: row.lifecycle } : {}),
    ...(row.activatedAt ? { activatedAt: row.activatedAt } : {}),
    ...(row.lifecycleEnded ? { lifecycleEnded: JSON.parse(row.lifecycleEnded) as LifecycleEnded } : {}),
    ...(row.occurrence !== undefined
      ? { schedule: { occurrence: row.occurrence, ...(row.nextOccurrenceAt ? { nextAt: row.nextOccurrenceAt } : {}) } }
      : {}),
  };
}

/** A message as its row. The columns lists filter on are copied out of the draft, as Tables cannot filter inside JSON. */
const rowFor = (m: Omit<MessageRecord, 'id' | 'etag'>): MessageRow => ({
  status: m.status,
  draft: JSON.stringify(m.draft),
  name: m.draft.name,
  nameKey: m.draft.name?.toLowerCase(),
  objective: m.draft.objective,
  location: m.draft.location,
  authorId: m.author.id,
  authorUpn: m.author.upn,
  authorName: m.author.name,
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
  version: m.version,
  lastAction: m.lastAction,
  lastActorId: m.lastActor?.id,
  lastActorUpn: m.lastActor?.upn,
  lastActorName: m.lastActor?.name,
  lifecycle: m.lifecycle,
  activatedAt: m.activatedAt,
  lifecycleEnded: m.lifecycleEnded ? JSON.stringify(m.lifecycleEnded) : undefined,
  // Carried through every whole-row write: the resend timer's query finds a message by these columns.
  occurrence: m.schedule?.occurrence,
  nextOccurrenceAt: m.schedule ? (m.schedule.nextAt ?? '') : undefined,
});

// The continuation is the last id of the page: the next page is the rows after it. Encoded so clients
// treat it as opaque and so a hand-made one is recognisably foreign.
const encodeContinuation = (lastId: string) => Buffer.from(`after:${lastId}`).toString('base64url');
function decodeContinuation(token: string): string {
  const match = /^after:([0-9a-f]{21})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) throw new InvalidContinuation('the continuation token is not one this API handed out');
  return match[1]!;
}

function filterConditions(tenant: string, filter: Pick<ListQuery, 'status' | 'location' | 'objective'>): string[] {
  const conditions = [odata`PartitionKey eq ${tenantKey(tenant)}`];
  if (filter.status) conditions.push(odata`status eq ${filter.status}`);
  if (filter.location) conditions.push(odata`location eq ${filter.location}`);
  if (filter.objective) conditions.push(odata`objective eq ${filter.objective}`);
  return conditions;
}

/** Rows kept at most; the oldest go first. A lifecycle's steps follow each other within seconds. */
const RECENT_ROWS = 2_000;

/** The messages this process read or wrote last, newest last (a Map keeps insertion order). */
function recentRows() {
  const rows = new Map<string, MessageRecord>();
  const key = (tenant: string, id: string) => `${tenant}/${id}`;
  return {
    get: (tenant: string, id: string) => rows.get(key(tenant, id)),
    keep(tenant: string, message: MessageRecord): MessageRecord {
      const k = key(tenant, message.id);
      rows.delete(k);
      rows.set(k, message);
      if (rows.size > RECENT_ROWS) rows.delete(rows.keys().next().value!);
      return message;
    },
    forget: (tenant: string, id: string) => void rows.delete(key(tenant, id)),
  };
}

export function tableMessageStore(storage: StorageSettings): MessageStore {
  const table = (name: string) => {
    const client = tableClientFor(storage, name);
    let created: Promise<void> | undefined;
    // Created on first use (once per process); a failed attempt is retried by the next call.
    return async () => {
      created ??= client.createTable().catch((error: unknown) => {
        created = undefined;
        throw error;
      });
      await created;
      return client;
    };
  };
  const messages = table('messages');
  const audit = table('audit');
  const recent = recentRows();

  const appendAudit = async (
    tenant: string,
    id: string,
    version: number,
    entry: Omit<AuditRow, 'at'>,
    time: number,
    idempotent = false,
  ) => {
    const row: AuditRow = { ...entry, at: new Date(time).toISOString() };
    const entity = { partitionKey: auditKey(tenant, id), rowKey: auditRowKey(time, version), ...row };
    // A transition's row is keyed by the change's own time and version, so writing it again is harmless.
    if (idempotent) await (await audit()).upsertEntity(entity, 'Replace');
    else await (await audit()).createEntity(entity);
  };
  const actorColumns = (by: Actor) => ({ byId: by.id, byUpn: by.upn, byName: by.name });
  const auditEntry = (change: TransitionRequest, status: MessageStatus): Omit<AuditRow, 'at'> => ({
    action: PAST_TENSE[change.transition],
    status,
    ...actorColumns(change.by),
    ...(change.comment ? { comment: change.comment } : {}),
  });

  return {
    async create(tenant, draft, by) {
      const time = now();
      const id = messageId(time);
      const at = new Date(time).toISOString();
      const row = rowFor({ status: 'Draft', draft, author: by, createdAt: at, updatedAt: at, version: 1 });
      const { etag } = await (await messages()).createEntity({ partitionKey: tenantKey(tenant), rowKey: id, ...row });
      await appendAudit(tenant, id, 1, { action: 'created', status: 'Draft', ...actorColumns(by) }, time);
      return recent.keep(tenant, toRecord({ ...row, partitionKey: tenant, rowKey: id, etag: etag! }));
    },

    async get(tenant, id) {
      if (!MESSAGE_ID.test(id)) return undefined;
      const e = await findEntity(await messages(), tenantKey(tenant), id);
      if (!e) recent.forget(tenant, id);
      return e && recent.keep(tenant, toRecord(e));
    },

    async list(tenant, query) {
      const conditions = filterConditions(tenant, query);
      if (query.continuation) conditions.push(odata`RowKey gt ${decodeContinuation(query.continuation)}`);
      if (query.name) {
        // Prefix range: every string that starts with `prefix` sorts in [prefix, prefix + U+FFFF).
        const prefix = query.name.toLowerCase();
        conditions.push(odata`nameKey ge ${prefix} and nameKey lt ${prefix + '\uffff'}`);
      }
      const items: MessageRecord[] = [];
      // One row more than the page shows whether another page exists. Tables may answer a filtered query
      // with short pages, so keep reading until the page is full or the partition ends.
      const pages = (await messages())
        .listEntities({ queryOptions: { filter: conditions.join(' and ') } })
        .byPage({ maxPageSize: query.pageSize + 1 });
      for await (const page of pages) {
        items.push(...page.map((e) => toRecord(e as TableEntityResult<Record<string, unknown>>)));
        if (items.length > query.pageSize) break;
      }
      if (items.length <= query.pageSize) return { items };
      const shown = items.slice(0, query.pageSize);
      return { items: shown, continuation: encodeContinuation(shown[shown.length - 1]!.id) };
    },

    async *index(tenant, filter) {
      const conditions = filterConditions(tenant, filter);
      const rows = (await messages()).listEntities<Record<string, unknown>>({
        queryOptions: { filter: conditions.join(' and '), select: ['RowKey', 'name', 'status', 'location', 'objective'] },
      });
      for await (const e of rows)
        yield {
          id: String(e.rowKey),
          name: String(e.name ?? ''),
          status: e.status as MessageStatus,
          location: String(e.location ?? ''),
          objective: String(e.objective ?? ''),
        };
    },

    async modify(tenant, current, draft, by, fields) {
      const time = now();
      const next = { ...current, draft, updatedAt: new Date(time).toISOString(), version: current.version + 1 };
      let etag: string | undefined;
      try {
        // Replace, so a field the patch cleared leaves no stale filter column; the ETag makes it fail if
        // anyone changed the row since `current` was read.
        ({ etag } = await (
          await messages()
        ).updateEntity({ partitionKey: tenantKey(tenant), rowKey: current.id, ...rowFor(next) }, 'Replace', { etag: current.etag }));
      } catch (error) {
        recent.forget(tenant, current.id);
        if (isStatus(error, 412) || isStatus(error, 404)) throw new StaleMessage();
        throw error;
      }
      await appendAudit(
        tenant,
        current.id,
        next.version,
        { action: 'modified', status: current.status, fields: fields.join(','), ...actorColumns(by) },
        time,
      );
      return recent.keep(tenant, { ...next, etag: etag! });
    },

    async delete(tenant, current, by) {
      const time = now();
      recent.forget(tenant, current.id);
      try {
        await (await messages()).deleteEntity(tenantKey(tenant), current.id, { etag: current.etag });
      } catch (error) {
        if (isStatus(error, 412) || isStatus(error, 404)) throw new StaleMessage();
        throw error;
      }
      // Kept after the message is gone: the trail of who deleted what outlives the message.
      await appendAudit(tenant, current.id, current.version + 1, { action: 'deleted', status: current.status, ...actorColumns(by) }, time);
    },

    async transition(tenant, id, change) {
      const action = PAST_TENSE[change.transition];
      // The row as this process last read or wrote it is only a guess at the ETag for the first write: a
      // stale guess costs a refused write (412) and a read, as a change made meanwhile does. A repeat or a
      // refusal is only judged on the row as it is.
      let known = recent.get(tenant, id);
      for (let attempt = 0; attempt < 5; attempt++) {
        const guess =
          known && known.lastAction !== action && transition(known.status, change.transition, transitionContext(known.draft)).ok;
        const current = guess ? known : await this.get(tenant, id);
        known = undefined;
        if (!current) return { ok: false, message: undefined, reason: 'the message no longer exists' };
        if (current.lastAction === action) {
          // Done before (an activity retried after a crash): make sure its audit row exists too.
          await appendAudit(tenant, id, current.version, auditEntry(change, current.status), Date.parse(current.updatedAt), true);
          return { ok: true, message: current };
        }
        const check = transition(current.status, change.transition, transitionContext(current.draft));
        if (!check.ok) return { ok: false, message: current, reason: check.reason };
        const time = now();
        const next: Omit<MessageRecord, 'id' | 'etag'> = {
          ...current,
          status: check.status,
          updatedAt: new Date(time).toISOString(),
          version: current.version + 1,
          lastAction: action,
          lastActor: change.by,
          lifecycle: change.lifecycle ?? current.lifecycle,
          activatedAt: check.status === 'Active' ? new Date(time).toISOString() : current.activatedAt,
          // A new submission has a lifecycle of its own: how the last one ended is history (the audit keeps it).
          lifecycleEnded: change.lifecycle && change.lifecycle !== current.lifecycle ? undefined : current.lifecycleEnded,
        };
        let etag: string | undefined;
        try {
          ({ etag } = await (
            await messages()
          ).updateEntity({ partitionKey: tenantKey(tenant), rowKey: id, ...rowFor(next) }, 'Replace', { etag: current.etag }));
        } catch (error) {
          recent.forget(tenant, id);
          if (isStatus(error, 412) && guess) attempt--; // only a guess: not one of the tries
          if (isStatus(error, 412)) continue; // changed meanwhile: look again
          if (isStatus(error, 404)) return { ok: false, message: undefined, reason: 'the message no longer exists' };
          throw error;
        }
        await appendAudit(tenant, id, next.version, auditEntry(change, check.status), time, true);
        return { ok: true, message: recent.keep(tenant, { ...next, id, etag: etag! }) };
      }
      const message = await this.get(tenant, id);
      return { ok: false, message, reason: `the message kept changing while it was being ${action}` };
    },

    async setOccurrence(tenant, id, occurrence, nextAt) {
      recent.forget(tenant, id); // a new ETag
      await (
        await messages()
      ).updateEntity({ partitionKey: tenantKey(tenant), rowKey: id, occurrence, nextOccurrenceAt: nextAt ?? '' }, 'Merge');
    },

    async *dueOccurrences(at) {
      const rows = (await messages()).listEntities<{ occurrence?: number }>({
        queryOptions: {
          filter: odata`status eq 'Active' and nextOccurrenceAt gt '' and nextOccurrenceAt le ${at}`,
          select: ['PartitionKey', 'RowKey', 'occurrence'],
        },
      });
      for await (const row of rows) yield { tenant: row.partitionKey!, id: row.rowKey!, occurrence: Number(row.occurrence ?? 0) };
    },

    async *toReconcile(since) {
      const rows = (await messages()).listEntities<{ status: MessageStatus; lifecycle?: string; lifecycleEnded?: string }>({
        queryOptions: {
          filter: odata`status eq 'PendingApproval' or status eq 'Scheduled' or status eq 'Active' or updatedAt ge ${since}`,
          select: ['PartitionKey', 'RowKey', 'status', 'lifecycle', 'lifecycleEnded'],
        },
      });
      for await (const row of rows)
        yield {
          tenant: row.partitionKey!,
          id: row.rowKey!,
          status: row.status,
          ...(row.lifecycle ? { lifecycle: row.lifecycle } : {}),
          lifecycleEnded: !!row.lifecycleEnded,
        };
    },

    async markLifecycleEnded(tenant, id, ended) {
      recent.forget(tenant, id); // a new ETag
      try {
        await (
          await messages()
        ).updateEntity({ partitionKey: tenantKey(tenant), rowKey: id, lifecycleEnded: JSON.stringify(ended) }, 'Merge');
      } catch (error) {
        if (!isStatus(error, 404)) throw error; // deleted meanwhile: nothing to show it on
      }
    },

    async audit(tenant, id) {
      if (!MESSAGE_ID.test(id)) return [];
      const entries: AuditEntry[] = [];
      const rows = (await audit()).listEntities({ queryOptions: { filter: odata`PartitionKey eq ${auditKey(tenant, id)}` } });
      for await (const entity of rows) {
        const row = AuditRow.parse(entity);
        entries.push({
          at: row.at,
          action: row.action,
          by: { id: row.byId, upn: row.byUpn, name: row.byName },
          status: row.status,
          ...(row.fields !== undefined ? { fields: row.fields ? row.fields.split(',') : [] } : {}),
          ...(row.comment ? { comment: row.comment } : {}),
        });
      }
      return entries;
    },
  };
}

let shared: MessageStore | undefined;
/** The app's store, on the storage account of `AzureWebJobsStorage` (devhost sets it explicitly). */
export const messageStore = (): MessageStore => (shared ??= tableMessageStore(storageSettings()));
