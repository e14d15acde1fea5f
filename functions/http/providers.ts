/**
 * The actionable-message provider registry, `/api/providers` (docs/actionable.md): owners (Providers.Write)
 * register, read, change and submit their tenant's providers and withdraw a submission; the tenant's admins
 * export the approved ones. Every change leaves an audit row. Deciding is `providersDecisions.ts`, other
 * tenants' consent `providersConsent.ts`.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type * as df from 'durable-functions';
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { exportCsv } from '../../adapters/stores/exportStore.js';
import { providerStore, StaleProvider } from '../../adapters/stores/providerStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import {
  isProviderEditable,
  providerSubmitProblems,
  providerTransition,
  type Provider,
  type ProviderTransition,
} from '../../core/provider.js';
import { HERALD } from '../../core/records.js';
import { endProviderApproval, providerApprovalId, startProviderApproval } from '../../workflows/providerApprovalClient.js';
import { actor } from './messageAccess.js';
import { Problem, validationProblem } from './problem.js';
import {
  checkProviderFields,
  checkProviderIfMatch,
  existingProvider,
  fieldsOf,
  inputOf,
  providerNotFound,
  providerView,
} from './providersAccess.js';
import { route } from './routes.js';
import { ExportLink } from './schemas/reportSchemas.js';
import {
  PROVIDER_PARAMS,
  ProviderAuditTrail,
  ProviderInput,
  ProviderList,
  ProviderListParams,
  ProviderPatch,
  providerResponse,
} from './schemas/providerSchemas.js';

const providerUrl = (request: HttpRequest, id: string) => new URL(`/api/providers/${id}`, request.url).toString();
const answer = (p: Provider, status = 200): HttpResponseInit => ({ status, headers: { etag: p.etag }, jsonBody: providerView(p) });

/** The status machine's answer before anything changes: 409 with its reason. */
export function requireProviderTransition(p: Provider, t: ProviderTransition) {
  const check = providerTransition(p.status, t);
  if (!check.ok) throw new Problem('status-conflict', check.reason);
}

async function create(request: HttpRequest, caller: Caller, input: ProviderInput): Promise<HttpResponseInit> {
  const fields = fieldsOf(input);
  await checkProviderFields(caller.tenantId, fields);
  const provider = await providerStore().create(caller.tenantId, fields, actor(caller));
  return { ...answer(provider, 201), headers: { etag: provider.etag, location: providerUrl(request, provider.id) } };
}

async function modify(request: HttpRequest, caller: Caller, id: string, patch: Record<string, unknown>): Promise<HttpResponseInit> {
  const current = await existingProvider(caller, id);
  checkProviderIfMatch(request, current);
  if (!isProviderEditable(current.status))
    throw new Problem('status-conflict', `only a Draft provider can be changed; the provider is ${current.status} (withdraw it first)`);
  const merged: Record<string, unknown> = { ...inputOf(current), ...patch };
  for (const [field, value] of Object.entries(patch)) if (value === null) delete merged[field];
  const parsed = ProviderInput.safeParse(merged);
  if (!parsed.success) throw validationProblem(parsed.error.issues);
  const fields = fieldsOf(parsed.data);
  await checkProviderFields(caller.tenantId, fields);
  const before = inputOf(current);
  const after = inputOf(fields);
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]),
  );
  if (changed.length === 0) return answer(current);
  try {
    return answer(await providerStore().modify(caller.tenantId, current, fields, actor(caller), changed));
  } catch (error) {
    if (error instanceof StaleProvider)
      throw new Problem('precondition-failed', 'the provider changed while your change was being saved: GET it again', [], {
        etag: current.etag,
      });
    throw error;
  }
}

