/**
 * Exact per-message counters (docs/storage.md `counters`, docs/decisions/report-folding.md), over Azure Tables.
 *
 * Table `counters`, PartitionKey `tenant:message`:
 * - `totals|<writer>`: the message's counts (events per channel, distinct people) this writer counted, JSON,
 *   with a version; `m|yyyy-MM|<writer>`: the counts of each day of a month (tenant's time zone) it counted.
 *   One shard per writer (adapters/stores/counterRows: the rows, and the sum every reader takes);
 * - `~b|<occurrence>|<batch>`: how many of a push batch's sent and failed deliveries are counted;
 * - `~e|<userId>|<event key>`: one row per counted event (who, what, where, when) — the idempotency gate
 *   and the per-recipient record that exports read and retention purges.
 *
 * An event or a delivery sync is counted in one entity-group transaction with its marker (or its batch
 * row), guarded by the shard rows' ETags: a marker that exists means counted already (409), a row that
 * moved means re-read and retry (412). So nothing is counted twice and no increment is lost.
 *
 * The writer is this process (`WRITER`, random at start), so two instances counting the same message commit
 * to rows of their own and never retry on each other's ETags; the markers and batch rows they share decide
 * what is counted, whichever shard counts it. A restart is a new writer: the old shard stays as it was, part
 * of the sum.
 *
 * Group commit: everything waiting for one message while a commit is in flight goes into the next one, up
 * to the 100 operations a transaction allows (its rows, the month rows they touch and the totals), so a burst of events costs a few transactions, not one each.
 * Each caller's promise settles only when its part is stored. A caller that knows an event is on its way
 * (adapters/stores/interactionStore, whose own transaction is in flight) says so with `expectCount`: a
 * commit then lingers, up to LINGER_MS, until those events have joined the queue, so one transaction
 * carries them all instead of the first alone. Nothing is answered before its commit, so a crash loses
 * nothing either way; without expected events a commit starts at once, as before.
 */
import { randomBytes } from 'node:crypto';
import { odata, TableTransaction, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { Channel } from '../../core/delivery.js';
import { addTo, type Contribution, type Counts } from '../../core/reportMath.js';
import { counterPartition, monthRow, totalsRow } from './counterRows.js';
import { project } from './reportStore.js';
import { findEntity, isStatus, table } from './storageClients.js';

export interface EventItem {
  kind: 'event';
  userId: string;
  /** Unique per user and message: the same key is counted once. */
  eventKey: string;
  type: string;
  at: number;
  contribution: Contribution;
}

export interface BatchItem {
  kind: 'batch';
  occurrence: number;
  batch: number;
  channel: Channel;
  day: string;
  /** The batch's sent and failed so far (absolute): the difference to what was counted is added. */
  sent: number;
  failed: number;
}

export type CounterItem = EventItem | BatchItem;

/**
 * This process's shard: random, so no two processes share one (sharing would only cost ETag retries), and
 * short, as it is in every counter row key it writes and in the report copies' versions.
 */
const WRITER = randomBytes(6).toString('base64url');
const TOTALS = totalsRow(WRITER);
/** yyyy-MM */
const monthOf = (day: string) => day.slice(0, 7);
export const eventRowKey = (userId: string, eventKey: string) => `~e|${userId}|${eventKey}`;
export const EVENT_PREFIX = '~e|';
const batchRowKey = (occurrence: number, batch: number) => `~b|${String(occurrence).padStart(6, '0')}|${String(batch).padStart(6, '0')}`;

/** Operations one entity-group transaction may hold: each item's row, each month row it touches, and the totals. */
const MAX_OPERATIONS = 100;
const MAX_ATTEMPTS = 100;

interface Row<T> {
  value: T;
  version: number;
  /** Absent: the row does not exist yet (create it). */
  etag?: string;
}

interface Waiter {
  item: CounterItem;
  resolve: (counted: boolean) => void;
  reject: (error: unknown) => void;
}

/** One message's counters as this process last stored them, and what waits to be added. */
interface PartitionState {
  pk: string;
  tenantId: string;
  messageId: string;
  totals?: Row<Counts>;
  /** By month (yyyy-MM). */
  months: Map<string, Row<Record<string, Counts>>>;
  batches: Map<string, Row<{ sent: number; failed: number }>>;
  queue: Waiter[];
  running: boolean;
  /** Events announced by `expectCount` that have not joined the queue yet. */
  expected: number;
  /** Ends a lingering commit's wait (set while it waits). */
  wake?: () => void;
}

const partitions = new Map<string, PartitionState>();
/**
 * How long a commit waits for announced events: about what an interactions transaction takes on a busy
 * host, so an event waits at most one more such round trip, and usually far less (the wait ends when the
 * last announced event arrives).
 */
const LINGER_MS = 15;
/** Partitions kept after they go idle, so a busy message's rows are not re-read on every burst. */
const MAX_IDLE_PARTITIONS = 2000;

const counters = () => table('counters');

/**
 * Counts `item` for the message once. Resolves true when this call counted it, false when it was counted
 * before (a replayed event, a batch already in step).
 */
export function count(tenantId: string, messageId: string, item: CounterItem): Promise<boolean> {
  const s = stateOf(tenantId, messageId);
  return new Promise((resolve, reject) => {
    s.queue.push({ item, resolve, reject });
    if (!s.running) void drain(s);
  });
}

/**
 * Announces that an event of the message will be counted soon (its caller's own write is in flight); the
 * returned function withdraws it — call it once, right after `count` (or when the event will not come).
 */
export function expectCount(tenantId: string, messageId: string): () => void {
  const s = stateOf(tenantId, messageId);
  s.expected++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    s.expected--;
    if (s.expected === 0) s.wake?.();
  };
}

