/**
 * `POST /api/approval-cards/{token}`: what the buttons of Herald's approval emails call (jobs/approvalCard.ts): a
 * message waiting for its approvers, or an Organization provider waiting for the tenant's provider approvers,
 * anonymous at the HTTP layer like the relay's action endpoint: the token in the path (bound to the message,
 * the approver and the action) and Outlook's Entra token are the credentials, checked as the relay checks
 * them (adapters/runtime/actionTokenValidator.ts; `aud` Herald's own provider registration in the tenant).
 * The token's user is looked up in the directory and decides through the same path as the API
 * (messageActions.ts `decide`: the approver role from the tenant's approvers group, never on their own
 * message, one decision per submission); a provider's card through providersDecisions.ts `decide`
 * (Providers.Approve from the provider approvers group, never on a provider one registered or submitted).
 * Every answer is Outlook's reply protocol: a `CARD-ACTION-STATUS` and, when there is a card to show,
 * `CARD-UPDATE-IN-BODY: true` with the card as things are now.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type * as df from 'durable-functions';
import type { Caller } from '../../adapters/runtime/auth.js';
import { actionTokenValidator, bearerOf } from '../../adapters/runtime/actionTokenValidator.js';
import { now } from '../../adapters/runtime/clock.js';
import { directory } from '../../adapters/services/graphDirectory.js';
import { getDecision } from '../../adapters/stores/decisionStore.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import { providerStore } from '../../adapters/stores/providerStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import {
  APPROVAL_STATUS,
  currentCard,
  currentProviderCard,
  PROVIDER_STATUS,
  rejectComment,
  type CardDecision,
} from '../../core/approvalCard.js';
import { ACTION_MAX_AGE_MS, ACTION_STATUS, ActionTokenRejected, type ActionActor } from '../../core/actionToken.js';
import type { MessageRecord } from '../../core/records.js';
import {
  APPROVAL_CARD_ROUTE,
  approvalCardUrls,
  ensureHeraldProvider,
  providerCardUrls,
  readApprovalCardToken,
  type ApprovalCardToken,
} from '../../jobs/approvalCardWiring.js';
import { decide } from './messageActions.js';
import { decide as decideProvider } from './providersDecisions.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { RefreshCard } from './schemas/actionableSchemas.js';

const status = (code: number, cardActionStatus: string): HttpResponseInit => ({
  status: code,
  headers: { 'card-action-status': cardActionStatus },
});

let validator: ReturnType<typeof actionTokenValidator> | undefined;

/** The message's card as it is now, for this approver, with the decision of its submission if one is recorded. */
async function cardNow(tenantId: string, message: MessageRecord, recipient: string, originator: string): Promise<string> {
  const recorded = message.lifecycle ? await getDecision(tenantId, message.id, message.lifecycle) : undefined;
  const decision: CardDecision | undefined = recorded && {
    approve: recorded.approve,
    by: { name: recorded.by.name, upn: recorded.by.upn },
    ...(recorded.comment ? { comment: recorded.comment } : {}),
  };
  return JSON.stringify(currentCard({ message, originator, urls: approvalCardUrls(tenantId, message.id, recipient), decision }));
}

/** The card's reply: a CARD-ACTION-STATUS and the card as things are now. */
const withCard = (card: string, cardActionStatus: string | undefined, code = 200): HttpResponseInit => ({
  status: code,
  headers: {
    ...(cardActionStatus ? { 'card-action-status': cardActionStatus } : {}),
    'card-update-in-body': 'true',
    'content-type': 'application/json',
  },
  body: card,
});

/**
 * Who pressed, and what they typed: the reject comment (required), and the directory person the token names as a
 * caller holding `role` — when they are in the tenant's `group` of deciders.
 */
async function presser(
  request: HttpRequest,
  bound: ApprovalCardToken,
  actor: ActionActor,
  group: string | undefined,
  role: string,
): Promise<{ caller: Caller; comment?: string } | 'no-comment' | 'not-a-decider'> {
  let comment: string | undefined;
  if (bound.action === 'reject') {
    const typed = rejectComment(await request.text());
    if (!typed.ok) return 'no-comment';
    comment = typed.comment;
  }
  const { tenantId } = bound;
  const person = await directory().user(tenantId, actor.oid ?? actor.upn);
  if (!person || ![person.userPrincipalName, person.mail].some((a) => a?.toLowerCase() === actor.upn)) return 'not-a-decider';
  if (group === undefined || !(await directory().memberOf(tenantId, person.id)).includes(group.toLowerCase())) return 'not-a-decider';
  const caller: Caller = {
    tenantId,
    userId: person.id,
    upn: person.userPrincipalName,
    name: person.displayName ?? person.userPrincipalName,
    roles: [role],
  };
  return { caller, ...(comment ? { comment } : {}) };
}