async function submit(client: df.DurableClient, caller: Caller, id: string): Promise<HttpResponseInit> {
  const current = await existingProvider(caller, id);
  requireProviderTransition(current, 'submit');
  await checkProviderFields(caller.tenantId, current);
  const problems = providerSubmitProblems(current);
  if (problems.length)
    throw new Problem(
      'validation',
      problems.map((p) => `${p.field} ${p.message}`).join('; '),
      problems.map((p) => ({ path: p.field, message: p.message })),
    );
  const store = providerStore();
  const by = actor(caller);
  const approval = current.scope === 'Organization' ? providerApprovalId(caller.tenantId, current.id, current.version) : undefined;
  const submitted = await store.transition(caller.tenantId, current.id, { transition: 'submit', by, ...(approval ? { approval } : {}) });
  if (!submitted.ok) throw new Problem('status-conflict', submitted.reason);
  if (approval) await startProviderApproval(client, submitted.provider, approval, by);
  if (current.scope !== 'TestUsers') return answer(submitted.provider);
  // Test Users is self-service: approved at once, by Herald, effective after the tenant's propagation delay.
  const { providerPropagationSeconds } = await getTenantSettings(caller.tenantId);
  const approved = await store.transition(caller.tenantId, current.id, {
    transition: 'approve',
    by: HERALD,
    comment: 'Test Users submissions are approved automatically',
    propagationMs: providerPropagationSeconds * 1000,
  });
  if (!approved.ok) throw new Problem('status-conflict', approved.reason);
  return answer(approved.provider);
}

async function withdraw(client: df.DurableClient, context: InvocationContext, caller: Caller, id: string): Promise<HttpResponseInit> {
  const current = await existingProvider(caller, id);
  requireProviderTransition(current, 'withdraw');
  const result = await providerStore().transition(caller.tenantId, current.id, { transition: 'withdraw', by: actor(caller) });
  if (!result.ok) throw new Problem('status-conflict', result.reason);
  await endProviderApproval(client, result.provider, (line) => context.log(line));
  return answer(result.provider);
}

async function audit(caller: Caller, id: string): Promise<HttpResponseInit> {
  const entries = await providerStore().audit(caller.tenantId, id.toLowerCase());
  if (entries.length === 0) throw providerNotFound(id);
  const body: z.output<typeof ProviderAuditTrail> = { items: entries };
  return { jsonBody: body };
}

const EXPORT_COLUMNS = [
  'providerId',
  'friendlyName',
  'scope',
  'status',
  'tokenType',
  'senderAddresses',
  'targetUrls',
  'entraAppId',
  'appIdUri',
  'approvedBy',
  'approvedAt',
  'effectiveAt',
];

/** "Export Approved Providers": each with its token type, which is Entra for every provider Herald registers. */
async function exportApproved(caller: Caller): Promise<HttpResponseInit> {
  const approved = await providerStore().list(caller.tenantId, 'Approved');
  const rows = (async function* () {
    for (const p of approved)
      yield [
        p.id,
        p.friendlyName,
        p.scope,
        p.status,
        'Entra',
        p.senderAddresses.join(';'),
        p.targetUrls.join(';'),
        p.entraAppId,
        p.appIdUri,
        p.approvedBy?.upn,
        p.approvedAt,
        p.effectiveAt,
      ];
  })();
  const file = await exportCsv(caller.tenantId, 'approved-providers.csv', EXPORT_COLUMNS, rows);
  const body: z.output<typeof ExportLink> = file;
  return { status: 303, headers: { location: file.url, 'cache-control': 'private, no-store' }, jsonBody: body };
}

