/**
 * Deciding on providers (docs/actionable.md): an Organization submission is approved or rejected by one of
 * its tenant's Providers.Approve holders; a Global one by the platform's reviewers (Providers.Review in the
 * operator's tenant, PLATFORM_TENANT_ID), who see every tenant's Global submissions in their queue. An
 * Approved provider is suspended by its tenant's admins (or, for Global, the reviewers). Nobody decides on
 * a provider they submitted. An approval takes effect after the provider's tenant's propagation delay.
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import type * as df from 'durable-functions';
import type { Caller } from '../../adapters/runtime/auth.js';
import { providerStore } from '../../adapters/stores/providerStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import type { Provider, ProviderTransition } from '../../core/provider.js';
import { endProviderApproval } from '../../workflows/providerApprovalClient.js';
import { actor } from './messageAccess.js';
import { Problem } from './problem.js';
import { requireProviderTransition } from './providers.js';
import { isPlatformReviewer, providerNotFound, providerView } from './providersAccess.js';
import { route } from './routes.js';
import { PROVIDER_PARAMS, ProviderComment, ProviderList, ProviderRequiredComment, providerResponse } from './schemas/providerSchemas.js';

/**
 * The provider as this caller may decide on it: their own tenant's, or, for a platform reviewer, any
 * tenant's Global provider past Draft. Anything else is 404, as its existence is not theirs to know.
 */
async function decidable(caller: Caller, id: string): Promise<Provider> {
  const own = await providerStore().get(caller.tenantId, id.toLowerCase());
  if (own) return own;
  if (isPlatformReviewer(caller)) {
    const found = await providerStore().findByOriginator(id);
    if (found && found.scope === 'Global' && found.status !== 'Draft') return found;
  }
  throw providerNotFound(id);
}

/** Who decides this provider: the reviewers for Global, else its tenant's admins; never its submitter. */
function requireDecider(caller: Caller, p: Provider, t: ProviderTransition) {
  if (p.scope === 'Global') {
    // A Global approval reaches every tenant: only the platform's reviewers give it; its own admins may still suspend.
    const ownAdmin = t === 'suspend' && caller.tenantId === p.tenantId && caller.roles.includes('Providers.Approve');
    if (!isPlatformReviewer(caller) && !ownAdmin)
      throw new Problem(
        'forbidden',
        'a Global provider is decided by the platform’s reviewers (Providers.Review in the operator’s tenant)',
      );
  } else if (p.scope === 'TestUsers' && t !== 'suspend') {
    throw new Problem('status-conflict', 'a Test Users provider is approved automatically when it is submitted');
  } else if (caller.tenantId !== p.tenantId || !caller.roles.includes('Providers.Approve')) {
    throw new Problem('forbidden', 'an Organization provider is decided by its tenant’s admins (Providers.Approve)');
  }
  if (t !== 'suspend' && (p.submittedBy?.id === caller.userId || p.createdBy.id === caller.userId))
    throw new Problem('forbidden', 'nobody decides on a provider they registered or submitted');
}

export async function decide(
  client: df.DurableClient,
  context: InvocationContext,
  caller: Caller,
  id: string,
  t: 'approve' | 'reject' | 'suspend',
  comment: string | undefined,
): Promise<HttpResponseInit> {
  const current = await decidable(caller, id);
  requireDecider(caller, current, t);
  requireProviderTransition(current, t);
  const { providerPropagationSeconds } = await getTenantSettings(current.tenantId);
  const result = await providerStore().transition(current.tenantId, current.id, {
    transition: t,
    by: actor(caller),
    ...(comment ? { comment } : {}),
    ...(t === 'approve' ? { propagationMs: providerPropagationSeconds * 1000 } : {}),
  });
  if (!result.ok) throw new Problem('status-conflict', result.reason);
  if (t !== 'suspend') await endProviderApproval(client, result.provider, (line) => context.log(line));
  return { headers: { etag: result.provider.etag }, jsonBody: providerView(result.provider) };
}

const decision = { tag: 'providers', params: PROVIDER_PARAMS, method: 'POST', durable: true } as const;

route({
  name: 'providerApprove',
  route: 'providers/{id}/approve',
  ...decision,
  operationId: 'approveProvider',
  summary: 'Approve a Submitted provider',
  description:
    'Organization: one of the tenant’s Providers.Approve holders. Global: a platform reviewer (Providers.Review in the operator’s ' +
    'tenant), judging against the registration criteria. Not the provider’s own submitter (403). Effective after the provider’s ' +
    'tenant’s `providerPropagationSeconds`.',
  role: 'provider.decide',
  body: ProviderComment,
  response: providerResponse(200, 'The provider, Approved.'),
  problems: ['not-found', 'status-conflict'],
  handler: async ({ client, context, caller, params, body }) =>
    decide(client, context, caller, params.id, 'approve', (await body()).comment),
});

route({
  name: 'providerReject',
  route: 'providers/{id}/reject',
  ...decision,
  operationId: 'rejectProvider',
  summary: 'Reject a Submitted provider, saying why',
  description: 'Who may is as for approve. The comment is required and kept on the provider and in its audit trail.',
  role: 'provider.decide',
  body: ProviderRequiredComment,
  response: providerResponse(200, 'The provider, Rejected.'),
  problems: ['not-found', 'status-conflict'],
  handler: async ({ client, context, caller, params, body }) =>
    decide(client, context, caller, params.id, 'reject', (await body()).comment),
});

route({
  name: 'providerSuspend',
  route: 'providers/{id}/suspend',
  ...decision,
  operationId: 'suspendProvider',
  summary: 'Suspend an Approved provider: its cards stop showing',
  description: 'The provider’s tenant’s Providers.Approve holders, or for a Global provider also the platform’s reviewers.',
  role: 'provider.decide',
  body: ProviderRequiredComment,
  response: providerResponse(200, 'The provider, Suspended.'),
  problems: ['not-found', 'status-conflict'],
  handler: async ({ client, context, caller, params, body }) =>
    decide(client, context, caller, params.id, 'suspend', (await body()).comment),
});

route({
  name: 'providerReviews',
  route: 'providers/reviews',
  tag: 'providers',
  method: 'GET',
  operationId: 'listProviderReviews',
  summary: 'Global submissions of every tenant waiting for the platform’s reviewers',
  description: 'Only for Providers.Review holders of the operator’s tenant (PLATFORM_TENANT_ID).',
  role: 'provider.review',
  response: { status: 200, description: 'The Submitted Global providers, latest first.', schema: ProviderList },
  problems: [],
  handler: async ({ caller }) => {
    if (!isPlatformReviewer(caller))
      throw new Problem('forbidden', 'only the platform’s reviewers (the operator’s tenant) review Global providers');
    return { jsonBody: { items: (await providerStore().global('Submitted')).map(providerView) } };
  },
});
