/**
 * One message's life after it is submitted, as a Durable orchestration: approval raced against the end
 * date (custom messages), the wait for the start, delivery, and expiry — each status change a conditional
 * write done by an activity, so the message row and the orchestration cannot disagree after a crash.
 * Cancel arrives as an event at any stage.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { MessageStatus } from '../core/lifecycle.js';
import { isPushChannel, type Channel } from '../core/delivery.js';
import type { Actor, TransitionAction, TransitionResult } from '../adapters/stores/messageStore.js';
import { messageStore } from '../adapters/stores/messageStore.js';
import { announceChange } from '../adapters/runtime/messageChanges.js';
import { now } from '../adapters/runtime/clock.js';
import { startPushOccurrence } from '../jobs/delivery/occurrences.js';

export const LIFECYCLE = 'messageLifecycle';
export const DECISION_EVENT = 'decision';
export const CANCEL_EVENT = 'cancel';
/** Raised by delivery when every recipient of an occurrence has an outcome (push channels). */
export const OCCURRENCE_DELIVERED_EVENT = 'occurrenceDelivered';

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
}

export interface Decision {
  approve: boolean;
  by: Actor;
  comment?: string;
}

const DELIVER_RETRY = new df.RetryOptions(2_000, 5);

export const HERALD: Actor = { id: 'herald', upn: 'herald', name: 'Herald' };

interface TransitionInput {
  tenantId: string;
  messageId: string;
  from: MessageStatus[];
  to: MessageStatus;
  action: TransitionAction;
  by: Actor;
  comment?: string;
  lifecycle: string;
}

/** The instance id of a submission: one orchestration per submission of a message version. */
export const lifecycleInstanceId = (tenantId: string, messageId: string, version: number) => `msg-${tenantId}-${messageId}-v${version}`;

const lifecycle: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const input = ctx.df.getInput() as LifecycleInput;
  const change = (from: MessageStatus[], to: MessageStatus, action: TransitionAction, by: Actor, comment?: string) =>
    ctx.df.callActivity('applyTransition', {
      tenantId: input.tenantId,
      messageId: input.messageId,
      from,
      to,
      action,
      by,
      comment,
      lifecycle: ctx.df.instanceId,
    } satisfies TransitionInput);
  // Waits for `until` or a cancel, whichever comes first; true when cancelled.
  function* cancelledBefore(until: Date, status: MessageStatus): Generator<df.Task, boolean, unknown> {
    if (until.getTime() <= ctx.df.currentUtcDateTime.getTime()) return false;
    const cancel = ctx.df.waitForExternalEvent(CANCEL_EVENT);
    const timer = ctx.df.createTimer(until);
    const first = yield ctx.df.Task.any([timer, cancel]);
    if (first === timer) return false;
    timer.cancel();
    yield change([status], 'Cancelled', 'cancelled', (cancel.result as { by: Actor }).by);
    return true;
  }

  // Retried: a storage hiccup while queuing delivery must not end the orchestration with the message Active.
  const deliver = () =>
    ctx.df.callActivityWithRetry('deliverMessage', DELIVER_RETRY, { tenantId: input.tenantId, messageId: input.messageId });
  const pushed = isPushChannel(input.channel ?? 'inbox');
  if (input.urgent) {
    const sent = (yield change(['Draft'], 'Active', 'sent', input.submittedBy)) as TransitionResult;
    if (!sent.ok) return sent.message?.status;
    yield deliver();
    yield change(['Active'], 'Delivered', 'delivered', HERALD);
    return 'Delivered';
  }
  const end = new Date(input.end!);
  const submitted = (yield change(
    ['Draft'],
    input.premade ? 'Scheduled' : 'PendingApproval',
    'submitted',
    input.submittedBy,
  )) as TransitionResult;
  if (!submitted.ok) return submitted.message?.status;

  if (!input.premade) {
    const decision = ctx.df.waitForExternalEvent(DECISION_EVENT);
    const cancel = ctx.df.waitForExternalEvent(CANCEL_EVENT);
    const deadline = ctx.df.createTimer(end);
    const first = yield ctx.df.Task.any([decision, cancel, deadline]);
    if (first === deadline) {
      yield change(['PendingApproval'], 'Rejected', 'autoRejected', HERALD, 'nobody reviewed the message before its end date');
      return 'Rejected';
    }
    deadline.cancel();
    if (first === cancel) {
      yield change(['PendingApproval'], 'Cancelled', 'cancelled', (cancel.result as { by: Actor }).by);
      return 'Cancelled';
    }
    const d = decision.result as Decision;
    const decided = (yield change(
      ['PendingApproval'],
      d.approve ? 'Scheduled' : 'Rejected',
      d.approve ? 'approved' : 'rejected',
      d.by,
      d.comment,
    )) as TransitionResult;
    if (!decided.ok || !d.approve) return decided.message?.status;
  }

  if (yield* cancelledBefore(new Date(input.start!), 'Scheduled')) return 'Cancelled';
  yield change(['Scheduled'], 'Active', 'started', HERALD);
  yield deliver();
  if (input.frequency === 'once' && pushed) {
    // Delivered when every recipient has an outcome; the end date or a cancel may come first.
    const delivered = ctx.df.waitForExternalEvent(OCCURRENCE_DELIVERED_EVENT);
    const cancel = ctx.df.waitForExternalEvent(CANCEL_EVENT);
    const deadline = ctx.df.createTimer(end);
    const first = yield ctx.df.Task.any([delivered, cancel, deadline]);
    if (first !== deadline) deadline.cancel();
    if (first === cancel) {
      yield change(['Active'], 'Cancelled', 'cancelled', (cancel.result as { by: Actor }).by);
      return 'Cancelled';
    }
    if (first === deadline) {
      yield change(['Active'], 'Expired', 'expired', HERALD);
      return 'Expired';
    }
    yield change(['Active'], 'Delivered', 'delivered', HERALD);
    return 'Delivered';
  }
  // Pulled messages are shown until the end; recurring ones are resent by the frequency timer until then.
  if (yield* cancelledBefore(end, 'Active')) return 'Cancelled';
  if (input.frequency === 'once') {
    yield change(['Active'], 'Delivered', 'delivered', HERALD);
    return 'Delivered';
  }
  yield change(['Active'], 'Expired', 'expired', HERALD);
  return 'Expired';
};

df.app.orchestration(LIFECYCLE, lifecycle);

df.app.activity('applyTransition', {
  handler: async (input: TransitionInput, context): Promise<TransitionResult> => {
    const { tenantId, messageId, ...change } = input;
    const result = await messageStore().transition(tenantId, messageId, change);
    if (result.ok) announceChange(tenantId, result.message);
    context.log(
      `message ${messageId} (tenant ${tenantId}): ${change.action} → ${change.to} by ${change.by.upn}` +
        (result.ok ? '' : `; not applied, the message is ${result.message?.status ?? 'gone'}`),
    );
    return result;
  },
});

// Push channels: starts occurrence 0 (audience resolution, then batches on the delivery queues). Pulled
// (inbox) messages need nothing: devices ask for them while they are Active.
df.app.activity('deliverMessage', {
  handler: async (input: { tenantId: string; messageId: string }, context) => {
    const message = await messageStore().get(input.tenantId, input.messageId);
    if (!message || message.status !== 'Active') return { started: false };
    const started = await startPushOccurrence(message, input.tenantId, 0, now());
    if (started) context.log(`message ${input.messageId} (tenant ${input.tenantId}): delivery of occurrence 0 queued`);
    return { started };
  },
});