route({
  name: 'providers',
  route: 'providers',
  tag: 'providers',
  methods: (op) => ({
    GET: op({
      operationId: 'listProviders',
      summary: 'The tenant’s actionable-message providers, latest changes first',
      role: 'provider.read',
      query: ProviderListParams,
      response: { status: 200, description: 'The providers.', schema: ProviderList },
      problems: [],
      handler: async ({ caller, query }) => {
        const items = await providerStore().list(caller.tenantId, query().status);
        return { jsonBody: { items: items.map(providerView) } };
      },
    }),
    POST: op({
      operationId: 'createProvider',
      summary: 'Register a provider (a Draft)',
      description:
        'Herald generates the provider id (the `originator` of its cards) and the AppIdUri to set on the Entra app. Each scope is a ' +
        'separate submission: a provider is for one scope.',
      role: 'provider.write',
      body: ProviderInput,
      response: providerResponse(201, 'The new Draft provider.'),
      problems: [],
      handler: async ({ request, caller, body }) => create(request, caller, await body()),
    }),
  }),
});

route({
  name: 'providersExport',
  route: 'providers/export',
  tag: 'providers',
  method: 'GET',
  operationId: 'exportApprovedProviders',
  summary: 'Export the tenant’s approved providers as CSV',
  description: 'One row per approved provider, with its token type (Entra).',
  role: 'provider.admin',
  response: { status: 303, description: 'See the file at Location.', schema: ExportLink, location: 'redirect' },
  problems: [],
  handler: async ({ caller }) => exportApproved(caller),
});

route({
  name: 'provider',
  route: 'providers/{id}',
  tag: 'providers',
  params: PROVIDER_PARAMS,
  methods: (op) => ({
    GET: op({
      operationId: 'getProvider',
      summary: 'Read a provider',
      role: 'provider.read',
      response: providerResponse(200, 'The provider; its ETag is what to send as If-Match to change it.'),
      problems: ['not-found'],
      handler: async ({ caller, params }) => answer(await existingProvider(caller, params.id)),
    }),
    PATCH: op({
      operationId: 'modifyProvider',
      summary: 'Change a Draft provider',
      description:
        'Only a Draft can change: withdraw a submitted or rejected provider first. A patch that changes nothing leaves no audit row.',
      role: 'provider.write',
      body: ProviderPatch,
      ifMatch: 'required',
      response: providerResponse(200, 'The changed provider.'),
      problems: ['validation', 'not-found', 'status-conflict'],
      handler: async ({ request, caller, params, body }) => modify(request, caller, params.id, await body()),
    }),
  }),
});

const action = { tag: 'providers', params: PROVIDER_PARAMS, method: 'POST', durable: true } as const;

route({
  name: 'providerSubmit',
  route: 'providers/{id}/submit',
  ...action,
  operationId: 'submitProvider',
  summary: 'Submit a Draft provider for its scope’s approval',
  description:
    'Test Users: approved at once. Organization: Submitted until one of the tenant’s Providers.Approve holders decides; they are ' +
    'reminded in Teams every day. Global: Submitted until the platform’s reviewers decide. Effective after the tenant’s ' +
    '`providerPropagationSeconds`.',
  role: 'provider.write',
  response: providerResponse(200, 'The provider in its new status.'),
  problems: ['validation', 'not-found', 'status-conflict'],
  handler: async ({ client, caller, params }) => submit(client, caller, params.id),
});

route({
  name: 'providerWithdraw',
  route: 'providers/{id}/withdraw',
  ...action,
  operationId: 'withdrawProvider',
  summary: 'Take a Submitted or Rejected provider back to Draft',
  role: 'provider.write',
  response: providerResponse(200, 'The provider, a Draft again.'),
  problems: ['not-found', 'status-conflict'],
  handler: async ({ client, context, caller, params }) => withdraw(client, context, caller, params.id),
});

route({
  name: 'providerAudit',
  route: 'providers/{id}/audit',
  tag: 'providers',
  params: PROVIDER_PARAMS,
  method: 'GET',
  operationId: 'getProviderAudit',
  summary: 'A provider’s audit trail, newest first',
  role: 'provider.read',
  response: { status: 200, description: 'Every change: who, when, the status after it, and any comment.', schema: ProviderAuditTrail },
  problems: ['not-found'],
  handler: async ({ caller, params }) => audit(caller, params.id),
});
