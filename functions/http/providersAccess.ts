/**
 * Reaching a provider on behalf of a caller, for every route under `/api/providers`: one of another tenant
 * answers 404, exactly as one that does not exist (the platform's reviewers and other tenants' admins reach
 * Global providers through their own routes); a change names the version it changes; fields are checked
 * against the status machine's rules and the tenant's verified domains before anything is written.
 */
import type { HttpRequest } from '@azure/functions';
import type { Caller } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import { platformTenantId } from '../../adapters/runtime/settings.js';
import { verifiedDomains } from '../../adapters/services/graphOrganization.js';
import { providerStore } from '../../adapters/stores/providerStore.js';
import { consentState, providerFieldProblems, splitTestUsers, type Provider, type ProviderFields } from '../../core/provider.js';
import { Problem } from './problem.js';
import type { ProviderInput, ProviderView } from './schemas/providerSchemas.js';

export const providerView = (p: Provider): ProviderView => {
  const at = new Date(now());
  return {
    id: p.id,
    tenantId: p.tenantId,
    friendlyName: p.friendlyName,
    senderAddresses: p.senderAddresses,
    targetUrls: p.targetUrls,
    ...(p.publicKey !== undefined ? { publicKey: p.publicKey } : {}),
    entraAppId: p.entraAppId,
    appIdUri: p.appIdUri,
    scope: p.scope,
    testUsers: p.testUsers.join(';'),
    notify: p.notify,
    ...(p.global ? { global: p.global } : {}),
    powerAutomate: p.powerAutomate,
    status: p.status,
    effective: p.status === 'Approved' && p.effectiveAt !== undefined && Date.parse(p.effectiveAt) <= at.getTime(),
    createdBy: p.createdBy,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    ...(p.submittedAt ? { submittedAt: p.submittedAt } : {}),
    ...(p.approvedBy ? { approvedBy: p.approvedBy } : {}),
    ...(p.approvedAt ? { approvedAt: p.approvedAt } : {}),
    ...(p.effectiveAt ? { effectiveAt: p.effectiveAt } : {}),
    ...(p.comment ? { comment: p.comment } : {}),
    ...(p.approval ? { approval: p.approval } : {}),
    consent: Object.entries(p.consent).map(([tenantId, c]) => ({ tenantId, state: consentState(p, tenantId, at), at: c.at, by: c.by })),
  };
};

export const providerNotFound = (id: string) => new Problem('not-found', `there is no provider ${id}`);

export async function existingProvider(caller: Caller, id: string): Promise<Provider> {
  const provider = await providerStore().get(caller.tenantId, id.toLowerCase());
  if (!provider) throw providerNotFound(id);
  return provider;
}

/** A platform reviewer: Providers.Review held in the operator's own tenant (PLATFORM_TENANT_ID). */
export const isPlatformReviewer = (caller: Caller) =>
  caller.roles.includes('Providers.Review') && caller.tenantId.toLowerCase() === platformTenantId();

/** RFC 9110 §13.1.1: If-Match names the version being changed; `*` means whatever is there. */
export function checkProviderIfMatch(request: HttpRequest, provider: Provider) {
  const ifMatch = request.headers.get('if-match');
  if (ifMatch === null)
    throw new Problem(
      'precondition-required',
      'send the ETag you read the provider with as If-Match, so no one else’s change is overwritten',
    );
  if (!ifMatch.split(',').some((tag) => tag.trim() === '*' || tag.trim() === provider.etag))
    throw new Problem('precondition-failed', 'the provider has changed since you read it: GET it again and reapply your change', [], {
      etag: provider.etag,
    });
}

export const fieldsOf = (input: ProviderInput): ProviderFields => ({
  friendlyName: input.friendlyName,
  senderAddresses: input.senderAddresses,
  targetUrls: input.targetUrls,
  ...(input.publicKey !== undefined ? { publicKey: input.publicKey } : {}),
  entraAppId: input.entraAppId.toLowerCase(),
  scope: input.scope,
  testUsers: splitTestUsers(input.testUsers),
  notify: input.notify.map((a) => a.toLowerCase()),
  ...(input.global ? { global: input.global } : {}),
  powerAutomate: input.powerAutomate,
});

/** The API's shape of a provider's fields (test users as one `;`-separated text), to merge a patch over. */
export const inputOf = (f: ProviderFields): Record<string, unknown> => ({
  friendlyName: f.friendlyName,
  senderAddresses: f.senderAddresses,
  targetUrls: f.targetUrls,
  ...(f.publicKey !== undefined ? { publicKey: f.publicKey } : {}),
  entraAppId: f.entraAppId,
  scope: f.scope,
  testUsers: f.testUsers.join(';'),
  notify: f.notify,
  ...(f.global ? { global: f.global } : {}),
  powerAutomate: f.powerAutomate,
});

/** Every rule the fields break, as one 400 naming each field; the tenant's domains come from its directory. */
export async function checkProviderFields(tenantId: string, fields: ProviderFields): Promise<void> {
  const problems = providerFieldProblems(fields, await verifiedDomains(tenantId));
  if (problems.length)
    throw new Problem(
      'validation',
      problems.map((p) => `${p.field} ${p.message}`).join('; '),
      problems.map((p) => ({ path: p.field, message: p.message })),
    );
}