function stateOf(tenantId: string, messageId: string): PartitionState {
  const pk = counterPartition(tenantId, messageId);
  let state = partitions.get(pk);
  if (!state) {
    state = { pk, tenantId, messageId, months: new Map(), batches: new Map(), queue: [], running: false, expected: 0 };
    partitions.set(pk, state);
  }
  return state;
}

/** Waits (up to LINGER_MS) while announced events are still on their way and the next commit has room for them. */
async function linger(state: PartitionState) {
  if (state.expected === 0 || state.queue.length >= MAX_OPERATIONS / 2) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, LINGER_MS);
    state.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  state.wake = undefined;
}

async function drain(state: PartitionState) {
  state.running = true;
  try {
    while (state.queue.length > 0) {
      await linger(state);
      const group = takeGroup(state);
      try {
        await commitGroup(state, group);
      } catch (error) {
        for (const w of group) w.reject(error);
      }
    }
  } finally {
    state.running = false;
    evictIdle();
  }
}

/**
 * The next waiters that fit one transaction. Two with the same row (a device resending an event before the
 * first send was answered, two syncs of one batch) never share one: the second waits for the next commit.
 */
function takeGroup(state: PartitionState): Waiter[] {
  const group: Waiter[] = [];
  const rows = new Set<string>();
  const months = new Set<string>();
  const rest: Waiter[] = [];
  for (const w of state.queue) {
    const key = rowKeyOf(w.item);
    const month = monthOf(dayOf(w.item));
    const operations = group.length + 1 + months.size + (months.has(month) ? 0 : 1) + 1;
    if (operations > MAX_OPERATIONS || rows.has(key)) rest.push(w);
    else {
      rows.add(key);
      months.add(month);
      group.push(w);
    }
  }
  state.queue = rest;
  return group;
}

const dayOf = (item: CounterItem) => (item.kind === 'event' ? item.contribution.day : item.day);

const rowKeyOf = (item: CounterItem) =>
  item.kind === 'event' ? eventRowKey(item.userId, item.eventKey) : batchRowKey(item.occurrence, item.batch);

function evictIdle() {
  if (partitions.size <= MAX_IDLE_PARTITIONS) return;
  for (const [pk, s] of partitions) {
    if (partitions.size <= MAX_IDLE_PARTITIONS / 2) break;
    if (!s.running && s.queue.length === 0 && s.expected === 0) partitions.delete(pk);
  }
}

async function commitGroup(state: PartitionState, group: Waiter[]) {
  const client = await counters();
  let pending = group;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
    await load(client, state, pending);
    const plan = planCommit(state, pending);
    if (plan.actions.length === 0) {
      for (const w of pending) w.resolve(false);
      return;
    }
    try {
      const result = await client.submitTransaction(plan.actions);
      applyPlan(
        state,
        plan,
        result.subResponses.map((r) => r.etag),
      );
      for (const w of pending) w.resolve(plan.counted.has(w));
      publish(state, plan.months);
      return;
    } catch (error) {
      if (!isStatus(error, 409) && !isStatus(error, 412) && !isStatus(error, 404)) throw error;
      // Someone else (another instance, or a replay) got there first: forget what we knew and look again.
      state.totals = undefined;
      state.months.clear();
      state.batches.clear();
      // A 412 is a row that moved (a batch row another instance synced, or this shard's rows written by a
      // module instance that shares the writer): the retry's marker creates still refuse an event counted
      // meanwhile (409, looked up then), so no read per event now.
      if (!isStatus(error, 412)) pending = await withoutCounted(client, state, pending);
    }
  }
  if (pending.length > 0) throw new Error(`counters of ${state.pk} kept changing (${MAX_ATTEMPTS} attempts)`);
}

