/**
 * One message's life after it is submitted, as a Durable orchestration (docs/lifecycle.md): approval raced
 * against the end date (custom messages), the wait for the start, delivery, and expiry. Every status change
 * is a transition the status machine (`core/lifecycle.ts`) decides, applied by an activity as a conditional
 * write, so the message row and the orchestration cannot disagree after a crash. Cancel arrives as an event
 * at any stage.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { isPushChannel } from '../core/delivery.js';
import {
  APPLY_DECISION,
  APPLY_TRANSITION,
  CANCEL,
  DECISION,
  DELIVER_MESSAGE,
  MESSAGE_LIFECYCLE,
  NOTIFY_APPROVERS,
  OCCURRENCE_DELIVERED,
  RESOLVE_AUDIENCE,
  type AppliedDecision,
  type CancelRequest,
  type DecisionEvent,
  type LifecycleInput,
} from '../core/hops.js';
import { URGENT_REVIEW_MS, type MessageStatus, type Transition } from '../core/lifecycle.js';
import { HERALD, type Actor, type AppliedTransition } from '../core/records.js';
import { now } from '../adapters/runtime/clock.js';
import { announceChange } from '../adapters/runtime/messageChanges.js';
import { getDecision } from '../adapters/stores/decisionStore.js';
import { messageStore } from '../adapters/stores/messageStore.js';
import { startPushOccurrence } from '../jobs/delivery/occurrences.js';
import { notifyApprovers } from '../jobs/approverNoticeWiring.js';
import { callActivity, registerActivity, registerActivityHandingOn, registerOrchestration, waitForEvent } from './durableHops.js';
import { createLifecycleActivities } from './lifecycleActivities.js';

const DELIVER_RETRY = new df.RetryOptions(2_000, 5);
/**
 * How long a send stopped by a cancel waits for that cancel's event before it ends Delivered after all: only
 * an API that died between recording the stop and raising the cancel leaves it waiting so long.
 */
const CANCEL_GRACE_MS = 60_000;

