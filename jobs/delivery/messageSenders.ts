/**
 * How a message's Teams or email batch is sent (the batch worker, `deliverBatch.ts`, does the rest): chunks
 * at the provider's pace through the channel's rate limiter, with a click-tracking link, until the
 * message is no longer Active or a cancel of it is accepted — checked before every provider call, so no
 * send starts more than a second after the cancel.
 */
import { createHash } from 'node:crypto';
import pMap from 'p-map';
import type { Delivery, SendOutcome } from '../../core/delivery.js';
import type { BatchRef } from '../../core/hops.js';
import type { MessageRecord } from '../../core/records.js';
import type { TeamsNotification } from '../../adapters/services/teamsNotifier.js';
import type { ChunkSender, Outcomes } from './deliverBatch.js';
import type { Clock, DeliveryPorts } from './deliveryPorts.js';

/** Waiting longer than this for the rate limiter gives the worker back: the rest is re-queued with a delay. */
const MAX_LIMITER_WAIT_MS = 10_000;
const EMAIL_CONCURRENCY = 16;
/** Unreadable status answers (an error, or none) for an accepted send before its row is a transient failure. */
const CONFIRM_TRIES = 5;
/** Between status rounds of sends still running: ACS's Retry-After, but never a busy loop. */
const CONFIRM_MIN_WAIT_MS = 250;
/**
 * How long a chunk's confirmation waits for sends ACS still runs: the worker is not held for minutes by a
 * slow send (a Functions invocation has a time limit). What is still running then is a transient failure,
 * retried after the back-off under the same Operation-Id, which ACS answers with the same operation.
 */
export const CONFIRM_BUDGET_MS = 120_000;
const STATUS_TTL_MS = 1_000;
const STATUS_CACHE_SIZE = 10_000;
/** Where a message with no call to action sends a click. */
const DEFAULT_LINK = 'https://www.microsoft365.com/';

export type MessageSenderPorts = Pick<
  DeliveryPorts,
  'messages' | 'stops' | 'limiter' | 'clickUrl' | 'renderEmail' | 'submitEmail' | 'emailStatus' | 'sendTeamsBulk' | 'sleep'
> & {
  clock: Pick<Clock, 'realNow'>;
};

const hashNumber = (...parts: (string | number)[]) =>
  parseInt(createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12), 16);

const failure = (error: unknown): SendOutcome => ({ status: 'failed', reason: (error as Error).message, permanent: false });

