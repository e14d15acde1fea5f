/**
 * What moves a message through its lifecycle: submit, approve, reject, cancel (`/api/messages/{id}/…`).
 * Each starts or signals the message's lifecycle orchestration, then waits briefly for it to apply the
 * change, so the answer carries the resulting status rather than a bare "accepted".
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type * as df from 'durable-functions';
import type { Caller } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import { recordDecision } from '../../adapters/stores/decisionStore.js';
import { requestStop } from '../../adapters/stores/deliveryControlStore.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import type { MessageRecord } from '../../core/records.js';
import { templateCatalog } from '../../adapters/rendering/templateCatalog.js';
import { firstPollMs, nextChange, nextPollMs, recordApplyTime } from '../../adapters/runtime/messageChanges.js';
import { copyImage } from '../../adapters/stores/imageStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { mayDecide } from '../../core/roles.js';
import { LIMITS, submitProblems, type Location } from '../../core/message.js';
import { findTemplate } from '../../core/templates.js';
import { transition, transitionContext, type Transition } from '../../core/lifecycle.js';
import type { Decision } from '../../core/hops.js';
import { endedLifecycle, sendCancel, sendDecision, startLifecycle } from '../../workflows/lifecycleClient.js';
import { requireKnownAudience } from './directoryChecks.js';
import { actor, existing, messageView } from './messageAccess.js';
import { answer, answerSettled } from './lifecycleAnswer.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { Comment, lifecycleResponse, MESSAGE_PARAMS, messageResponse, RequiredComment } from './schemas/messageSchemas.js';

const WAIT_MS = 10_000;

/**
 * Does `act` (start or signal the lifecycle), then waits until the orchestration has moved the message on
 * from `version` (or the wait runs out). It listens before acting, so an announced change is never missed,
 * and takes the message as announced. It reads the row itself only when nothing was announced for a while
 * (the activity ran in another instance): first a little after the usual apply time, then less and less often.
 */
async function settled(tenant: string, id: string, version: number, act: () => Promise<unknown>): Promise<MessageRecord | undefined> {
  const started = Date.now();
  const deadline = started + WAIT_MS;
  let wait = firstPollMs();
  let change = nextChange(tenant, id, Math.min(wait, WAIT_MS));
  await act();
  for (;;) {
    const announced = await change;
    if (announced && announced.version > version) recordApplyTime(Date.now() - started);
    const message = announced ?? (await messageStore().get(tenant, id));
    if (!message || message.version > version || Date.now() >= deadline) return message;
    if (!announced) wait = nextPollMs(wait);
    change = nextChange(tenant, id, Math.min(wait, deadline - Date.now()));
  }
}

/** The status machine's answer before anything is started: a 409 with its reason when `t` cannot happen now. */
const requireTransition = (message: MessageRecord, t: Transition) => {
  const check = transition(message.status, t, transitionContext(message.draft));
  if (!check.ok) throw new Problem('status-conflict', check.reason);
};

/** A message must be complete and follow the location rules before it leaves Draft. */
async function checkSubmittable(tenant: string, message: MessageRecord): Promise<void> {
  const draft = message.draft;
  const { licence } = await getTenantSettings(tenant);
  const template = (id: string, location: Location | undefined) => findTemplate(templateCatalog(), id, location)?.template;
  const problems = submitProblems(draft, { licence, now: now(), template });
  if (problems.length) throw new Problem('validation', problems.map((p) => `${p.path} ${p.message}`).join('; '), problems);
  await requireKnownAudience(tenant, draft.audience);
}

async function submit(client: df.DurableClient, caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  requireTransition(message, 'submit');
  await checkSubmittable(caller.tenantId, message);
  return submitted(client, caller, message);
}

/** Starts the submission's orchestration and answers with the status it moves the message to. */
async function submitted(client: df.DurableClient, caller: Caller, message: MessageRecord): Promise<HttpResponseInit> {
  const start = () => startLifecycle(client, caller.tenantId, message, actor(caller));
  return answerSettled(await settled(caller.tenantId, message.id, message.version, start), message.version);
}