export const messageLifecycle: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const input = ctx.df.getInput() as LifecycleInput;
  // Instances started before revision 2 replay as they were written: a notifyApprovers activity of their own.
  const transitionTells = (input.revision ?? 1) >= 2;
  const change = (transition: Transition, by: Actor, comment?: string, tellApprovers = false) =>
    callActivity(ctx, APPLY_TRANSITION, {
      tenantId: input.tenantId,
      messageId: input.messageId,
      transition,
      by,
      ...(comment ? { comment } : {}),
      lifecycle: ctx.df.instanceId,
      ...(tellApprovers ? { tellApprovers } : {}),
    });
  const cancelledBy = (cancel: df.Task) => (cancel.result as CancelRequest).by;
  // Waits for `until` or a cancel, whichever comes first; true when cancelled.
  function* cancelledBefore(until: Date): Generator<df.Task, boolean, unknown> {
    if (until.getTime() <= ctx.df.currentUtcDateTime.getTime()) return false;
    const cancel = waitForEvent(ctx, CANCEL);
    const timer = ctx.df.createTimer(until);
    const first = yield ctx.df.Task.any([timer, cancel]);
    if (first === timer) return false;
    timer.cancel();
    yield change('cancel', cancelledBy(cancel));
    return true;
  }
  // Retried: a storage hiccup while queuing delivery must not end the orchestration with the message Active.
  const deliver = () => callActivity(ctx, DELIVER_MESSAGE, { tenantId: input.tenantId, messageId: input.messageId }, DELIVER_RETRY);
  const pushed = isPushChannel(input.channel ?? 'inbox');
  const notifyApprovers = () => callActivity(ctx, NOTIFY_APPROVERS, { tenantId: input.tenantId, messageId: input.messageId });

  // Custom messages wait for an approver, raced against a cancel and the deadline; undefined when approved.
  // A decision event that names no recorded decision is ignored, and the wait starts again with tasks of
  // its own: the SDK would schedule a task again if it were yielded in a second Task.any, and it hands an
  // event to the newest waiter for its name.
  function* approved(deadline: Date, why: string): Generator<df.Task, MessageStatus | undefined, unknown> {
    for (;;) {
      const decision = waitForEvent(ctx, DECISION);
      const cancel = waitForEvent(ctx, CANCEL);
      const timer = ctx.df.createTimer(deadline);
      const first = yield ctx.df.Task.any([decision, cancel, timer]);
      if (first === timer) {
        yield change('autoReject', HERALD, why);
        return 'Rejected';
      }
      timer.cancel();
      if (first === cancel) {
        yield change('cancel', cancelledBy(cancel));
        return 'Cancelled';
      }
      const decisionId = (decision.result as Partial<DecisionEvent> | null)?.decisionId;
      const ref = { tenantId: input.tenantId, messageId: input.messageId, lifecycle: ctx.df.instanceId, decisionId };
      const outcome = (yield callActivity(ctx, APPLY_DECISION, ref)) as AppliedDecision;
      if ('ignored' in outcome) continue;
      const decided = outcome.applied;
      return decided.ok && decided.message.status !== 'Rejected' ? undefined : (decided.message?.status ?? 'Rejected');
    }
  }

  if (input.urgent) {
    // Sent at once, once; custom words are reviewed first (and sent the moment they are approved).
    const sent = (yield change('send', input.submittedBy, undefined, transitionTells)) as AppliedTransition;
    if (!sent.ok) return sent.message?.status;
    if (sent.message.status === 'PendingApproval') {
      if (!transitionTells) yield notifyApprovers();
      const reviewBy = new Date(ctx.df.currentUtcDateTime.getTime() + URGENT_REVIEW_MS);
      const ended = yield* approved(reviewBy, 'nobody reviewed the urgent message within a day');
      if (ended) return ended;
    }
    yield deliver();
    yield change('deliver', HERALD);
    return 'Delivered' satisfies MessageStatus;
  }
  const end = new Date(input.end!);
  const submitted = (yield change('submit', input.submittedBy, undefined, transitionTells)) as AppliedTransition;
  if (!submitted.ok) return submitted.message?.status;
  if (!input.premade) {
    if (!transitionTells) yield notifyApprovers();
    const ended = yield* approved(end, 'nobody reviewed the message before its end date');
    if (ended) return ended;
  }

  if (yield* cancelledBefore(new Date(input.start!))) return 'Cancelled';
  yield change('start', HERALD);
  yield deliver();
  if (input.frequency === 'once' && pushed) {
    // Delivered when every recipient has an outcome; the end date or a cancel may come first.
    const delivered = waitForEvent(ctx, OCCURRENCE_DELIVERED);
    const cancel = waitForEvent(ctx, CANCEL);
    const deadline = ctx.df.createTimer(end);
    const first = yield ctx.df.Task.any([delivered, cancel, deadline]);
    if (first !== deadline) deadline.cancel();
    if (first === cancel) {
      yield change('cancel', cancelledBy(cancel));
      return 'Cancelled';
    }
    if (first === deadline) {
      yield change('expire', HERALD);
      return 'Expired';
    }
    if ((delivered.result as { stopped?: boolean }).stopped) {
      // Every recipient has an outcome because a cancel stopped the send: the API raises the cancel right
      // after recording the stop, so it is on its way (slower than this event when another instance holds
      // this orchestration's partition). The message ends Cancelled by its canceller, not Delivered.
      const grace = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + CANCEL_GRACE_MS));
      if ((yield ctx.df.Task.any([cancel, grace])) === cancel) {
        grace.cancel();
        yield change('cancel', cancelledBy(cancel));
        return 'Cancelled';
      }
    }
    yield change('deliver', HERALD);
    return 'Delivered';
  }
  // Pulled messages are shown until the end; recurring ones are resent by the frequency timer until then.
  if (yield* cancelledBefore(end)) return 'Cancelled';
  if (input.frequency === 'once') {
    yield change('deliver', HERALD);
    return 'Delivered';
  }
  yield change('expire', HERALD);
  return 'Expired';
};

registerOrchestration(MESSAGE_LIFECYCLE, messageLifecycle);

const activities = createLifecycleActivities({
  transition: (tenantId, messageId, change) => messageStore().transition(tenantId, messageId, change),
  getMessage: (tenantId, messageId) => messageStore().get(tenantId, messageId),
  getDecision,
  announce: announceChange,
  startOccurrence: startPushOccurrence,
  notifyApprovers,
  now,
});
registerActivity(APPLY_DECISION, (input, context) => activities.applyDecision(input, (line) => context.log(line)));
registerActivity(APPLY_TRANSITION, (input, context) => activities.applyTransition(input, (line) => context.log(line)));
registerActivityHandingOn(DELIVER_MESSAGE, RESOLVE_AUDIENCE, (input, context, handOn) =>
  activities.deliverMessage(input, (line) => context.log(line), handOn),
);
registerActivity(NOTIFY_APPROVERS, (input, context) => activities.notifyApprovers(input, (line) => context.log(line)));
