/**
 * What recipients did with messages (docs/storage.md), over Azure Tables.
 *
 * Table `interactions`, PartitionKey `tenant:user`:
 * - RowKey `<messageId>`: the recipient's summary for that message (core/eligibility `InteractionSummary`) —
 *   what the inbox reads, one partition range per request.
 * - RowKey `~evt|<messageId>|<clientEventId, base64url>`: one marker per recorded event, written in the SAME
 *   entity-group transaction as the summary change. The marker is the idempotency gate (a second insert is
 *   409) and the summary write is ETag-guarded (412 when another event got there first: re-read, retry), so
 *   an event is counted exactly once and concurrent events never lose an increment. `~` sorts after every
 *   message id, so reading summaries never touches the markers. Nothing is read before the transaction:
 *   it creates the summary (a person's first event on a message, most of them) or replaces the one this
 *   process last wrote against its ETag; a 409 without the marker, a 412 or a 404 means read and retry.
 *
 * Table `clicks`, PartitionKey `tenant:message`, RowKey user id: who clicked and when last (`lastClickedAt`),
 * for resends to skip for a year. Written before the transaction, so a crash between the two leaves a click
 * recorded there and retried here, never a counted click missing there.
 *
 * The summary also keeps the days (tenant's time zone) on which the person saw, clicked or dismissed the
 * message, so the transaction knows exactly whether they are new for the day and for the message; what the
 * event adds to the message's counters is stored on its marker and then counted (adapters/stores/counterStore),
 * once — also when a replay finds the marker written but the counting cut short by a crash.
 */
import { odata, TableClient, TableTransaction, type TableEntityResult } from '@azure/data-tables';
import { z } from 'zod';
import type { Channel } from '../../core/delivery.js';
import { applyInteraction, INTERACTION_TYPES, type InteractionSummary, type InteractionType } from '../../core/eligibility.js';
import { dayOf, eventContribution, type ActiveDays, type Contribution } from '../../core/reportMath.js';
import { now } from '../runtime/clock.js';
import { count, expectCount } from './counterStore.js';
import { MESSAGE_ID, messageKey, tenantKey } from './keys.js';
import { findEntity, isStatus, table } from './storageClients.js';

export interface RecordedEvent {
  type: InteractionType;
  /** The client's id for the event: the same id recorded twice counts once. 1–128 characters. */
  clientEventId: string;
  /** When it happened, epoch ms. */
  at: number;
  channel: Channel;
  occurrence: number;
  /** The tenant's time zone: the day the event is counted in. */
  timeZone: string;
}

const CHANNELS = ['inbox', 'teams', 'email'] as const satisfies readonly Channel[];
const MAX_ATTEMPTS = 200;

// Keys are built here only, from parts that cannot carry a separator or a character Tables refuses.
const part = (name: string, value: string) => {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(value)) throw new Error(`not a ${name}: ${JSON.stringify(value)}`);
  return value;
};
const messagePart = (id: string) => {
  if (!MESSAGE_ID.test(id)) throw new Error(`not a message id: ${JSON.stringify(id)}`);
  return id;
};
const userPartition = (tenantId: string, userId: string) => `${tenantKey(tenantId)}:${part('user id', userId)}`;
const eventKey = (clientEventId: string) => Buffer.from(clientEventId, 'utf8').toString('base64url');
const markerKey = (messageId: string, clientEventId: string) => `~evt|${messageId}|${eventKey(clientEventId)}`;

const SummaryRow = z.object({
  rowKey: z.string(),
  etag: z.string(),
  firstSeenAt: z.string().optional(),
  lastSeenAt: z.string().optional(),
  seenCount: z.number().int().default(0),
  lastSeenOccurrence: z.number().int().optional(),
  clickedAt: z.string().optional(),
  clickCount: z.number().int().default(0),
  dismissedAt: z.string().optional(),
  dismissCount: z.number().int().default(0),
  lastDismissedOccurrence: z.number().int().optional(),
  lastChannel: z.enum(CHANNELS).optional(),
});

const summaryOf = (entity: TableEntityResult<Record<string, unknown>>): InteractionSummary => {
  const { rowKey: _r, etag: _e, ...summary } = SummaryRow.parse(entity);
  return summary;
};

const interactions = () => table('interactions');
const clicks = () => table('clicks');

interface StoredSummary {
  summary: InteractionSummary;
  etag: string;
  days: ActiveDays | undefined;
}

async function readSummary(client: TableClient, partition: string, messageId: string): Promise<StoredSummary | undefined> {
  const entity = await findEntity(client, partition, messageId);
  if (!entity) return undefined;
  const days = typeof entity.days === 'string' ? (JSON.parse(entity.days) as ActiveDays) : undefined;
  return { summary: summaryOf(entity), etag: entity.etag, days };
}

/**
 * The summaries this process last wrote, with their ETags: the next event of the same person and message
 * updates against that ETag without reading first (412 or 404 when it moved elsewhere: read, retry).
 */
const written = new Map<string, StoredSummary>();
const MAX_WRITTEN = 20_000;
function remember(key: string, stored: StoredSummary | undefined) {
  written.delete(key);
  if (!stored) return;
  written.set(key, stored);
  if (written.size > MAX_WRITTEN) written.delete(written.keys().next().value!);
}

/** What the recorded event added, from its marker (null: recorded before counting existed); undefined when there is no marker. */
async function recordedContribution(client: TableClient, partition: string, rowKey: string): Promise<Contribution | null | undefined> {
  const marker = await findEntity(client, partition, rowKey, ['contribution']);
  if (!marker) return undefined;
  return typeof marker.contribution === 'string' ? (JSON.parse(marker.contribution) as Contribution) : null;
}

