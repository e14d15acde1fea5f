/**
 * `POST /api/audience/estimate` (writers): how many people an audience reaches, resolved from the directory by
 * the send's own rules (core/audience.ts: the groups' transitive members, or everyone, through the filters),
 * and, for a Windows surface, how many of them can receive there and why the others cannot: a delivery
 * policy (core/deliveryPolicy.ts) or a device that reported it does not meet the prerequisites.
 */
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import { directory } from '../../adapters/services/graphDirectory.js';
import { listPolicies } from '../../adapters/stores/policyStore.js';
import { listBlockedDevices } from '../../adapters/stores/readinessStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { audienceMembers, targetsUsage, type AudienceContext } from '../../core/audience.js';
import { policyBlocks, surfaceBlock } from '../../core/deliveryPolicy.js';
import type { Surface } from '../../core/eligibility.js';
import { Audience } from '../../core/message.js';
import { requireKnownAudience } from './directoryChecks.js';
import { route } from './routes.js';
import { EstimateInput, EstimateView } from './schemas/policySchemas.js';

/** The people the audience resolves to, deduplicated, in directory order. */
async function resolve(caller: Caller, rule: z.output<typeof Audience>): Promise<string[]> {
  const settings = await getTenantSettings(caller.tenantId);
  const ctx: AudienceContext = {
    includeGuests: settings.includeGuests,
    now: now(),
    ...(targetsUsage(rule) ? { usage: await directory().usage(caller.tenantId) } : {}),
  };
  const dir = directory();
  const people: string[] = [];
  const from = { groupMembers: (g: string) => dir.groupMembers(caller.tenantId, g), allUsers: () => dir.allUsers(caller.tenantId) };
  for await (const user of audienceMembers(rule, ctx, from)) people.push(user.id);
  return people;
}

/** Each blocking policy's groups, as the set of their members' ids: one directory read per group. */
async function policyGroupsOf(tenantId: string, groups: readonly string[]): Promise<Map<string, Set<string>>> {
  const memberships = new Map<string, Set<string>>();
  for (const group of new Set(groups.map((g) => g.toLowerCase()))) {
    const members = new Set<string>();
    for await (const page of directory().groupMembers(tenantId, group)) for (const u of page) members.add(u.id);
    memberships.set(group, members);
  }
  return memberships;
}

/** The tenant's devices that reported not meeting the prerequisites, by person (policy rows are judged anew). */
async function blockedDevices(tenantId: string): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  let continuation: string | undefined;
  do {
    const page = await listBlockedDevices(tenantId, 100, continuation);
    for (const row of page.items) if (!row.surface && !reasons.has(row.userId)) reasons.set(row.userId, row.reason);
    continuation = page.continuation;
  } while (continuation);
  return reasons;
}

async function estimate(caller: Caller, input: z.output<typeof EstimateInput>): Promise<z.output<typeof EstimateView>> {
  const rule = input.audience ?? Audience.parse({});
  await requireKnownAudience(caller.tenantId, rule);
  const people = await resolve(caller, rule);
  if (!input.surface) return { people: people.length, canReceive: people.length, cannot: [] };
  const surface: Surface = input.surface;
  const policies = (await listPolicies(caller.tenantId)).filter((p) => policyBlocks(p).some((b) => b.surface === surface));
  const [memberships, devices] = await Promise.all([
    policyGroupsOf(
      caller.tenantId,
      policies.flatMap((p) => p.groups),
    ),
    blockedDevices(caller.tenantId),
  ]);
  const cannot = new Map<string, { reason: string; people: number; policyId?: string }>();
  for (const id of people) {
    const groups = new Set([...memberships].filter(([, members]) => members.has(id)).map(([group]) => group));
    const block = surfaceBlock(surface, groups, policies);
    const reason = block?.reason ?? devices.get(id);
    if (!reason) continue;
    const entry = cannot.get(reason) ?? { reason, people: 0, ...(block ? { policyId: block.policyId } : {}) };
    entry.people++;
    cannot.set(reason, entry);
  }
  const stopped = [...cannot.values()].reduce((n, c) => n + c.people, 0);
  return { people: people.length, canReceive: people.length - stopped, cannot: [...cannot.values()].sort((a, b) => b.people - a.people) };
}

route({
  name: 'audienceEstimate',
  route: 'audience/estimate',
  tag: 'messages',
  method: 'POST',
  operationId: 'estimateAudience',
  summary: 'How many people an audience reaches, and how many can receive on a surface',
  description:
    'Resolves the audience from the directory as the send does (groups’ transitive members or everyone, through the ' +
    'company, department, location and usage filters; disabled accounts, and guests unless the tenant includes them, left out). ' +
    'With a Windows `surface`, counts those a delivery policy (`/api/policies`) blocks there, by policy, and those with a ' +
    'device that reported it does not meet the prerequisites (`/api/readiness/devices`), by reason. Names the directory does not ' +
    'have are a 400 naming `audience.groups.N` and so on. Messages.Write only.',
  role: 'message.write',
  body: EstimateInput,
  response: { status: 200, description: 'The estimate.', schema: EstimateView },
  problems: ['validation'],
  handler: async ({ caller, body }) => ({ jsonBody: await estimate(caller, await body()) }),
});
