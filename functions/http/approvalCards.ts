/**
 * `POST /api/approval-cards/{token}`: what the buttons of Herald's approval email call (jobs/approvalCard.ts),
 * anonymous at the HTTP layer like the relay's action endpoint: the token in the path (bound to the message,
 * the approver and the action) and Outlook's Entra token are the credentials, checked as the relay checks
 * them (adapters/runtime/actionTokenValidator.ts; `aud` Herald's own provider registration in the tenant).
 * The token's user is looked up in the directory and decides through the same path as the API
 * (messageActions.ts `decide`: the approver role from the tenant's approvers group, never on their own
 * message, one decision per submission). Every answer is Outlook's reply protocol: a `CARD-ACTION-STATUS`
 * and, when there is a card to show, `CARD-UPDATE-IN-BODY: true` with the message's card as it is now.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type * as df from 'durable-functions';
import type { Caller } from '../../adapters/runtime/auth.js';
import { actionTokenValidator, bearerOf } from '../../adapters/runtime/actionTokenValidator.js';
import { now } from '../../adapters/runtime/clock.js';
import { directory } from '../../adapters/services/graphDirectory.js';
import { getDecision } from '../../adapters/stores/decisionStore.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { APPROVAL_STATUS, currentCard, rejectComment, type CardDecision } from '../../core/approvalCard.js';
import { ACTION_MAX_AGE_MS, ACTION_STATUS, ActionTokenRejected } from '../../core/actionToken.js';
import type { MessageRecord } from '../../core/records.js';
import { APPROVAL_CARD_ROUTE, approvalCardUrls, ensureHeraldProvider, readApprovalCardToken } from '../../jobs/approvalCardWiring.js';
import { decide } from './messageActions.js';
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

async function handle(client: df.DurableClient, request: HttpRequest, token: string, log: (m: string) => void): Promise<HttpResponseInit> {
  let bound: ReturnType<typeof readApprovalCardToken>;
  try {
    bound = readApprovalCardToken(token);
  } catch {
    return status(404, ACTION_STATUS.unknownAction);
  }
  const { tenantId, messageId, recipient, action } = bound;
  const message = await messageStore().get(tenantId, messageId);
  if (!message) return status(404, ACTION_STATUS.unknownAction);
  const provider = await ensureHeraldProvider(tenantId);

  let actor;
  try {
    actor = await (validator ??= actionTokenValidator(now)).validate(bearerOf(request.headers), {
      tenantId,
      audiences: [provider.appIdUri, provider.entraAppId],
    });
  } catch (error) {
    if (!(error instanceof ActionTokenRejected)) throw error;
    log(`approval card of message ${messageId} refused: ${error.reason}`);
    return status(401, ACTION_STATUS.unverified);
  }
  if (actor.upn !== recipient) return status(403, ACTION_STATUS.notRecipient);
  if (now() - Date.parse(message.updatedAt) > ACTION_MAX_AGE_MS) return status(410, ACTION_STATUS.tooOld);

  const reply = async (cardActionStatus: string | undefined, code = 200): Promise<HttpResponseInit> => {
    const fresh = (await messageStore().get(tenantId, messageId)) ?? message;
    return {
      status: code,
      headers: {
        ...(cardActionStatus ? { 'card-action-status': cardActionStatus } : {}),
        'card-update-in-body': 'true',
        'content-type': 'application/json',
      },
      body: await cardNow(tenantId, fresh, recipient, provider.id),
    };
  };
  // On open: the card as the message is now, whatever it was when the mail went.
  if (action === 'refresh') return reply(undefined);

  let comment: string | undefined;
  if (action === 'reject') {
    const typed = rejectComment(await request.text());
    if (!typed.ok) return status(400, APPROVAL_STATUS.commentRequired);
    comment = typed.comment;
  }
  // The person the token names, as the directory knows them: their id is who decided, their groups their role.
  const person = await directory().user(tenantId, actor.oid ?? actor.upn);
  const known = person && [person.userPrincipalName, person.mail].some((a) => a?.toLowerCase() === actor.upn);
  if (!person || !known) return status(403, APPROVAL_STATUS.notApprover);
  const { approversGroup } = await getTenantSettings(tenantId);
  const approver = approversGroup !== undefined && (await directory().memberOf(tenantId, person.id)).includes(approversGroup.toLowerCase());
  const caller: Caller = {
    tenantId,
    userId: person.id,
    upn: person.userPrincipalName,
    name: person.displayName ?? person.userPrincipalName,
    roles: approver ? ['Messages.Approve'] : [],
  };
  if (!approver) return reply(APPROVAL_STATUS.notApprover, 403);
  try {
    await decide(client, caller, messageId, action === 'approve', comment);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    log(`approval card of message ${messageId}: ${caller.upn} could not decide: ${error.detail}`);
    if (error.kind === 'forbidden') return reply(APPROVAL_STATUS.ownMessage, 403);
    const current = (await messageStore().get(tenantId, messageId)) ?? message;
    const first = current.lifecycle ? await getDecision(tenantId, messageId, current.lifecycle) : undefined;
    // The same approver's second press (a retried request) is their own decision, not someone else's.
    if (first && first.by.id === caller.userId) return reply(first.approve ? APPROVAL_STATUS.approved : APPROVAL_STATUS.rejected);
    return reply(first ? APPROVAL_STATUS.alreadyDecided : APPROVAL_STATUS.notPending);
  }
  return reply(action === 'approve' ? APPROVAL_STATUS.approved : APPROVAL_STATUS.rejected);
}

route({
  name: 'approvalCardAction',
  route: `${APPROVAL_CARD_ROUTE}/{token}`,
  tag: 'lifecycle',
  params: { token: 'The limited-purpose token of the button: one message, one approver, one action.' },
  method: 'POST',
  durable: true,
  operationId: 'approvalCardAction',
  summary: 'A button of an approval email’s card (Approve, Reject, or the refresh on open)',
  description:
    'Called by Outlook with its Entra token (validated as the actionable relay does; aud Herald’s own provider registration). ' +
    'Approve and Reject decide as POST /api/messages/{id}/approve and …/reject do, as the directory person the token names, ' +
    'an approver when in the tenant’s approvers group. Answers with CARD-ACTION-STATUS and, with CARD-UPDATE-IN-BODY: true, ' +
    'the message’s card as it is now (who decided first; auto-rejected, withdrawn, cancelled).',
  role: 'public',
  body: { content: { '*/*': {} }, description: 'Reject: {"comment": "…"} as the card wrote it; otherwise ignored.' },
  response: { status: 200, description: 'The card as the message is now.', schema: RefreshCard },
  problems: [],
  handler: async ({ client, request, params, context }) => handle(client, request, params.token, (m) => context.log(m)),
});