/** Drops events whose marker exists: they were counted (a replay, or a commit whose answer was lost). */
async function withoutCounted(client: TableClient, state: PartitionState, waiters: Waiter[]): Promise<Waiter[]> {
  const checks = await Promise.all(
    waiters.map(async (w) => (w.item.kind === 'event' ? exists(client, state.pk, rowKeyOf(w.item)) : false)),
  );
  const rest: Waiter[] = [];
  waiters.forEach((w, i) => (checks[i] ? w.resolve(false) : rest.push(w)));
  return rest;
}

const exists = async (client: TableClient, pk: string, rowKey: string) => (await findEntity(client, pk, rowKey, ['RowKey'])) !== undefined;
const readRow = (client: TableClient, pk: string, rowKey: string) => findEntity(client, pk, rowKey);

/** Reads the counter rows the waiters touch that this process does not hold. */
async function load(client: TableClient, state: PartitionState, waiters: Waiter[]) {
  const reads: Promise<void>[] = [];
  if (!state.totals)
    reads.push(
      readRow(client, state.pk, TOTALS).then((e) => {
        state.totals = e
          ? { value: JSON.parse(String(e.counts)) as Counts, version: Number(e.version), etag: e.etag }
          : { value: { channels: {}, people: { viewers: 0, clickers: 0, dismissers: 0 } }, version: 0 };
      }),
    );
  const months = new Set<string>();
  for (const w of waiters) months.add(monthOf(dayOf(w.item)));
  for (const m of months)
    if (!state.months.has(m))
      reads.push(
        readRow(client, state.pk, monthRow(m, WRITER)).then((e) => {
          state.months.set(
            m,
            e
              ? { value: JSON.parse(String(e.days)) as Record<string, Counts>, version: Number(e.version), etag: e.etag }
              : { value: {}, version: 0 },
          );
        }),
      );
  for (const w of waiters) {
    if (w.item.kind !== 'batch') continue;
    const key = batchRowKey(w.item.occurrence, w.item.batch);
    if (!state.batches.has(key))
      reads.push(
        readRow(client, state.pk, key).then((e) => {
          state.batches.set(
            key,
            e
              ? { value: { sent: Number(e.sent), failed: Number(e.failed) }, version: 0, etag: e.etag }
              : { value: { sent: 0, failed: 0 }, version: 0 },
          );
        }),
      );
  }
  await Promise.all(reads);
}

interface Plan {
  actions: TransactionAction[];
  /** Row keys in action order, to take each new ETag from its sub-response. */
  keys: string[];
  counted: Set<Waiter>;
  totals: Row<Counts>;
  months: Map<string, Row<Record<string, Counts>>>;
  batches: Map<string, Row<{ sent: number; failed: number }>>;
}

/** The transaction that adds the waiters' parts to the rows as this process holds them. */
function planCommit(state: PartitionState, waiters: Waiter[]): Plan {
  const tx = new TableTransaction();
  const keys: string[] = [];
  const counted = new Set<Waiter>();
  let totals = state.totals!.value;
  const months = new Map<string, Record<string, Counts>>();
  const batches = new Map<string, { sent: number; failed: number }>();
  const add = (
    day: string,
    channel: Channel,
    tally: Contribution['tally'],
    dayPeople: Contribution['dayPeople'],
    messagePeople: Contribution['messagePeople'],
  ) => {
    const m = monthOf(day);
    const days = months.get(m) ?? { ...state.months.get(m)!.value };
    days[day] = addTo(days[day], channel, tally, dayPeople);
    months.set(m, days);
    totals = addTo(totals, channel, tally, messagePeople);
  };
  for (const w of waiters) {
    const item = w.item;
    if (item.kind === 'event') {
      const c = item.contribution;
      add(c.day, c.channel, c.tally, c.dayPeople, c.messagePeople);
      const rowKey = eventRowKey(item.userId, item.eventKey);
      tx.createEntity({
        partitionKey: state.pk,
        rowKey,
        userId: item.userId,
        type: item.type,
        channel: c.channel,
        day: c.day,
        at: new Date(item.at).toISOString(),
      });
      keys.push(rowKey);
      counted.add(w);
      continue;
    }
    const key = batchRowKey(item.occurrence, item.batch);
    const before = state.batches.get(key)!;
    const sent = Math.max(0, item.sent - before.value.sent);
    const failed = Math.max(0, item.failed - before.value.failed);
    if (sent === 0 && failed === 0) continue;
    add(item.day, item.channel, { delivered: sent, failed }, {}, {});
    const value = { sent: before.value.sent + sent, failed: before.value.failed + failed };
    batches.set(key, value);
    const entity = { partitionKey: state.pk, rowKey: key, ...value };
    if (before.etag) tx.updateEntity(entity, 'Replace', { etag: before.etag });
    else tx.createEntity(entity);
    keys.push(key);
    counted.add(w);
  }
  const plan: Plan = {
    actions: [],
    keys,
    counted,
    totals: { value: totals, version: state.totals!.version + 1, ...(state.totals!.etag ? { etag: state.totals!.etag } : {}) },
    months: new Map(),
    batches: new Map(
      [...batches].map(([k, v]) => [
        k,
        { value: v, version: 0, ...(state.batches.get(k)!.etag ? { etag: state.batches.get(k)!.etag } : {}) },
      ]),
    ),
  };
  if (counted.size === 0) return plan;
  const put = (rowKey: string, row: { etag?: string }, columns: Record<string, unknown>) => {
    const entity = { partitionKey: state.pk, rowKey, ...columns };
    if (row.etag) tx.updateEntity(entity, 'Replace', { etag: row.etag });
    else tx.createEntity(entity);
    keys.push(rowKey);
  };
  for (const [m, days] of months) {
    const row = state.months.get(m)!;
    const next = { value: days, version: row.version + 1 };
    plan.months.set(m, next);
    put(monthRow(m, WRITER), row, { days: JSON.stringify(days), version: next.version });
  }
  put(TOTALS, state.totals!, { counts: JSON.stringify(totals), version: plan.totals.version });
  plan.actions = tx.actions;
  return plan;
}

