/**
 * What Herald's action endpoint does with one Action.Http request from Outlook, built from its ports so a
 * unit test runs it on fakes: the limited-purpose token names the send, the recipient and the provider URL;
 * the bearer token must prove that recipient acted (core/actionToken.ts); a repeated `Action-Request-Id`
 * is answered from what the first got and never relayed again; a button's token acts once (a second use
 * gets the first answer); the provider's answer comes back with its `CARD-ACTION-STATUS`, and a refresh
 * card is checked like any card and has its buttons sent through Herald again. Every refusal is a 4xx
 * with a `CARD-ACTION-STATUS` saying why, never the actor's name or the time.
 */
import { AdaptiveCard, httpActions, type HttpAction } from '../../core/actionableCard.js';
import { ACTION_MAX_AGE_MS, ACTION_STATUS, ActionTokenRejected, type ActionActor } from '../../core/actionToken.js';
import { actionUrlAllowed, type ProviderLookup } from '../../core/provider.js';
import type { ActionBinding } from '../../adapters/runtime/actionTokenValidator.js';
import type { ActionLink } from '../../adapters/runtime/actionLinks.js';
import type { RelayRequest, RelayResult } from '../../adapters/services/providerRelay.js';
import type * as actionableStore from '../../adapters/stores/actionableStore.js';
import type { ActionAnswer } from '../../adapters/stores/actionableStore.js';

export interface ActionRequest {
  token: string;
  method: string;
  headers: { get(name: string): string | null };
  body: string;
}

export interface ActionResponse {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

export interface ActionEndpointPorts {
  /** Throws for a token Herald did not make. */
  readToken(token: string): ActionLink;
  /** Herald's action URL for a new token bound like `link`. */
  linkFor(link: ActionLink): string;
  bearer(headers: ActionRequest['headers']): string | undefined;
  validator: { validate(token: string | undefined, binding: ActionBinding): Promise<ActionActor> };
  store: Pick<
    typeof actionableStore,
    'getSend' | 'claimRequest' | 'requestAnswer' | 'answerRequest' | 'claimToken' | 'releaseToken' | 'answerToken' | 'tokenAnswer'
  >;
  providers: ProviderLookup;
  relay(request: RelayRequest): Promise<RelayResult>;
  now(): number;
  log(message: string): void;
}

const answer = (status: number, cardActionStatus?: string, card?: string): ActionResponse => ({
  status,
  headers: {
    ...(cardActionStatus ? { 'card-action-status': cardActionStatus } : {}),
    ...(card !== undefined ? { 'card-update-in-body': 'true', 'content-type': 'application/json' } : {}),
  },
  ...(card !== undefined ? { body: card } : {}),
});
const replay = (a: ActionAnswer) => answer(a.status, a.cardActionStatus, a.card);

/** Outlook sends the request id as a UUID; anything else is not trusted as a key. */
const REQUEST_ID = /^[A-Za-z0-9-]{8,64}$/;

export function createActionEndpoint(ports: ActionEndpointPorts) {
  const { store } = ports;

  /** The provider's refresh card, made safe to show: a valid 1.0 card of the provider, its buttons through Herald. */
  function refreshedCard(text: string, providerId: string, targets: { targetUrls: string[] }, link: ActionLink): string | string[] {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return ['the refresh card is not JSON'];
    }
    const parsed = AdaptiveCard.safeParse(raw);
    if (!parsed.success) return ['the refresh card is not an AdaptiveCard'];
    const card = parsed.data;
    const actions = httpActions(card) as HttpAction[];
    const problems: string[] = [];
    if (card.originator && card.originator.toLowerCase() !== providerId.toLowerCase())
      problems.push('the refresh card names another originator');
    if (actions.length && card.version !== '1.0') problems.push(`the refresh card is version ${card.version}; Action.Http needs 1.0`);
    const outside = actions.find((a) => typeof a.url !== 'string' || !actionUrlAllowed(targets, a.url));
    if (outside) problems.push(`the refresh card's action URL ${String(outside.url)} is not under a target URL`);
    if (problems.length) return problems;
    const auto = card.autoInvokeAction;
    actions.forEach((action) => {
      action.url = ports.linkFor({ ...link, url: action.url, method: action.method, kind: action === auto ? 'refresh' : 'click' });
    });
    return JSON.stringify(card);
  }