// Many events for one summary at once (a burst from one device) all retry; a random pause spreads them out.
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 + attempt * 2)));

/**
 * Records what `userId` did with `messageId`, exactly once per `clientEventId`, and counts it in the
 * message's counters: `duplicate` is true when that event was recorded before (nothing changes then).
 */
export async function recordInteraction(
  tenantId: string,
  userId: string,
  messageId: string,
  event: RecordedEvent,
): Promise<{ duplicate: boolean }> {
  if (!INTERACTION_TYPES.includes(event.type)) throw new Error(`not an interaction: ${JSON.stringify(event.type)}`);
  if (event.clientEventId.length < 1 || event.clientEventId.length > 128) throw new Error('clientEventId must be 1 to 128 characters');
  const partition = userPartition(tenantId, userId);
  const marker = markerKey(messagePart(messageId), event.clientEventId);
  const recordedAt = new Date(now()).toISOString();
  if (event.type === 'clicked')
    await (
      await clicks()
    ).upsertEntity(
      { partitionKey: messageKey(tenantId, messagePart(messageId)), rowKey: userId, lastClickedAt: recordedAt, channel: event.channel },
      'Merge',
    );

  const client = await interactions();
  const day = dayOf(event.at, event.timeZone);
  // The message's next counter commit waits a moment for this event while its transaction is in flight.
  const arriving = expectCount(tenantId, messageId);
  const counted = (contribution: Contribution) => {
    const stored = count(tenantId, messageId, {
      kind: 'event',
      userId,
      eventKey: eventKey(event.clientEventId),
      type: event.type,
      at: event.at,
      contribution,
    });
    arriving();
    return stored;
  };
  try {
    return await recordWith(client, partition, marker, recordedAt, day, event, messageId, counted);
  } finally {
    // Also when it failed, or was a replay with nothing to count: the commit stops waiting for it.
    arriving();
  }
}

/** The transaction of marker and summary, retried until it lands or finds the event recorded before. */
async function recordWith(
  client: TableClient,
  partition: string,
  marker: string,
  recordedAt: string,
  day: string,
  event: RecordedEvent,
  messageId: string,
  counted: (contribution: Contribution) => Promise<boolean>,
): Promise<{ duplicate: boolean }> {
  const cacheKey = `${partition}|${messageId}`;
  // First try: the summary as this process wrote it last, or none at all (most events are a person's first
  // on the message, and a create that finds one fails 409 without recording anything): no read before it.
  let current: StoredSummary | undefined = written.get(cacheKey);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) current = await readSummary(client, partition, messageId);
    const next = applyInteraction(current?.summary, event);
    const { contribution, after } = eventContribution(event.type, event.channel, day, current?.days);
    const transaction = new TableTransaction();
    transaction.createEntity({
      partitionKey: partition,
      rowKey: marker,
      messageId,
      type: event.type,
      clientEventId: event.clientEventId,
      occurredAt: new Date(event.at).toISOString(),
      recordedAt,
      channel: event.channel,
      occurrence: event.occurrence,
      contribution: JSON.stringify(contribution),
    });
    const row = { partitionKey: partition, rowKey: messageId, ...next, days: JSON.stringify(after) };
    if (current) transaction.updateEntity(row, 'Replace', { etag: current.etag });
    else transaction.createEntity(row);
    let etag: string | undefined;
    try {
      const { subResponses } = await client.submitTransaction(transaction.actions);
      etag = (subResponses.find((r) => r.rowKey === messageId) ?? subResponses[1])?.etag;
    } catch (error) {
      remember(cacheKey, undefined);
      // 409 is the marker (recorded before) or the summary (created meanwhile); 412 the summary changed
      // meanwhile, 404 it was purged (retention) since this process wrote it.
      const recorded = isStatus(error, 409) ? await recordedContribution(client, partition, marker) : undefined;
      if (recorded !== undefined) {
        if (recorded) await counted(recorded);
        return { duplicate: true };
      }
      if (!isStatus(error, 409) && !isStatus(error, 412) && !isStatus(error, 404)) throw error;
      // A guess that missed is no contention: only a retry after a real conflict waits.
      if (attempt > 0) await pause(attempt);
      continue;
    }
    remember(cacheKey, etag ? { summary: next, etag, days: after } : undefined);
    await counted(contribution);
    return { duplicate: false };
  }
  throw new Error(`could not record ${event.type} of message ${messageId}: the summary kept changing (${MAX_ATTEMPTS} attempts)`);
}

/**
 * The user's summaries of the messages whose ids are in [`from`, `to`] (ids sort by time, so the active
 * messages' ids bound a short range): one partition range query.
 */
export async function interactionsOf(tenantId: string, userId: string, from: string, to: string): Promise<Map<string, InteractionSummary>> {
  const filter = odata`PartitionKey eq ${userPartition(tenantId, userId)} and RowKey ge ${messagePart(from)} and RowKey le ${messagePart(to)}`;
  const out = new Map<string, InteractionSummary>();
  for await (const entity of (await interactions()).listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
    out.set(entity.rowKey!, summaryOf(entity as TableEntityResult<Record<string, unknown>>));
  return out;
}

/** Users whose latest click on the message (any channel, any occurrence) is later than `since` (epoch ms): resends skip them. */
export async function clickedRecipients(tenantId: string, messageId: string, since: number): Promise<Set<string>> {
  // ISO 8601 UTC strings of one length sort as their instants do, so the service compares them.
  const filter = odata`PartitionKey eq ${messageKey(tenantId, messagePart(messageId))} and lastClickedAt gt ${new Date(since).toISOString()}`;
  const users = new Set<string>();
  for await (const entity of (await clicks()).listEntities({ queryOptions: { filter, select: ['RowKey'] } })) users.add(entity.rowKey!);
  return users;
}