function applyPlan(state: PartitionState, plan: Plan, etags: (string | undefined)[]) {
  const etagOf = new Map(plan.keys.map((k, i) => [k, etags[i]]));
  state.totals = { value: plan.totals.value, version: plan.totals.version, ...(etagOf.get(TOTALS) ? { etag: etagOf.get(TOTALS)! } : {}) };
  for (const [m, row] of plan.months) {
    const etag = etagOf.get(monthRow(m, WRITER));
    state.months.set(m, { ...row, ...(etag ? { etag } : {}) });
  }
  for (const [k, row] of plan.batches) state.batches.set(k, { ...row, ...(etagOf.get(k) ? { etag: etagOf.get(k)! } : {}) });
}

/** Hands this shard's changed rows to the report copy (adapters/stores/reportStore), which adds them to the other shards'. */
function publish(state: PartitionState, months: Map<string, Row<Record<string, Counts>>>) {
  project({
    tenantId: state.tenantId,
    messageId: state.messageId,
    totals: { counts: state.totals!.value, versions: { [WRITER]: state.totals!.version } },
    months: new Map([...months].map(([m, row]) => [m, { days: row.value, versions: { [WRITER]: row.version } }])),
  });
}

/** Whether the event `eventKey` of `userId` was counted for the message. */
export async function counted(tenantId: string, messageId: string, userId: string, eventKey: string): Promise<boolean> {
  return exists(await counters(), counterPartition(tenantId, messageId), eventRowKey(userId, eventKey));
}

/** What one recipient did with a message, from the counted events that retention has not purged. */
export interface Engagement {
  userId: string;
  firstSeenAt?: string;
  lastSeenAt?: string;
  seen: number;
  firstClickedAt?: string;
  clicks: number;
  firstDismissedAt?: string;
  dismissals: number;
  /** Channels they acted on. */
  channels: Channel[];
}

const newEngagement = (userId: string): Engagement => ({ userId, seen: 0, clicks: 0, dismissals: 0, channels: [] });

function addEvent(e: Engagement, type: string, at: string, channel: Channel) {
  if (!e.channels.includes(channel)) e.channels.push(channel);
  const first = (current: string | undefined) => (current === undefined || at < current ? at : current);
  if (type === 'seen') {
    e.seen++;
    e.firstSeenAt = first(e.firstSeenAt);
    if (e.lastSeenAt === undefined || at > e.lastSeenAt) e.lastSeenAt = at;
  } else if (type === 'clicked') {
    e.clicks++;
    e.firstClickedAt = first(e.firstClickedAt);
  } else if (type === 'dismissed') {
    e.dismissals++;
    e.firstDismissedAt = first(e.firstDismissedAt);
  }
}

/**
 * Every recipient who did something with the message, in user id order, one at a time: the markers are
 * read as one partition range and folded per user as they stream by.
 */
export async function* engagements(tenantId: string, messageId: string): AsyncIterable<Engagement> {
  const pk = counterPartition(tenantId, messageId);
  const rows = (await counters()).listEntities<Record<string, unknown>>({
    queryOptions: {
      filter: odata`PartitionKey eq ${pk} and RowKey ge ${EVENT_PREFIX} and RowKey lt ${'~e}'}`,
      select: ['userId', 'type', 'at', 'channel'],
    },
  });
  let current: Engagement | undefined;
  for await (const row of rows) {
    const userId = String(row.userId);
    if (current && current.userId !== userId) {
      yield current;
      current = undefined;
    }
    current ??= newEngagement(userId);
    addEvent(current, String(row.type), String(row.at), row.channel as Channel);
  }
  if (current) yield current;
}