  return async function handle(request: ActionRequest): Promise<ActionResponse> {
    let link: ActionLink;
    try {
      link = ports.readToken(request.token);
    } catch {
      return answer(404, ACTION_STATUS.unknownAction);
    }
    const send = await store.getSend(link.tenantId, link.sendId);
    const recipient = send?.recipients.find((r) => r.address.toLowerCase() === link.recipient);
    const provider = send && (await ports.providers.findByOriginator(send.providerId));
    if (!send || !recipient || !provider) return answer(404, ACTION_STATUS.unknownAction);
    if (request.method !== link.method) return answer(405, ACTION_STATUS.unknownAction);

    let actor: ActionActor;
    try {
      actor = await ports.validator.validate(ports.bearer(request.headers), {
        tenantId: recipient.tenantId,
        audiences: [provider.appIdUri, provider.entraAppId],
      });
    } catch (error) {
      if (!(error instanceof ActionTokenRejected)) throw error;
      ports.log(`action on send ${send.id} refused: ${error.reason}`);
      return answer(401, ACTION_STATUS.unverified);
    }
    if (actor.upn !== link.recipient) {
      ports.log(`action on send ${send.id} refused: ${actor.upn} is not the recipient ${link.recipient}`);
      return answer(403, ACTION_STATUS.notRecipient);
    }
    const now = ports.now();
    if (now - Date.parse(send.createdAt) > ACTION_MAX_AGE_MS) return answer(410, ACTION_STATUS.tooOld);
    if (provider.status !== 'Approved') return answer(403, ACTION_STATUS.unknownAction);

    const requestId = request.headers.get('action-request-id') ?? undefined;
    if (requestId !== undefined && !REQUEST_ID.test(requestId)) return answer(400, ACTION_STATUS.unverified);
    if (requestId && !(await store.claimRequest(requestId, now))) {
      const earlier = await store.requestAnswer(requestId);
      return earlier ? replay(earlier) : answer(409, 'This action is already being processed.');
    }
    const settle = async (a: ActionAnswer, claimed: boolean) => {
      if (requestId) await store.answerRequest(requestId, a);
      if (claimed) await store.answerToken(request.token, a);
      return replay(a);
    };

    // A button acts once; a refresh on open may come on every open.
    const single = link.kind === 'click';
    if (single && !(await store.claimToken(request.token, now))) {
      const earlier = await store.tokenAnswer(request.token);
      const a: ActionAnswer = earlier
        ? { ...earlier, cardActionStatus: 'This action was already taken.' }
        : { status: 409, cardActionStatus: 'This action is already being processed.', at: new Date(now).toISOString() };
      return settle(a, false);
    }

    const result = await ports.relay({
      url: link.url,
      method: link.method,
      body: request.body,
      ...(request.headers.get('content-type') ? { contentType: request.headers.get('content-type')! } : {}),
      ...(requestId ? { actionRequestId: requestId } : {}),
      ...(request.headers.get('card-correlation-id') ? { correlationId: request.headers.get('card-correlation-id')! } : {}),
      claims: {
        providerId: provider.id,
        tenantId: send.tenantId,
        sendId: send.id,
        recipient: link.recipient,
        actor: actor.upn,
        kind: link.kind,
      },
    });
    const at = new Date(ports.now()).toISOString();
    if (!result.answered) {
      ports.log(`action on send ${send.id} not relayed: ${result.reason}`);
      // Nothing happened at the provider that Herald knows of: the button may be tried again.
      if (single) await store.releaseToken(request.token);
      return settle({ status: 424, cardActionStatus: ACTION_STATUS.providerFailed, at }, false);
    }
    if (result.status >= 400)
      return settle({ status: result.status, cardActionStatus: result.cardActionStatus ?? ACTION_STATUS.providerRefused, at }, single);
    if (result.refresh === undefined)
      return settle({ status: 200, ...(result.cardActionStatus ? { cardActionStatus: result.cardActionStatus } : {}), at }, single);
    const card = refreshedCard(result.refresh, provider.id, provider, link);
    if (Array.isArray(card)) {
      ports.log(`action on send ${send.id}: refresh card dropped: ${card.join('; ')}`);
      return settle({ status: 424, cardActionStatus: 'The service answered with a card that cannot be shown.', at }, single);
    }
    return settle({ status: 200, ...(result.cardActionStatus ? { cardActionStatus: result.cardActionStatus } : {}), card, at }, single);
  };
}
