/**
 * `/api/policies` (Tenant.Admin): the tenant's delivery policies (core/deliveryPolicy.ts), which the inbox
 * honours: a surface a policy blocks gets nothing for the members of its groups, and the readiness list says why.
 */
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import {
  createPolicy,
  deletePolicy,
  getPolicy,
  listPolicies,
  MAX_POLICIES,
  replacePolicy,
  type StoredPolicy,
} from '../../adapters/stores/policyStore.js';
import { clearPolicyBlocks } from '../../adapters/stores/readinessStore.js';
import { policyBlocks } from '../../core/deliveryPolicy.js';
import { requireKnownAudience } from './directoryChecks.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { POLICY_PARAMS, PolicyInput, PolicyList, PolicyView } from './schemas/policySchemas.js';

const view = (p: StoredPolicy): z.output<typeof PolicyView> => ({
  ...p,
  groups: [...p.groups],
  blocks: policyBlocks(p).map(({ surface, setting, reason }) => ({ surface, setting, reason })),
});

const notFound = (id: string) => new Problem('not-found', `there is no delivery policy ${id}`);

/** Groups the directory does not have are refused at once, named (`groups.N`), as a message's are. */
const checked = async (caller: Caller, input: z.output<typeof PolicyInput>) => {
  await requireKnownAudience(caller.tenantId, { groups: input.groups }, '');
  return input;
};

async function create(caller: Caller, input: z.output<typeof PolicyInput>) {
  const fields = await checked(caller, input);
  if ((await listPolicies(caller.tenantId)).length >= MAX_POLICIES)
    throw new Problem('validation', `a tenant keeps at most ${MAX_POLICIES} delivery policies`, [
      { path: '', message: `at most ${MAX_POLICIES} policies: delete one first` },
    ]);
  const policy = await createPolicy(caller.tenantId, fields, caller.upn, now());
  return { status: 201, jsonBody: view(policy), headers: { location: `/api/policies/${policy.id}` } };
}

async function replace(caller: Caller, id: string, input: z.output<typeof PolicyInput>) {
  if (!(await getPolicy(caller.tenantId, id))) throw notFound(id);
  const policy = await replacePolicy(caller.tenantId, id, await checked(caller, input), caller.upn, now());
  if (!policy) throw notFound(id);
  // What it blocks, and for whom, may have changed: each member's next poll records it anew.
  await clearPolicyBlocks(caller.tenantId, id);
  return { jsonBody: view(policy) };
}

const POLICY_DESCRIPTION =
  'The settings are those of the product document’s "Set tenant policies" section: enableOrganizationalMessages, ' +
  'allowSpotlight (the parent of the next three), spotlightOnActionCenter (Notification Center), windowsTips (Taskbar), ' +
  'spotlightOnLockScreen (Spotlight) — each blocking when false — and disableCloudOptimizedContent, blocking when true. ' +
  'A setting left out is not configured. The members of the groups (transitively) get nothing on a blocked surface, ' +
  'and `GET /api/readiness/devices` lists them with the policy as the reason. Groups the directory does not have are a 400 naming `groups.N`.';

route({
  name: 'policies',
  route: 'policies',
  tag: 'tenant',
  methods: (op) => ({
    GET: op({
      operationId: 'listPolicies',
      summary: 'The tenant’s delivery policies',
      description: 'Every policy, by name, with the surfaces each blocks. Tenant.Admin only.',
      role: 'tenant.configure',
      response: { status: 200, description: 'The policies.', schema: PolicyList },
      problems: [],
      handler: async ({ caller }) => ({ jsonBody: { items: (await listPolicies(caller.tenantId)).map(view) } }),
    }),
    POST: op({
      operationId: 'createPolicy',
      summary: 'Create a delivery policy',
      description: `${POLICY_DESCRIPTION} Tenant.Admin only.`,
      role: 'tenant.configure',
      body: PolicyInput,
      response: { status: 201, description: 'The policy as stored.', schema: PolicyView, location: 'created' },
      problems: ['validation'],
      handler: async ({ caller, body }) => create(caller, await body()),
    }),
  }),
});

route({
  name: 'policy',
  route: 'policies/{id}',
  tag: 'tenant',
  params: POLICY_PARAMS,
  methods: (op) => ({
    GET: op({
      operationId: 'getPolicy',
      summary: 'Read a delivery policy',
      description: 'Tenant.Admin only; another tenant’s policy is a 404.',
      role: 'tenant.configure',
      response: { status: 200, description: 'The policy.', schema: PolicyView },
      problems: ['not-found'],
      handler: async ({ caller, params }) => {
        const policy = await getPolicy(caller.tenantId, params.id);
        if (!policy) throw notFound(params.id);
        return { jsonBody: view(policy) };
      },
    }),
    PUT: op({
      operationId: 'replacePolicy',
      summary: 'Change a delivery policy',
      description: `${POLICY_DESCRIPTION} Tenant.Admin only.`,
      role: 'tenant.configure',
      body: PolicyInput,
      response: { status: 200, description: 'The policy as stored.', schema: PolicyView },
      problems: ['validation', 'not-found'],
      handler: async ({ caller, params, body }) => replace(caller, params.id, await body()),
    }),
    DELETE: op({
      operationId: 'deletePolicy',
      summary: 'Delete a delivery policy',
      description: 'Its groups’ members receive on the surfaces it blocked from their devices’ next poll. Tenant.Admin only.',
      role: 'tenant.configure',
      response: { status: 204, description: 'Deleted.' },
      problems: ['not-found'],
      handler: async ({ caller, params }) => {
        if (!(await deletePolicy(caller.tenantId, params.id))) throw notFound(params.id);
        await clearPolicyBlocks(caller.tenantId, params.id);
        return { status: 204 };
      },
    }),
  }),
});