export function createMessageSenders(ports: MessageSenderPorts) {
  const { limiter, clock } = ports;

  /**
   * The message and whether a cancel of it was accepted, re-read at most once a second (one read for
   * every batch of the message in this process), so a cancel stops every send within a second.
   */
  const statusCache = new Map<string, { at: number; current: Promise<Current> }>();
  type Current = { message: MessageRecord | undefined; stopped: boolean };
  function current(tenantId: string, messageId: string): Promise<Current> {
    const key = `${tenantId}:${messageId}`;
    const hit = statusCache.get(key);
    if (hit && clock.realNow() - hit.at < STATUS_TTL_MS) return hit.current;
    const read = Promise.all([ports.messages.get(tenantId, messageId), ports.stops.stopRequested(tenantId, messageId)]).then(
      ([message, stop]) => ({ message, stopped: stop !== undefined }),
    );
    statusCache.set(key, { at: clock.realNow(), current: read });
    read.catch(() => statusCache.delete(key));
    if (statusCache.size > STATUS_CACHE_SIZE) statusCache.delete(statusCache.keys().next().value!);
    return read;
  }
  async function stopReason(ref: BatchRef): Promise<{ message?: MessageRecord; reason?: string }> {
    const { message, stopped } = await current(ref.tenantId, ref.messageId);
    if (!message) return { reason: 'message deleted before delivery' };
    if (message.status !== 'Active') return { message, reason: `message ${message.status.toLowerCase()} before delivery` };
    if (stopped) return { message, reason: 'message cancelled before delivery' };
    return { message };
  }

  /** The occurrence's Teams notification: the same for every chunk (an Active message cannot be edited). */
  async function teamsNotification(ref: BatchRef, message: MessageRecord): Promise<TeamsNotification> {
    const content = message.draft.content ?? {};
    // Bulk requests carry one link for everyone: it names no recipient, and a click on it counts for the
    // signed-in person who follows it (functions/http/clicks.ts).
    const webUrl = await ports.clickUrl({
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

  /**
   * A chunk's emails in two passes: every send posted (ACS accepts it under its Operation-Id), then every
   * accepted one confirmed by its status, so no send waits on its own poll and `sent` is what ACS says at
   * the end (an address ACS suppresses is accepted, then ends Failed). The chunk's rows stay in flight
   * until both passes are done and committed, so after a crash at any point the next worker asks ACS first
   * and posts only what ACS never got: an accepted email is confirmed, never sent again.
   */
  async function sendEmails(
    ref: BatchRef,
    message: MessageRecord,
    chunk: Delivery[],
    inFlight: (recipients: Delivery[]) => Promise<void>,
  ): Promise<Outcomes> {
    const outcomes: Outcomes = new Map();
    const accepted: Delivery[] = [];
    const operationId = (d: Delivery) => `${ref.messageId}:${ref.occurrence}:${d.userId}`;
    // One mark for the chunk: after a crash its rows are looked up at ACS (and posted if ACS has none), or,
    // once the message is stopped, unconfirmed — never counted cancelled when ACS may have them.
    await inFlight(chunk);
    const key = `email:${ref.tenantId}`;
    const post = async (d: Delivery) => {
      if (d.status === 'sending') {
        // In flight when a worker stopped: ACS may have it already.
        const known = await ports.emailStatus(ref.tenantId, operationId(d)).catch(failure);
        if (known.status !== 'unknown') {
          if (known.status === 'running') accepted.push(d);
          else outcomes.set(d.userId, known);
          return;
        }
      }
      const wait = await limiter.acquire(key, MAX_LIMITER_WAIT_MS);
      if (wait > 0) return void outcomes.set(d.userId, { status: 'throttled', retryAfterMs: wait, reason: 'paced to the email quota' });
      // The pace may have held this email for seconds: a cancel in the meantime stops it.
      const { reason } = await stopReason(ref);
      if (reason) return void outcomes.set(d.userId, { status: 'cancelled', reason });
      const template = message.draft.template;
      const url = message.draft.content?.callToAction?.url ?? DEFAULT_LINK;
      const link = await ports.clickUrl({ ...ref, userId: d.userId, channel: 'email', url });
      const email = ports.renderEmail({
        templateId: template?.kind === 'premade' ? template.id : '',
        language: d.language ?? message.draft.content?.language,
        recipientName: d.name,
        clickUrl: link,
      });
      const outcome = await ports
        .submitEmail(ref.tenantId, {
          to: { address: d.mail!, ...(d.name ? { displayName: d.name } : {}) },
          subject: email.subject,
          html: email.html,
          plainText: email.plainText,
          operationId: operationId(d),
        })
        .catch(failure);
      if (outcome.status === 'accepted') return void accepted.push(d);
      outcomes.set(d.userId, outcome);
      if (outcome.status === 'throttled') limiter.pause(key, outcome.retryAfterMs);
    };
    await pMap(chunk, post, { concurrency: EMAIL_CONCURRENCY });

    // Confirmation: each accepted send's status, again after ACS's Retry-After while it runs (for at most
    // CONFIRM_BUDGET_MS). A status
    // that cannot be read is asked again; after CONFIRM_TRIES such answers the row is a transient failure,
    // and its next attempt posts under the same Operation-Id, which ACS answers with the same operation.
    const tries = new Map<string, number>();
    const giveUpAt = clock.realNow() + CONFIRM_BUDGET_MS;
    for (let open = accepted; open.length > 0;) {
      if (clock.realNow() >= giveUpAt) {
        const reason = `ACS was still running the send after ${CONFIRM_BUDGET_MS / 1000} s; asked again under the same Operation-Id`;
        for (const d of open) outcomes.set(d.userId, { status: 'failed', reason, permanent: false });
        break;
      }
      const next: Delivery[] = [];
      let waitMs = 0;
      await pMap(
        open,
        async (d) => {
          const status = await ports.emailStatus(ref.tenantId, operationId(d)).catch(failure);
          if (status.status === 'sent' || (status.status === 'failed' && status.permanent)) return void outcomes.set(d.userId, status);
          const tried = (tries.get(d.userId) ?? 0) + 1;
          tries.set(d.userId, tried);
          if (status.status === 'running' || tried < CONFIRM_TRIES) {
            waitMs = Math.max(waitMs, 'retryAfterMs' in status ? status.retryAfterMs : 0);
            return void next.push(d);
          }
          outcomes.set(
            d.userId,
            status.status === 'unknown' ? { status: 'failed', reason: 'ACS has no record of the accepted send', permanent: false } : status,
          );
        },
        { concurrency: EMAIL_CONCURRENCY },
      );
      open = next;
      if (open.length > 0) await ports.sleep(Math.max(CONFIRM_MIN_WAIT_MS, waitMs));
    }
    return outcomes;
  }

  /**
   * One Teams bulk request for the chunk at the limiter's pace. A short Retry-After is waited out here (the
   * whole channel pauses with it); a long one — or a long wait for the limiter — gives the worker back: the
   * time to resume at is returned instead of outcomes.
   */
  async function sendTeamsPaced(
    ref: BatchRef,
    notification: TeamsNotification,
    chunk: Delivery[],
    inFlight: (recipients: Delivery[]) => Promise<void>,
  ): Promise<Outcomes | number> {
    const key = `teams:${ref.tenantId}`;
    for (let attempt = 0; ; attempt++) {
      const wait = await limiter.acquire(key, MAX_LIMITER_WAIT_MS);
      if (wait > 0) return clock.realNow() + wait;
      const { reason } = await stopReason(ref);
      if (reason) return new Map(chunk.map((d) => [d.userId, { status: 'cancelled', reason }]));
      // Graph has no idempotency key: recorded in flight first, so a crash during the call never sends it twice.
      await inFlight(chunk);
      const outcome = await ports
        .sendTeamsBulk(
          ref.tenantId,
          chunk.map((d) => d.userId),
          notification,
        )
        .catch(failure);
      if (outcome.status !== 'throttled') return new Map(chunk.map((d) => [d.userId, outcome]));
      limiter.pause(key, outcome.retryAfterMs);
      if (outcome.retryAfterMs > MAX_LIMITER_WAIT_MS || attempt >= 5) return new Map(chunk.map((d) => [d.userId, outcome]));
    }
  }

  return {
    /** A message's Teams or email sender: stops when the message is no longer Active or a cancel was accepted. */
    messageSender(channel: 'teams' | 'email', ref: BatchRef): ChunkSender {
      let message: MessageRecord | undefined;
      let notification: TeamsNotification | undefined;
      return {
        channel,
        // ACS returns the first operation for a repeated Operation-Id; Graph's activity feed has no such key.
        resendable: channel === 'email',
        async stopReason() {
          const now = await stopReason(ref);
          message = now.message;
          return now.reason;
        },
        async send(chunk, inFlight) {
          if (channel === 'email') return sendEmails(ref, message!, chunk, inFlight);
          notification ??= await teamsNotification(ref, message!);
          return sendTeamsPaced(ref, notification, chunk, inFlight);
        },
      };
    },
  };
}