/** Urgent messages skip approval and schedule: Taskbar or Notifications, groups only, sent at once, once. */
async function send(client: df.DurableClient, caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  requireTransition(message, 'send');
  await checkSubmittable(caller.tenantId, message);
  return submitted(client, caller, message);
}

/** Rejected → Draft, so the writer can address the approver's concerns and submit again. */
async function withdraw(caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  requireTransition(message, 'withdraw');
  const result = await messageStore().transition(caller.tenantId, message.id, { transition: 'withdraw', by: actor(caller) });
  if (!result.ok) throw new Problem('status-conflict', result.reason);
  return answer(result.message);
}

/** A new draft with the same content; the copy starts its own life as a Draft. */
async function copy(request: HttpRequest, caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  const name = `Copy of ${message.draft.name ?? 'untitled message'}`.slice(0, LIMITS.name);
  const { image: _original, ...content } = message.draft.content ?? {};
  let created = await messageStore().create(caller.tenantId, { ...message.draft, name, content }, actor(caller));
  // The copy keeps the same location, so it keeps the image too — as its own blob, marked as copied so a
  // change of location drops it again.
  const image = message.draft.content?.image;
  if (image) {
    const copied = await copyImage(caller.tenantId, message.id, created.id, image);
    const draft = {
      ...created.draft,
      content: { ...created.draft.content, ...(copied ? { image: { ...copied, copiedFrom: message.id } } : {}) },
    };
    created = await messageStore().modify(caller.tenantId, created, draft, actor(caller), ['content']);
  }
  return {
    status: 201,
    headers: { location: new URL(`/api/messages/${created.id}`, request.url).toString(), etag: created.etag },
    jsonBody: messageView(created),
  };
}

export async function decide(
  client: df.DurableClient,
  caller: Caller,
  id: string,
  approve: boolean,
  comment: string | undefined,
): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  if (!mayDecide(caller, message.author.id)) throw new Problem('forbidden', 'an approver cannot approve or reject their own message');
  requireTransition(message, approve ? 'approve' : 'reject');
  // The directory may have lost a group since submission; rejecting needs no audience.
  if (approve) await requireKnownAudience(caller.tenantId, message.draft.audience);
  if (!message.lifecycle) throw new Problem('status-conflict', 'the message has no lifecycle to decide on; submit it again');
  const ended = message.lifecycleEnded ?? (await endedLifecycle(client, message.lifecycle, now()));
  if (ended) throw new Problem('status-conflict', `nothing can approve or reject it: ${ended.reason}; cancel it and submit a copy`);
  // Recorded first, inserted once per submission: of concurrent approvals exactly one is recorded, and the
  // orchestration applies only the recorded decision, whatever a decision event says.
  const proposed: Decision = {
    id: randomUUID(),
    approve,
    by: actor(caller),
    ...(comment ? { comment } : {}),
    at: new Date(now()).toISOString(),
  };
  const { recorded, decision } = await recordDecision(caller.tenantId, message.id, message.lifecycle, proposed);
  const raise = () => sendDecision(client, message, { decisionId: decision.id });
  if (!recorded) {
    // The first request may have stopped between recording and raising: applying it again is harmless.
    await raise().catch(() => undefined);
    throw new Problem(
      'status-conflict',
      `the message was already ${decision.approve ? 'approved' : 'rejected'} by ${decision.by.upn} at ${decision.at}`,
    );
  }
  // Only this caller's decision was recorded, so Herald moving the message on after it (the start of an
  // approved message that is due, before this answer read it back) is not someone else's decision.
  return answerSettled(await settled(caller.tenantId, message.id, message.version, raise), message.version, caller.userId, true);
}

async function cancel(client: df.DurableClient, caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  requireTransition(message, 'cancel');
  // An orchestration that ended (terminated, failed) would never take the cancel: it is applied here.
  const ended = message.lifecycle ? await endedLifecycle(client, message.lifecycle, now()) : undefined;
  if (ended) {
    await requestStop(caller.tenantId, message.id, now());
    const comment = `cancelled without its lifecycle: ${ended.reason}`;
    const result = await messageStore().transition(caller.tenantId, message.id, { transition: 'cancel', by: actor(caller), comment });
    if (!result.ok) throw new Problem('status-conflict', result.reason);
    return answer(result.message);
  }
  // Recorded before the lifecycle hears of it: delivery stops on it even while the orchestration waits out a crash.
  const raise = async () => {
    await requestStop(caller.tenantId, message.id, now());
    return sendCancel(client, message, actor(caller));
  };
  return answerSettled(await settled(caller.tenantId, message.id, message.version, raise), message.version, caller.userId);
}

