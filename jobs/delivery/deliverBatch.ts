/**
 * Delivers one batch (≤ 1000 recipients) of an occurrence on its push channel. The batch's delivery rows
 * are the gate: only pending (or throttled) recipients are sent to, and each chunk's outcomes are committed
 * with the batch summary in one transaction. A lease on the summary row keeps a duplicate queue message
 * from working the same batch at the same time. Provider throttling pauses the channel and re-queues the
 * rest after Retry-After; transient failures are retried with back-off and end, after MAX_ATTEMPTS, as a
 * recorded failure. A cancelled or ended message stops the batch: what was not sent is marked cancelled.
 *
 * A crash between a provider call and its commit sends that chunk again on retry; the providers' own
 * idempotency keys make that harmless: Teams replaces a notification with the same chainId, and ACS
 * returns the first operation for a repeated Operation-Id.
 */
import { createHash } from 'node:crypto';
import { afterOutcome, retryDelayMs, type DeliveryStatus, type SendOutcome } from '../../core/delivery.js';
import { dayOf } from '../../core/reportMath.js';
import { now } from '../../adapters/runtime/clock.js';
import { count } from '../../adapters/stores/counterStore.js';
import { clickUrl } from '../../adapters/runtime/clickLinks.js';
import { commitBatch, CHUNK_SIZE, LostBatchLease, readBatch, type BatchState, type Delivery } from '../../adapters/stores/deliveryStore.js';
import { sendEmail } from '../../adapters/services/acsEmailSender.js';
import { renderEmail } from '../../adapters/rendering/emailRenderer.js';
import type { MessageRecord } from '../../core/records.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import { channelLimiter } from '../../adapters/runtime/rateLimiter.js';
import { enqueue } from '../../adapters/stores/storageClients.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { sendTeamsBulk, type TeamsNotification } from '../../adapters/services/teamsNotifier.js';
import { DELIVER, type BatchMessage, type BatchRef, type DeliveryChannel } from '../../core/hops.js';
import { isDelivered } from './deliveryProgress.js';

/** Real time, not the app clock: it is about a worker being alive. DELIVERY_LEASE_SECONDS shortens it in crash tests. */
const leaseMs = () => (Number(process.env.DELIVERY_LEASE_SECONDS) > 0 ? Number(process.env.DELIVERY_LEASE_SECONDS) : 120) * 1000;
/** Waiting longer than this for the rate limiter gives the worker back: the rest is re-queued with a delay. */
const MAX_LIMITER_WAIT_MS = 10_000;
const EMAIL_CONCURRENCY = 16;
const STATUS_TTL_MS = 1_000;
/** Where a message with no call to action sends a click. */
const DEFAULT_LINK = 'https://www.microsoft365.com/';

/** How a channel sends a batch's chunks. */
export interface ChunkSender {
  channel: DeliveryChannel;
  /** Why the rest of the batch must not go (the message was cancelled or ended); checked before each chunk. */
  stopReason(): Promise<string | undefined>;
  /** Sends a chunk: each recipient's outcome, or when (real ms) to resume because the channel must wait. */
  send(chunk: Delivery[]): Promise<Outcomes | number>;
}

const hashNumber = (...parts: (string | number)[]) =>
  parseInt(createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12), 16);

/** The message's status, re-read at most once a second so a cancel stops a send within a chunk or two. */
const statusCache = new Map<string, { at: number; message: MessageRecord | undefined }>();
async function current(tenantId: string, messageId: string): Promise<MessageRecord | undefined> {
  const key = `${tenantId}:${messageId}`;
  const hit = statusCache.get(key);
  if (hit && Date.now() - hit.at < STATUS_TTL_MS) return hit.message;
  const message = await messageStore().get(tenantId, messageId);
  statusCache.set(key, { at: Date.now(), message });
  if (statusCache.size > 10_000) statusCache.delete(statusCache.keys().next().value!);
  return message;
}

export type Outcomes = Map<string, SendOutcome>;

/** The occurrence's Teams notification: the same for every chunk (an Active message cannot be edited). */
async function teamsNotification(ref: BatchRef, message: MessageRecord): Promise<TeamsNotification> {
  const content = message.draft.content ?? {};
  // Bulk requests carry one link for everyone, so a Teams click is attributed to the message, not a person.
  const webUrl = await clickUrl({
    tenantId: ref.tenantId,
    messageId: ref.messageId,
    occurrence: ref.occurrence,
    userId: '',
    channel: 'teams',
    url: content.callToAction?.url ?? DEFAULT_LINK,
  });
  return {
    chainId: hashNumber(ref.tenantId, ref.messageId, ref.occurrence),
    previewText: (content.body ?? '').slice(0, 150),
    topic: content.title ?? message.draft.name ?? 'Message',
    webUrl,
  };
}

