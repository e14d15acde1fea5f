/**
 * Every hop a message or notification takes between functions, declared once with its payload type: the
 * lifecycle orchestration, its activities and events, and the delivery queues. The edges take these
 * handles (`workflows/durableHops.ts` for Durable, `adapters/stores/storageClients.ts` `enqueue` and
 * `functions/queues/queueTriggers.ts` for queues), so go-to-definition leads from a sender to its
 * receiver's handle and from there to every use. The hop list is docs/lifecycle.md.
 */
import { z } from 'zod';
import type { Channel } from './delivery.js';
import type { MessageStatus } from './lifecycle.js';
import type { Actor, AppliedTransition, TransitionRequest } from './records.js';

declare const payload: unique symbol;
/** A named hop; `In` and `Out` exist for the type checker only. */
interface Hop<Kind extends string, In, Out> {
  readonly kind: Kind;
  readonly name: string;
  readonly [payload]?: (input: In) => Out;
}
export type OrchestrationHop<In, Out> = Hop<'orchestration', In, Out>;
export type ActivityHop<In, Out> = Hop<'activity', In, Out>;
export type EventHop<T> = Hop<'event', T, void>;
export interface QueueHop<T> extends Hop<'queue', T, void> {
  /** Checks a message taken off the queue: the queue is a boundary, like an HTTP body. */
  readonly schema: z.ZodType<T>;
  /** Where the host moves a message that failed `maxDequeueCount` times. */
  readonly poison: string;
}
export type InputOf<H> = H extends Hop<string, infer In, infer _Out> ? In : never;
export type OutputOf<H> = H extends Hop<string, infer _In, infer Out> ? Out : never;

const orchestration = <In, Out>(name: string): OrchestrationHop<In, Out> => ({ kind: 'orchestration', name });
const activity = <In, Out>(name: string): ActivityHop<In, Out> => ({ kind: 'activity', name });
const event = <T>(name: string): EventHop<T> => ({ kind: 'event', name });
const queue = <T>(name: string, schema: z.ZodType<T>): QueueHop<T> => ({ kind: 'queue', name, schema, poison: `${name}-poison` });

// Payloads.

export interface LifecycleInput {
  tenantId: string;
  messageId: string;
  premade: boolean;
  /** Urgent: sent at once, once, with no schedule. */
  urgent: boolean;
  start?: string;
  end?: string;
  frequency: 'once' | 'daily' | 'weekly' | 'monthly';
  /** How the message reaches people: pulled by devices (inbox) or pushed (teams, email). Older inputs: inbox. */
  channel?: Channel;
  submittedBy: Actor;
  /**
   * The revision of the orchestration that started this instance, so a later one replays its history as it
   * was written. 2: the submit (or send) transition tells the approvers itself. Absent (started before
   * revision 2): a `notifyApprovers` activity after the transition does.
   */
  revision?: number;
}
/** The revision new lifecycle instances start with (`LifecycleInput.revision`). */
export const LIFECYCLE_REVISION = 2;
export interface MessageRef {
  tenantId: string;
  messageId: string;
}
export interface TransitionInput extends MessageRef, TransitionRequest {
  /** Tells the tenant's approvers when the change leaves the message waiting for them (best effort). */
  tellApprovers?: boolean;
}
/** An approver's decision as the API authorized and recorded it (adapters/stores/decisionStore.ts). */
export interface Decision {
  id: string;
  approve: boolean;
  by: Actor;
  comment?: string;
  at: string;
}
/** The `decision` event names a recorded decision; nothing else in it is trusted. */
export interface DecisionEvent {
  decisionId: string;
}
export interface DecisionInput extends MessageRef {
  lifecycle: string;
  /** What the event named: anything, since anyone who reaches the Durable API can raise an event. */
  decisionId: unknown;
}
/** The recorded decision, applied; or why the event changed nothing. */
export type AppliedDecision = { applied: AppliedTransition } | { ignored: string };
export interface CancelRequest {
  by: Actor;
}

