/**
 * Other tenants' consent to Global providers (docs/actionable.md): an admin (Providers.Approve) lists the
 * approved Global providers of other tenants with their tenant's consent, and grants or revokes it. Consent
 * is Consenting until the consenting tenant's propagation delay has passed, then Consented; only then do
 * the provider's cards show to that tenant's people.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { Caller } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import { providerStore } from '../../adapters/stores/providerStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { consentState, type Provider } from '../../core/provider.js';
import { actor } from './messageAccess.js';
import { Problem } from './problem.js';
import { providerNotFound } from './providersAccess.js';
import { route } from './routes.js';
import { ConsentList, ConsentView, PROVIDER_PARAMS } from './schemas/providerSchemas.js';

const viewFor = (caller: Caller, p: Provider): ConsentView => ({
  id: p.id,
  friendlyName: p.friendlyName,
  tenantId: p.tenantId,
  entraAppId: p.entraAppId,
  appIdUri: p.appIdUri,
  publisher: p.global?.publisher ?? '',
  consentState: consentState(p, caller.tenantId, new Date(now())),
});

/** An approved Global provider of another tenant: the only kind a tenant consents to. */
async function consentable(caller: Caller, id: string): Promise<Provider> {
  const p = await providerStore().findByOriginator(id);
  if (!p || p.scope !== 'Global' || p.status !== 'Approved') throw providerNotFound(id);
  if (p.tenantId.toLowerCase() === caller.tenantId.toLowerCase())
    throw new Problem('status-conflict', 'a provider’s own tenant needs no consent: its approval covers it');
  return p;
}

async function grant(caller: Caller, id: string): Promise<HttpResponseInit> {
  const p = await consentable(caller, id);
  const { providerPropagationSeconds } = await getTenantSettings(caller.tenantId);
  const time = now();
  const consent = {
    state: 'Consenting' as const,
    by: actor(caller),
    at: new Date(time).toISOString(),
    effectiveAt: new Date(time + providerPropagationSeconds * 1000).toISOString(),
  };
  return { jsonBody: viewFor(caller, await providerStore().setConsent(p.tenantId, p.id, caller.tenantId, consent, actor(caller))) };
}

async function revoke(caller: Caller, id: string): Promise<HttpResponseInit> {
  const p = await consentable(caller, id);
  if (consentState(p, caller.tenantId, new Date(now())) === 'NotConsented')
    throw new Problem('status-conflict', 'your tenant has not consented to this provider');
  return { jsonBody: viewFor(caller, await providerStore().setConsent(p.tenantId, p.id, caller.tenantId, undefined, actor(caller))) };
}

route({
  name: 'providerConsents',
  route: 'providers/consent',
  tag: 'providers',
  method: 'GET',
  operationId: 'listProviderConsents',
  summary: 'Other tenants’ approved Global providers, with your tenant’s consent to each',
  role: 'provider.admin',
  response: { status: 200, description: 'The providers and consent states.', schema: ConsentList },
  problems: [],
  handler: async ({ caller }) => {
    const others = (await providerStore().global('Approved')).filter((p) => p.tenantId.toLowerCase() !== caller.tenantId.toLowerCase());
    return { jsonBody: { items: others.map((p) => viewFor(caller, p)) } };
  },
});

route({
  name: 'providerConsent',
  route: 'providers/{id}/consent',
  tag: 'providers',
  params: PROVIDER_PARAMS,
  methods: (op) => ({
    POST: op({
      operationId: 'consentToProvider',
      summary: 'Consent, on behalf of your tenant, to another tenant’s approved Global provider',
      description: 'NotConsented → Consenting, and Consented once your tenant’s `providerPropagationSeconds` have passed.',
      role: 'provider.admin',
      response: { status: 200, description: 'Your tenant’s consent.', schema: ConsentView },
      problems: ['not-found', 'status-conflict'],
      handler: async ({ caller, params }) => grant(caller, params.id),
    }),
    DELETE: op({
      operationId: 'revokeProviderConsent',
      summary: 'Revoke your tenant’s consent',
      role: 'provider.admin',
      response: { status: 200, description: 'Your tenant’s consent, NotConsented.', schema: ConsentView },
      problems: ['not-found', 'status-conflict'],
      handler: async ({ caller, params }) => revoke(caller, params.id),
    }),
  }),
});