async function sendEmails(ref: BatchRef, message: MessageRecord, chunk: Delivery[]): Promise<Outcomes> {
  const outcomes: Outcomes = new Map();
  const key = `email:${ref.tenantId}`;
  const queue = [...chunk];
  const worker = async () => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      const wait = await channelLimiter.acquire(key, MAX_LIMITER_WAIT_MS);
      if (wait > 0) {
        outcomes.set(d.userId, { status: 'throttled', retryAfterMs: wait, reason: 'paced to the email quota' });
        continue;
      }
      const template = message.draft.template;
      const url = message.draft.content?.callToAction?.url ?? DEFAULT_LINK;
      const link = await clickUrl({ ...ref, userId: d.userId, channel: 'email', url });
      const email = renderEmail({
        templateId: template?.kind === 'premade' ? template.id : '',
        language: d.language ?? message.draft.content?.language,
        recipientName: d.name,
        clickUrl: link,
      });
      const outcome = await sendEmail(ref.tenantId, {
        to: { address: d.mail!, ...(d.name ? { displayName: d.name } : {}) },
        subject: email.subject,
        html: email.html,
        plainText: email.plainText,
        operationId: `${ref.messageId}:${ref.occurrence}:${d.userId}`,
      }).catch((error: unknown): SendOutcome => ({ status: 'failed', reason: (error as Error).message, permanent: false }));
      outcomes.set(d.userId, outcome);
      if (outcome.status === 'throttled') channelLimiter.pause(key, outcome.retryAfterMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(EMAIL_CONCURRENCY, chunk.length) }, worker));
  return outcomes;
}

/** A message's Teams or email sender: stops when the message is no longer Active. */
export function messageSender(channel: 'teams' | 'email', ref: BatchRef): ChunkSender {
  let message: MessageRecord | undefined;
  let notification: TeamsNotification | undefined;
  return {
    channel,
    async stopReason() {
      message = await current(ref.tenantId, ref.messageId);
      return message?.status === 'Active' ? undefined : `message ${message ? message.status.toLowerCase() : 'deleted'} before delivery`;
    },
    async send(chunk) {
      if (channel === 'email') return sendEmails(ref, message!, chunk);
      notification ??= await teamsNotification(ref, message!);
      return sendTeamsPaced(ref, notification, chunk);
    },
  };
}

export interface BatchResult {
  /** The occurrence has an outcome for every recipient now. */
  occurrenceDelivered: boolean;
}

export const batchRef = (job: BatchMessage): BatchRef => ({
  tenantId: job.tenantId,
  messageId: job.messageId,
  occurrence: job.occurrence,
  batch: job.batch,
});

export async function deliverBatch(job: BatchMessage, sender: ChunkSender, log: (message: string) => void): Promise<BatchResult> {
  const { channel } = sender;
  const ref = batchRef(job);
  const where = `message ${ref.messageId} occurrence ${ref.occurrence} batch ${ref.batch}`;
  const state = await readBatch(ref);
  if (!state) {
    log(`${where}: no such batch; nothing to deliver`);
    return { occurrenceDelivered: false };
  }
  // Held by another worker — or by one that died, whose message this may be: come back when the lease
  // ends rather than drop the message (a finished batch answers the extra copy at no cost).
  const comeBack = async (why: string) => {
    const at = Math.max(state.summary.leaseUntil, Date.now()) + 1000;
    await enqueue(DELIVER[channel], { ...ref, notBefore: at }, at - Date.now());
    log(`${where}: ${why}; looking again at ${new Date(at).toISOString()}`);
    return { occurrenceDelivered: false };
  };
  if (state.summary.leaseUntil > Date.now()) return comeBack('another worker holds it');
  const tally = outcomeCounter(channel, ref, state);
  if (![...state.rows.values()].some((d) => d.status === 'pending' || d.status === 'throttled')) {
    // Finished — perhaps by a worker that died before counting its last outcomes.
    await tally();
    return { occurrenceDelivered: await isDelivered(ref) };
  }
  try {
    await commitBatch(ref, state, [], Date.now() + leaseMs(), now());
    const requeueAt = await work(sender, ref, state, log, tally);
    await commitBatch(ref, state, [], 0, now());
    await tally();
    if (requeueAt !== undefined) {
      await enqueue(DELIVER[channel], { ...ref, notBefore: requeueAt }, Math.max(0, requeueAt - Date.now()));
      log(
        `${where}: ${state.summary.total - state.summary.sent - state.summary.failed - state.summary.cancelled} left; resuming at ${new Date(requeueAt).toISOString()}`,
      );
      return { occurrenceDelivered: false };
    }
  } catch (error) {
    if (error instanceof LostBatchLease) return comeBack(error.message);
    throw error;
  }
  log(
    `${where}: ${state.summary.sent} sent, ${state.summary.failed} failed, ${state.summary.cancelled} cancelled of ${state.summary.total}`,
  );
  return { occurrenceDelivered: await isDelivered(ref) };
}

/**
 * One Teams bulk request for the chunk at the limiter's pace. A short Retry-After is waited out here (the
 * whole channel pauses with it); a long one — or a long wait for the limiter — gives the worker back: the
 * time to resume at is returned instead of outcomes.
 */