const lifecycleRoute = { tag: 'lifecycle', params: MESSAGE_PARAMS, method: 'POST' } as const;

route({
  name: 'messageSubmit',
  route: 'messages/{id}/submit',
  ...lifecycleRoute,
  durable: true,
  operationId: 'submitMessage',
  summary: 'Submit a draft for approval',
  description:
    'Draft → PendingApproval (or Scheduled, for a pre-made message). The message must be complete and follow the location ' +
    'and licence rules; each unmet rule is a field error. An urgent message is sent, not submitted.',
  role: 'message.write',
  response: lifecycleResponse,
  problems: ['validation', 'not-found', 'status-conflict'],
  handler: async ({ client, caller, params }) => submit(client, caller, params.id),
});

route({
  name: 'messageApprove',
  route: 'messages/{id}/approve',
  ...lifecycleRoute,
  durable: true,
  operationId: 'approveMessage',
  summary: 'Approve a message pending approval',
  description:
    'An approver cannot approve their own message (403). One decision per submission: 409 when it is decided already, ' +
    'by anyone (the same approver asking again included), naming who decided and when.',
  role: 'message.decide',
  body: Comment,
  response: lifecycleResponse,
  problems: ['validation', 'not-found', 'status-conflict'],
  handler: async ({ client, caller, params, body }) => decide(client, caller, params.id, true, (await body()).comment),
});

route({
  name: 'messageReject',
  route: 'messages/{id}/reject',
  ...lifecycleRoute,
  durable: true,
  operationId: 'rejectMessage',
  summary: 'Reject a message pending approval',
  description:
    'An approver cannot reject their own message (403). One decision per submission: 409 when it is decided already, ' +
    'by anyone (the same approver asking again included), naming who decided and when.',
  role: 'message.decide',
  body: RequiredComment,
  response: lifecycleResponse,
  problems: ['not-found', 'status-conflict'],
  handler: async ({ client, caller, params, body }) => decide(client, caller, params.id, false, (await body()).comment),
});

route({
  name: 'messageCancel',
  route: 'messages/{id}/cancel',
  ...lifecycleRoute,
  durable: true,
  operationId: 'cancelMessage',
  summary: 'Cancel a message pending approval, scheduled or active',
  role: 'message.write',
  response: lifecycleResponse,
  problems: ['not-found', 'status-conflict'],
  handler: async ({ client, caller, params }) => cancel(client, caller, params.id),
});

route({
  name: 'messageSend',
  route: 'messages/{id}/send',
  ...lifecycleRoute,
  durable: true,
  operationId: 'sendMessage',
  summary: 'Send an urgent message at once',
  description: 'Urgent messages skip approval and schedule: Taskbar or Notification Center, groups only, sent once.',
  role: 'message.write',
  response: lifecycleResponse,
  problems: ['validation', 'not-found', 'status-conflict'],
  handler: async ({ client, caller, params }) => send(client, caller, params.id),
});

route({
  name: 'messageWithdraw',
  route: 'messages/{id}/withdraw',
  ...lifecycleRoute,
  operationId: 'withdrawMessage',
  summary: 'Take a rejected message back to Draft',
  role: 'message.write',
  response: messageResponse(200, 'The message, a Draft again.'),
  problems: ['not-found', 'status-conflict'],
  handler: async ({ caller, params }) => withdraw(caller, params.id),
});

route({
  name: 'messageCopy',
  route: 'messages/{id}/copy',
  ...lifecycleRoute,
  operationId: 'copyMessage',
  summary: 'Copy a message into a new draft',
  role: 'message.write',
  response: messageResponse(201, 'The new draft, named “Copy of …”.'),
  problems: ['not-found'],
  handler: async ({ request, caller, params }) => copy(request, caller, params.id),
});
