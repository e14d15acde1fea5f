/**
 * In-process news of a message's status changes. A request that waits for the lifecycle to apply a change
 * hears it here the moment the activity has written it, instead of re-reading the row; when the activity
 * runs in another instance (scaled out on Azure), the waiter's slow poll still finds the change.
 */
import { EventEmitter } from 'node:events';
import type { MessageRecord } from '../../core/records.js';

const changes = new EventEmitter();
changes.setMaxListeners(0);

const key = (tenant: string, id: string) => `${tenant}/${id}`;

/** Tells waiters in this process that `message` was just written (they need not read it again). */
export function announceChange(tenant: string, message: MessageRecord): void {
  changes.emit(key(tenant, message.id), message);
}

/** Resolves with the message as announced at its next change, or with undefined after `ms`. */
export function nextChange(tenant: string, id: string, ms: number): Promise<MessageRecord | undefined> {
  return new Promise((resolve) => {
    const done = (message?: MessageRecord) => {
      clearTimeout(timer);
      changes.off(key(tenant, id), done);
      resolve(message);
    };
    const timer = setTimeout(done, Math.max(0, ms));
    changes.once(key(tenant, id), done);
  });
}

/** The soonest a waiter re-reads the row itself, and the longest it goes between two reads. */
export const MIN_POLL_MS = 500;
export const MAX_POLL_MS = 4_000;
const SAMPLES = 32;
const applied: number[] = [];

/** Records how long a change announced in this process took from the request that asked for it. */
export function recordApplyTime(ms: number): void {
  applied.push(ms);
  if (applied.length > SAMPLES) applied.shift();
}

/**
 * How long a waiter hears nothing before it reads the row itself: a little past the slowest of the recent
 * changes announced here (p90), since a read before then almost always finds the row as it was, and on a
 * busy host the apply time grows with the load. Reads after that back off (`nextPollMs`).
 */
export function firstPollMs(): number {
  if (applied.length === 0) return MIN_POLL_MS;
  const sorted = [...applied].sort((a, b) => a - b);
  const p90 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]!;
  return Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Math.round(p90 * 1.25)));
}

export const nextPollMs = (previous: number): number => Math.min(MAX_POLL_MS, previous * 2);