async function sendTeamsPaced(ref: BatchRef, notification: TeamsNotification, chunk: Delivery[]): Promise<Outcomes | number> {
  const key = `teams:${ref.tenantId}`;
  for (let attempt = 0; ; attempt++) {
    const wait = await channelLimiter.acquire(key, MAX_LIMITER_WAIT_MS);
    if (wait > 0) return Date.now() + wait;
    const outcomes = await sendTeamsBulk(
      ref.tenantId,
      chunk.map((d) => d.userId),
      notification,
    ).then(
      (outcome) => new Map(chunk.map((d) => [d.userId, outcome])),
      (error: unknown) =>
        new Map(chunk.map((d) => [d.userId, { status: 'failed', reason: (error as Error).message, permanent: false } as SendOutcome])),
    );
    const first = outcomes.values().next().value;
    if (first?.status !== 'throttled') return outcomes;
    channelLimiter.pause(key, first.retryAfterMs);
    if (first.retryAfterMs > MAX_LIMITER_WAIT_MS || attempt >= 5) return outcomes;
  }
}

/** Sends chunk by chunk; returns when the rest must wait (real ms), or undefined when every row has an outcome. */
/**
 * Brings the message's delivered and failed counters level with the batch's outcomes (exactly: the counter
 * store keeps what it counted of each batch, so a crash between the two is made good by the next call).
 */
function outcomeCounter(channel: DeliveryChannel, ref: BatchRef, state: BatchState) {
  let timeZone: Promise<string> | undefined;
  return async () => {
    timeZone ??= getTenantSettings(ref.tenantId).then((s) => s.timeZone);
    const { sent, failed } = state.summary;
    const day = dayOf(now(), await timeZone);
    await count(ref.tenantId, ref.messageId, { kind: 'batch', occurrence: ref.occurrence, batch: ref.batch, channel, day, sent, failed });
  };
}

async function work(
  sender: ChunkSender,
  ref: BatchRef,
  state: BatchState,
  log: (message: string) => void,
  tally: () => Promise<void>,
): Promise<number | undefined> {
  const open = (d: Delivery) => d.status === 'pending' || d.status === 'throttled';
  let retryAt: number | undefined;
  const rows = [...state.rows.values()].filter(open);
  for (let i = 0; i < rows.length; i += CHUNK_SIZE) {
    const chunk = rows.slice(i, i + CHUNK_SIZE);
    const reason = await sender.stopReason();
    if (reason) {
      const rest = rows.slice(i).map((d) => ({ ...d, status: 'cancelled' as DeliveryStatus, reason }));
      for (let j = 0; j < rest.length; j += CHUNK_SIZE)
        await commitBatch(ref, state, rest.slice(j, j + CHUNK_SIZE), Date.now() + leaseMs(), now());
      log(`message ${ref.messageId} batch ${ref.batch}: ${rest.length} not sent, ${reason}`);
      return undefined;
    }
    const outcomes = await sender.send(chunk);
    if (typeof outcomes === 'number') return outcomes;

    const at = now();
    const changed = chunk.map((d) => ({ ...d, ...afterOutcome(d, outcomes.get(d.userId)!, at) }));
    await commitBatch(ref, state, changed, Date.now() + leaseMs(), at);
    await tally();
    for (const o of outcomes.values()) {
      if (o.status === 'throttled') retryAt = Math.max(retryAt ?? 0, Date.now() + o.retryAfterMs);
    }
    const transient = changed.filter((d) => d.status === 'pending');
    if (transient.length > 0) retryAt = Math.max(retryAt ?? 0, Date.now() + retryDelayMs(Math.max(...transient.map((d) => d.attempts))));
    if (retryAt !== undefined) return retryAt;
  }
  return undefined;
}

/** The poison queue's end of a batch: whatever is still open is recorded as failed, never dropped silently. */
export async function failBatch(
  channel: DeliveryChannel,
  job: BatchMessage,
  reason: string,
  log: (message: string) => void,
): Promise<BatchResult> {
  const ref = batchRef(job);
  const state = await readBatch(ref);
  if (!state) return { occurrenceDelivered: false };
  const open = [...state.rows.values()].filter((d) => d.status === 'pending' || d.status === 'throttled');
  const failed = open.map((d) => ({
    ...d,
    status: 'failed' as DeliveryStatus,
    reason: d.reason ? `${reason}; last error: ${d.reason}` : reason,
  }));
  for (let i = 0; i < failed.length || i === 0; i += CHUNK_SIZE) await commitBatch(ref, state, failed.slice(i, i + CHUNK_SIZE), 0, now());
  await outcomeCounter(channel, ref, state)();
  log(`message ${ref.messageId} occurrence ${ref.occurrence} batch ${ref.batch}: ${failed.length} recorded as failed (${reason})`);
  return { occurrenceDelivered: await isDelivered(ref) };
}