async function messageCard(
  client: df.DurableClient,
  request: HttpRequest,
  bound: ApprovalCardToken,
  actor: ActionActor,
  originator: string,
  log: (m: string) => void,
): Promise<HttpResponseInit> {
  const { tenantId, id, recipient, action } = bound;
  const message = await messageStore().get(tenantId, id);
  if (!message) return status(404, ACTION_STATUS.unknownAction);
  if (now() - Date.parse(message.updatedAt) > ACTION_MAX_AGE_MS) return status(410, ACTION_STATUS.tooOld);
  const reply = async (cardActionStatus: string | undefined, code = 200) =>
    withCard(await cardNow(tenantId, (await messageStore().get(tenantId, id)) ?? message, recipient, originator), cardActionStatus, code);
  // On open: the card as the message is now, whatever it was when the mail went.
  if (action === 'refresh') return reply(undefined);

  // The person the token names, as the directory knows them: their id is who decided, their groups their role.
  const who = await presser(request, bound, actor, (await getTenantSettings(tenantId)).approversGroup, 'Messages.Approve');
  if (who === 'no-comment') return status(400, APPROVAL_STATUS.commentRequired);
  if (who === 'not-a-decider') return reply(APPROVAL_STATUS.notApprover, 403);
  const { caller, comment } = who;
  try {
    await decide(client, caller, id, action === 'approve', comment);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    log(`approval card of message ${id}: ${caller.upn} could not decide: ${error.detail}`);
    if (error.kind === 'forbidden') return reply(APPROVAL_STATUS.ownMessage, 403);
    const current = (await messageStore().get(tenantId, id)) ?? message;
    const first = current.lifecycle ? await getDecision(tenantId, id, current.lifecycle) : undefined;
    // The same approver's second press (a retried request) is their own decision, not someone else's.
    if (first && first.by.id === caller.userId) return reply(first.approve ? APPROVAL_STATUS.approved : APPROVAL_STATUS.rejected);
    return reply(first ? APPROVAL_STATUS.alreadyDecided : APPROVAL_STATUS.notPending);
  }
  return reply(action === 'approve' ? APPROVAL_STATUS.approved : APPROVAL_STATUS.rejected);
}

async function providerCard(
  client: df.DurableClient,
  context: InvocationContext,
  request: HttpRequest,
  bound: ApprovalCardToken,
  actor: ActionActor,
  originator: string,
): Promise<HttpResponseInit> {
  const { tenantId, id, recipient, action } = bound;
  const provider = await providerStore().get(tenantId, id);
  if (!provider) return status(404, ACTION_STATUS.unknownAction);
  const reply = async (cardActionStatus: string | undefined, code = 200) => {
    const now = (await providerStore().get(tenantId, id)) ?? provider;
    const card = currentProviderCard({ provider: now, originator, urls: providerCardUrls(tenantId, id, recipient) });
    return withCard(JSON.stringify(card), cardActionStatus, code);
  };
  if (action === 'refresh') return reply(undefined);
  const who = await presser(request, bound, actor, (await getTenantSettings(tenantId)).providerApproversGroup, 'Providers.Approve');
  if (who === 'no-comment') return status(400, APPROVAL_STATUS.commentRequired);
  if (who === 'not-a-decider') return reply(PROVIDER_STATUS.notApprover, 403);
  const { caller, comment } = who;
  try {
    await decideProvider(client, context, caller, id, action, comment);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    context.log(`provider card of ${id}: ${caller.upn} could not decide: ${error.detail}`);
    return reply(
      error.kind === 'forbidden' ? PROVIDER_STATUS.ownProvider : PROVIDER_STATUS.notPending,
      error.kind === 'forbidden' ? 403 : 200,
    );
  }
  return reply(action === 'approve' ? PROVIDER_STATUS.approved : PROVIDER_STATUS.rejected);
}

async function handle(
  client: df.DurableClient,
  context: InvocationContext,
  request: HttpRequest,
  token: string,
): Promise<HttpResponseInit> {
  let bound: ApprovalCardToken;
  try {
    bound = readApprovalCardToken(token);
  } catch {
    return status(404, ACTION_STATUS.unknownAction);
  }
  const herald = await ensureHeraldProvider(bound.tenantId);
  let actor: ActionActor;
  try {
    actor = await (validator ??= actionTokenValidator(now)).validate(bearerOf(request.headers), {
      tenantId: bound.tenantId,
      audiences: [herald.appIdUri, herald.entraAppId],
    });
  } catch (error) {
    if (!(error instanceof ActionTokenRejected)) throw error;
    context.log(`approval card of ${bound.subject} ${bound.id} refused: ${error.reason}`);
    return status(401, ACTION_STATUS.unverified);
  }
  if (actor.upn !== bound.recipient) return status(403, ACTION_STATUS.notRecipient);
  return bound.subject === 'provider'
    ? providerCard(client, context, request, bound, actor, herald.id)
    : messageCard(client, request, bound, actor, herald.id, (m) => context.log(m));
}

route({
  name: 'approvalCardAction',
  route: `${APPROVAL_CARD_ROUTE}/{token}`,
  tag: 'lifecycle',
  params: { token: 'The limited-purpose token of the button: one message, one approver, one action.' },
  method: 'POST',
  durable: true,
  operationId: 'approvalCardAction',
  summary: 'A button of an approval email’s card (Approve, Reject, or the refresh on open), for a message or a provider',
  description:
    'Called by Outlook with its Entra token (validated as the actionable relay does; aud Herald’s own provider registration). ' +
    'Approve and Reject decide as POST /api/messages/{id}/approve and …/reject do, as the directory person the token names, ' +
    'an approver when in the tenant’s approvers group. Answers with CARD-ACTION-STATUS and, with CARD-UPDATE-IN-BODY: true, ' +
    'the message’s card as it is now (who decided first; auto-rejected, withdrawn, cancelled). A provider’s card decides as ' +
    'POST /api/providers/{id}/approve and …/reject do, as a member of the tenant’s provider approvers group.',
  role: 'public',
  body: { content: { '*/*': {} }, description: 'Reject: {"comment": "…"} as the card wrote it; otherwise ignored.' },
  response: { status: 200, description: 'The card as the message is now.', schema: RefreshCard },
  problems: [],
  handler: async ({ client, request, params, context }) => handle(client, context, request, params.token),
});