export const OccurrenceRef = z.object({
  tenantId: z.string().min(1),
  messageId: z.string().min(1),
  occurrence: z.number().int().min(0),
});
/** One delivery round of a message (or of a custom notification: occurrence 0). */
export type OccurrenceRef = z.infer<typeof OccurrenceRef>;
export const ResolutionRef = OccurrenceRef.extend({
  /** Set on the rest of a resolution: batches before this one were written and queued by the run that handed it on. */
  from: z.number().int().min(1).optional(),
});
/** An occurrence to resolve into batches, whole or from a batch on (jobs/delivery/resolveAudience.ts). */
export type ResolutionRef = z.infer<typeof ResolutionRef>;
export const BatchRef = OccurrenceRef.extend({ batch: z.number().int().min(0) });
/** One partition of an occurrence's recipients (≤ 1000). */
export type BatchRef = z.infer<typeof BatchRef>;
export const BatchMessage = BatchRef.extend({
  /** Set on a re-queued continuation: the rest of the batch is not due before this (ms). */
  notBefore: z.number().optional(),
});
export type BatchMessage = z.infer<typeof BatchMessage>;
export const NotificationRef = z.object({ tenantId: z.string().min(1), notificationId: z.string().min(1) });
export type NotificationRef = z.infer<typeof NotificationRef>;

// The message lifecycle (workflows/messageLifecycle.ts).

/** Returns the status the message ended in (undefined when the submission never took effect). */
export const MESSAGE_LIFECYCLE = orchestration<LifecycleInput, MessageStatus | undefined>('messageLifecycle');
export const APPLY_TRANSITION = activity<TransitionInput, AppliedTransition>('applyTransition');
/** Starts delivery of occurrence 0 on a push channel; pulled (inbox) messages need nothing. */
export const DELIVER_MESSAGE = activity<MessageRef, { started: boolean }>('deliverMessage');
/**
 * Tells the tenant's approvers that the message waits for them (best effort: never fails the lifecycle).
 * Called only by instances started before revision 2 (`LifecycleInput.revision`), whose history has it.
 */
export const NOTIFY_APPROVERS = activity<MessageRef, { notified: number; reason?: string }>('notifyApprovers');
/** Applies the decision a `decision` event names, only if the API recorded it for this submission. */
export const APPLY_DECISION = activity<DecisionInput, AppliedDecision>('applyDecision');
/** An approver's decision, raised by the approve and reject endpoints once it is recorded. */
export const DECISION = event<DecisionEvent>('decision');
export const CANCEL = event<CancelRequest>('cancel');
/**
 * Raised by delivery when every recipient of an occurrence has an outcome (push channels); `stopped` when a
 * cancel was accepted first, whose own event may come after this one (from another instance, say).
 */
export const OCCURRENCE_DELIVERED = event<{ occurrence: number; stopped?: boolean }>('occurrenceDelivered');

// Delivery queues (jobs/delivery, jobs/push): each message names an occurrence or a batch, never one person.

export const RESOLVE_AUDIENCE = queue('resolve-audience', ResolutionRef);
export const DELIVER_TEAMS = queue('deliver-teams', BatchMessage);
export const DELIVER_EMAIL = queue('deliver-email', BatchMessage);
export const DELIVER_PUSH = queue('deliver-push', BatchMessage);
/** One batch of an actionable email's named recipients (jobs/actionable), sent through ACS like email. */
export const DELIVER_ACTIONABLE = queue('deliver-actionable', BatchMessage);
export const RESOLVE_NOTIFICATION = queue('resolve-notification', NotificationRef);

export type DeliveryChannel = 'teams' | 'email' | 'push' | 'actionable';
/** The batch queue of a push channel. */
export const DELIVER: Record<DeliveryChannel, QueueHop<BatchMessage>> = {
  teams: DELIVER_TEAMS,
  email: DELIVER_EMAIL,
  push: DELIVER_PUSH,
  actionable: DELIVER_ACTIONABLE,
};

// A provider's approval (workflows/providerApproval.ts): an Organization submission waits for the tenant's
// admins, who are reminded until one decides through the API.

export interface ProviderApprovalInput {
  tenantId: string;
  providerId: string;
  submittedBy: Actor;
}
export interface ProviderRef {
  tenantId: string;
  providerId: string;
  /** 0 for the first notice, then each reminder's number. */
  reminder: number;
}
/** Returns the status the provider left Submitted for, or Submitted when the reminders ran out. */
export const PROVIDER_APPROVAL = orchestration<ProviderApprovalInput, string | undefined>('providerApproval');
/** Tells the tenant's provider approvers the provider waits for them; `waiting` false once it no longer does. */
export const REMIND_PROVIDER_APPROVERS = activity<ProviderRef, { waiting: boolean; notified: number; reason?: string }>(
  'remindProviderApprovers',
);
/** Raised by the approve, reject and withdraw endpoints once they have changed the provider: the wait ends. */
export const PROVIDER_DECIDED = event<{ status: string }>('providerDecided');
