/**
 * The domain's records as every layer sees them: who acted, a message with its status, its audit trail,
 * and what applying a transition gave. The stores persist them (`adapters/stores/messageStore.ts`); the
 * orchestration, the jobs and the HTTP handlers pass them around.
 */
import type { MessageStatus, Transition, TransitionRecord } from './lifecycle.js';
import type { DraftInput } from './message.js';

export interface Actor {
  id: string;
  upn: string;
  name: string;
}

/** Herald itself, for the changes its schedule makes (start, expiry, auto-reject). */
export const HERALD: Actor = { id: 'herald', upn: 'herald', name: 'Herald' };

export interface MessageRecord {
  id: string;
  status: MessageStatus;
  draft: DraftInput;
  author: Actor;
  createdAt: string;
  updatedAt: string;
  /** Counts changes; orders audit rows written in the same millisecond. */
  version: number;
  /** The row's ETag: a change succeeds only against the version it was read at. */
  etag: string;
  /** The last status change and who made it (a decision's author, for "already decided by …"). */
  lastAction?: TransitionRecord;
  lastActor?: Actor;
  /** The lifecycle orchestration's instance id, from the latest submission. */
  lifecycle?: string;
  /** When the message last became Active (its delivery began). */
  activatedAt?: string;
  /** Its lifecycle orchestration ended (terminated, failed) while the message was still under way. */
  lifecycleEnded?: LifecycleEnded;
  /** The occurrence being delivered and when the next is due, as the delivery jobs last set them. */
  schedule?: { occurrence: number; nextAt?: string };
}

/** How a message's lifecycle orchestration ended early, as the reconciler or a cancel found it. */
export interface LifecycleEnded {
  /** The Durable runtime status: `Terminated`, `Failed`, `Completed` or `Missing` (no such instance). */
  runtimeStatus: string;
  reason: string;
  at: string;
}

export type AuditAction = 'created' | 'modified' | 'deleted' | TransitionRecord;

export interface AuditEntry {
  at: string;
  action: AuditAction;
  by: Actor;
  /** The status after the change. */
  status: MessageStatus;
  /** For `modified`: the top-level fields that changed. */
  fields?: string[];
  comment?: string;
}

/** A transition asked of the store: the status machine decides, the store writes it conditionally. */
export interface TransitionRequest {
  transition: Transition;
  by: Actor;
  comment?: string;
  /** The lifecycle orchestration making the change, recorded on the message. */
  lifecycle?: string;
}

/** What applying a transition gave: the message as it now is, or why it did not move (and as it is). */
export type AppliedTransition = { ok: true; message: MessageRecord } | { ok: false; message: MessageRecord | undefined; reason: string };
