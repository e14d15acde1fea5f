/**
 * Delivery to push channels (Teams, email): statuses, what a send can come back with, and the arithmetic
 * of batches and progress. Pure.
 */
import type { Location } from './message.js';
import type { DeviceApp } from './notification.js';

/** `push`: custom notifications to mobile devices (FCM, APNs); the others carry messages. */
export type Channel = 'inbox' | 'teams' | 'email' | 'push' | 'actionable';
export const CHANNEL_OF: Record<Location, Channel> = {
  spotlight: 'inbox',
  notificationCenter: 'inbox',
  taskbar: 'inbox',
  teams: 'teams',
  email: 'email',
};
export const isPushChannel = (c: Channel): c is 'teams' | 'email' | 'push' | 'actionable' => c !== 'inbox';

/**
 * `sending`: recorded just before the provider call (the row is in flight). `unconfirmed`: it was in flight
 * when its worker died, on a channel whose provider has no idempotency key (Teams, push), so it is never
 * sent again: the recipient got it once or not at all, and which is unknown. Rows only move forward —
 * pending or throttled, sending, then sent, failed, cancelled or unconfirmed for good — so a count once
 * reached is never taken back.
 */
export const DELIVERY_STATUSES = ['pending', 'sent', 'failed', 'throttled', 'cancelled', 'sending', 'unconfirmed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * A row the last worker left `sending` that is not to be asked again — its provider cannot tell a repeat,
 * or the message was stopped since — is in doubt for good. (On a provider that drops repeats, ACS by
 * Operation-Id, it stays `sending` and is sent again: `afterOutcome` then settles it.)
 */
export function unconfirmed(d: DeliveryState): DeliveryState {
  if (d.status !== 'sending') return d;
  return { ...d, status: 'unconfirmed', reason: 'in flight when its worker stopped; not sent again, which could send it twice' };
}

/** What one provider call (one recipient, or one bulk request) came back with. */
export type SendOutcome =
  | {
      status: 'sent';
      /** How, when not plainly: the update prompt went in the notification's place. */
      reason?: string;
    }
  | { status: 'failed'; reason: string; /** retrying cannot help (bad address, rejected request) */ permanent: boolean }
  | { status: 'throttled'; retryAfterMs: number; reason: string }
  /** Not attempted: the message was stopped before this recipient's turn. */
  | { status: 'cancelled'; reason: string };

export const MAX_ATTEMPTS = 5;

export interface DeliveryState {
  status: DeliveryStatus;
  attempts: number;
  reason?: string;
  sentAt?: string;
}

/**
 * A recipient's delivery after a send's outcome: sent; failed for good (a permanent error, or a transient
 * one for the MAX_ATTEMPTS-th time — recorded, never dropped); throttled (not an attempt: the provider
 * refused to try); cancelled (not attempted: the message was stopped); or still pending after a transient
 * failure, to be retried after `retryDelayMs`. A row in doubt (`sending`, from a worker that died) stays in
 * doubt until an answer settles it, and becomes unconfirmed, not cancelled, if the message is stopped.
 */
export function afterOutcome(d: DeliveryState, outcome: SendOutcome, at: number): DeliveryState {
  const attempts = d.attempts + 1;
  if (outcome.status === 'sent') return { status: 'sent', attempts, sentAt: new Date(at).toISOString(), reason: outcome.reason ?? '' };
  // Sent again after a crash, and no answer that settles it: the provider may have it from before.
  if (d.status === 'sending') {
    if (outcome.status === 'cancelled') return unconfirmed(d);
    if (outcome.status === 'throttled') return { status: 'sending', attempts: d.attempts, reason: outcome.reason };
    if (!outcome.permanent && attempts < MAX_ATTEMPTS) return { status: 'sending', attempts, reason: outcome.reason };
  }
  if (outcome.status === 'throttled') return { status: 'throttled', attempts: d.attempts, reason: outcome.reason };
  if (outcome.status === 'cancelled') return { status: 'cancelled', attempts: d.attempts, reason: outcome.reason };
  if (outcome.permanent) return { status: 'failed', attempts, reason: outcome.reason };
  if (attempts >= MAX_ATTEMPTS) return { status: 'failed', attempts, reason: `gave up after ${attempts} attempts: ${outcome.reason}` };
  return { status: 'pending', attempts, reason: outcome.reason };
}

/** Exponential back-off between attempts: 2 s, 4 s, 8 s, … capped at 5 minutes. */
export const retryDelayMs = (attempts: number) => Math.min(300_000, 1000 * 2 ** attempts);

// The records of a push channel's delivery (stored by adapters/stores/deliveryStore.ts, docs/storage.md).

/** Recipients per chunk: one Teams bulk request (≤ 100) and one transaction with the summary (≤ 100 operations). */
export const CHUNK_SIZE = 99;
/** Recipients per batch (one partition, one queue message): ten full chunks. */
export const BATCH_SIZE = 10 * CHUNK_SIZE;

export interface Recipient {
  /** The delivery row's key: the user — or, for mobile push, the device. */
  userId: string;
  upn: string;
  name?: string;
  mail?: string;
  language?: string;
  /**
   * Mobile push: the device's owner, platform and push token, and the app that shows the notification with
   * its version (snapshots from before they were kept have neither).
   */
  device?: { owner: string; platform: string; token: string; app?: DeviceApp; appVersion?: string };
}

export interface Delivery extends Recipient {
  status: DeliveryStatus;
  attempts: number;
  reason?: string;
  sentAt?: string;
}

export interface BatchSummary {
  total: number;
  sent: number;
  failed: number;
  throttled: number;
  cancelled: number;
  /** In flight now (recorded before the provider call). */
  sending: number;
  /** In flight when a worker died on a channel without an idempotency key: sent once or not at all. */
  unconfirmed: number;
  /** A worker holds the batch until then (ms); another copy of its queue message stands back. */
  leaseUntil: number;
  updatedAt: string;
}

export interface Occurrence {
  occurrence: number;
  channel: Channel;
  /** failed: the audience could not be resolved (the poison queue's verdict); `reason` says why. */
  state: 'resolving' | 'resolved' | 'failed';
  reason?: string;
  startedAt: string;
  resolvedAt?: string;
  /** Known once resolved. */
  recipients?: number;
  batches?: number;
  /** Batches written so far while resolving. */
  batchesWritten: number;
}

/** Without an outcome yet: throttled and in-flight rows included. */
export const pendingOf = (s: BatchSummary) => s.total - s.sent - s.failed - s.cancelled - s.unconfirmed;

export interface BatchState {
  /** Every recipient of the batch in snapshot order, with their delivery so far. */
  rows: Map<string, Delivery>;
  summary: BatchSummary;
  etag: string;
}

/** Another worker moved the batch on since it was read: this one stops and lets it be. */
export class LostBatchLease extends Error {}

/** Counts a batch's rows by status: the summary is always recomputed from the rows it sits beside. */
export function summarize(rows: Iterable<Delivery>, leaseUntil: number, now: number): BatchSummary {
  const s: BatchSummary = {
    total: 0,
    sent: 0,
    failed: 0,
    throttled: 0,
    cancelled: 0,
    sending: 0,
    unconfirmed: 0,
    leaseUntil,
    updatedAt: new Date(now).toISOString(),
  };
  for (const r of rows) {
    s.total++;
    if (r.status === 'sent') s.sent++;
    else if (r.status === 'failed') s.failed++;
    else if (r.status === 'throttled') s.throttled++;
    else if (r.status === 'cancelled') s.cancelled++;
    else if (r.status === 'sending') s.sending++;
    else if (r.status === 'unconfirmed') s.unconfirmed++;
  }
  return s;
}
