/**
 * `POST /api/actionable/messages`: an approved provider sends an actionable email through Herald,
 * authenticated as its Entra app (a client-credentials token whose `azp`/`appid` is the provider's
 * registered Entra application). Herald runs the card gate for every recipient (core/actionableCard.ts),
 * keeps what it decided — `GET /api/actionable/messages/{id}` shows it per recipient, as Outlook's
 * debugger does — and hands the mail to the email channel: one batch of the named recipients on
 * `deliver-actionable`, paced with the tenant's email quota, sent exactly once per recipient. A recipient
 * whose card failed a check still gets the HTML body.
 */
import { decodeJwt } from 'jose';
import { gateCard, type GateRecipient } from '../../core/actionableCard.js';
import { DELIVER_ACTIONABLE, type BatchRef } from '../../core/hops.js';
import { effectiveness, type Provider } from '../../core/provider.js';
import type { Caller } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import { deliveryRow, startOccurrence, updateOccurrence, writeBatch } from '../../adapters/stores/deliveryStore.js';
import { createSend, getSend, getSendContent, type ActionableRecipient } from '../../adapters/stores/actionableStore.js';
import { providerStore } from '../../adapters/stores/providerStore.js';
import { enqueue } from '../../adapters/stores/storageClients.js';
import type { HttpRequest } from '@azure/functions';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { ActionableSendAccepted, ActionableSendInput, ActionableSendView } from './schemas/actionableSchemas.js';

/** The calling application: the verified token's `azp` (v2) or `appid` (v1). */
function callingApp(request: HttpRequest): string {
  const token = (request.headers.get('authorization') ?? '').replace(/^Bearer +/i, '').trim();
  const claims = decodeJwt(token);
  const app = typeof claims.azp === 'string' ? claims.azp : typeof claims.appid === 'string' ? claims.appid : '';
  if (!app) throw new Problem('forbidden', 'the token names no application (azp or appid): send as the provider’s Entra app');
  return app.toLowerCase();
}

/** The provider the caller sends as: it must exist in the caller's tenant and be registered for the calling app. */
async function providerOf(caller: Caller, request: HttpRequest, providerId: string): Promise<Provider> {
  const provider = await providerStore().findByOriginator(providerId);
  if (!provider || provider.tenantId.toLowerCase() !== caller.tenantId.toLowerCase())
    throw new Problem('not-found', `there is no provider ${providerId}`, [
      { path: 'providerId', message: 'is not a provider of this tenant' },
    ]);
  if (provider.entraAppId.toLowerCase() !== callingApp(request))
    throw new Problem('forbidden', `only the provider's Entra app (${provider.entraAppId}) may send as provider ${provider.id}`);
  return provider;
}

const refOf = (tenantId: string, id: string): BatchRef => ({ tenantId, messageId: id, occurrence: 0, batch: 0 });

route({
  name: 'actionableSends',
  route: 'actionable/messages',
  tag: 'actionable',
  method: 'POST',
  operationId: 'sendActionableEmail',
  summary: 'Send an actionable email as a provider',
  description:
    "Called with the provider's Entra app token (client credentials). The card gate runs for each recipient in Outlook's order: " +
    "card found and parsed; originator is the provider; the provider approved and effective for the recipient's scope; the sender one of " +
    'its addresses; a signed card verified against its registered key; version 1.0 for Action.Http; every action URL under a target URL; ' +
    'To or CC. A failed check strips the card for that recipient and the HTML body still goes. Cards that pass go with every Action.Http ' +
    "pointing at Herald's action endpoint, bound to the recipient. Answers 202 with each recipient's verdict.",
  role: 'device',
  body: ActionableSendInput,
  response: {
    status: 202,
    description: 'Accepted for delivery; the card gate’s verdict per recipient.',
    schema: ActionableSendAccepted,
    location: 'created',
  },
  problems: ['not-found', 'forbidden'],
  handler: async ({ caller, request, body }) => {
    const input = await body();
    const provider = await providerOf(caller, request, input.providerId);
    const at = now();
    const recipients: ActionableRecipient[] = (['to', 'cc', 'bcc'] as const).flatMap((kind) =>
      input[kind].map((r) => ({ address: r.address, kind, tenantId: r.tenantId ?? caller.tenantId, ...(r.name ? { name: r.name } : {}) })),
    );
    const tenantOf = new Map(recipients.map((r) => [r.address, r.tenantId]));
    const gate = await gateCard({
      html: input.html,
      sender: input.sender,
      recipients: recipients.map((r): GateRecipient => ({ address: r.address, kind: r.kind })),
      provider,
      notEffectiveFor: (r) => {
        const e = effectiveness(provider, { upn: r.address, tenantId: tenantOf.get(r.address)! }, new Date(at));
        return e.ok ? undefined : e.reason;
      },
      now: at,
    });
    const send = await createSend(
      {
        tenantId: caller.tenantId,
        providerId: provider.id,
        appId: provider.entraAppId,
        sender: input.sender,
        subject: input.subject,
        recipients,
      },
      { html: input.html, ...(gate.card ? { card: gate.card } : {}), verdicts: gate.verdicts },
      at,
    );
    const ref = refOf(caller.tenantId, send.id);
    await startOccurrence(caller.tenantId, send.id, 0, 'actionable', at);
    await writeBatch(
      ref,
      'actionable',
      recipients.map((r) => ({ userId: r.address, upn: r.address, mail: r.address, ...(r.name ? { name: r.name } : {}) })),
      at,
    );
    await updateOccurrence(caller.tenantId, send.id, 0, {
      state: 'resolved',
      resolvedAt: new Date(at).toISOString(),
      recipients: recipients.length,
      batches: 1,
    });
    await enqueue(DELIVER_ACTIONABLE, ref);
    return {
      status: 202,
      headers: { location: `/api/actionable/messages/${send.id}`, 'content-type': 'application/json' },
      jsonBody: { id: send.id, recipients: gate.verdicts } satisfies ActionableSendAccepted,
    };
  },
});

route({
  name: 'actionableSend',
  route: 'actionable/messages/{id}',
  tag: 'actionable',
  params: { id: 'The id the send answered with.' },
  method: 'GET',
  operationId: 'getActionableEmail',
  summary: 'What happened to an actionable email, per recipient',
  description:
    'The debugger view: for each recipient whether the card went (CardEnabledForMessage), the check that removed it, the checks that ' +
    'passed, and the delivery status. For the provider app that sent it, or a Tenant.Admin of its tenant.',
  role: 'device',
  response: { status: 200, description: 'The send and each recipient’s verdict and delivery.', schema: ActionableSendView },
  problems: ['not-found', 'forbidden'],
  handler: async ({ caller, request, params }) => {
    const send = await getSend(caller.tenantId, params.id);
    const notFound = new Problem('not-found', `there is no actionable email ${params.id}`);
    if (!send) throw notFound;
    if (!caller.roles.includes('Tenant.Admin') && callingApp(request) !== send.appId.toLowerCase()) throw notFound;
    const content = await getSendContent(caller.tenantId, send.id);
    const ref = refOf(caller.tenantId, send.id);
    const recipients = await Promise.all(
      (content?.verdicts ?? []).map(async (v) => {
        const row = await deliveryRow(ref, v.address);
        return { ...v, delivery: row?.status ?? 'pending', ...(row?.sentAt ? { sentAt: row.sentAt } : {}) };
      }),
    );
    const view: ActionableSendView = {
      id: send.id,
      providerId: send.providerId,
      sender: send.sender,
      subject: send.subject,
      createdAt: send.createdAt,
      recipients,
    };
    return { status: 200, jsonBody: view };
  },
});
