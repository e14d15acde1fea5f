/**
 * The in-product inbox, for recipients' devices (any signed-in user; tenant and user come from the token):
 * - `GET /api/inbox?surface=spotlight|notificationCenter|taskbar`: what the device shows now. The device may
 *   report its edition, join type and name; one that does not meet the Windows prerequisites (core/readiness)
 *   is shown nothing, told why, and listed for the tenant's admins (readiness.ts).
 * - `POST /api/inbox/{messageId}/events`: what the user did with it (seen, clicked, dismissed), recorded once
 *   per `clientEventId` so a device may resend an event it is unsure about.
 * The rules are core/eligibility; this file reads the caches and the user's interactions and shapes the answer.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { clickUrl } from '../../adapters/runtime/clickLinks.js';
import { now } from '../../adapters/runtime/clock.js';
import { member, tenantInbox, usage, type Member, type TenantInbox } from '../../adapters/runtime/inboxCache.js';
import { interactionsIn, recordInteraction } from '../../adapters/runtime/interactionCache.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import { tenantPolicies } from '../../adapters/stores/policyStore.js';
import { recordDevice, recordPolicyBlock } from '../../adapters/stores/readinessStore.js';
import type { TenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import {
  audienceRule,
  forViewer,
  inAudience,
  inbox,
  inForce,
  isSurface,
  needsUsage,
  occurrenceIndexAt,
  type InboxEntry,
  type Surface,
  type Viewer,
} from '../../core/eligibility.js';
import { targetsUsage } from '../../core/audience.js';
import { policyBlocks, surfaceBlock, type PolicyBlock } from '../../core/deliveryPolicy.js';
import { reportsPrerequisites, windowsSurfaceBlocker, type DeviceReport } from '../../core/readiness.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { InboxItem, InboxParams, InboxView, InteractionInput, InteractionReceipt } from './schemas/inboxSchemas.js';

/** How far ahead of the app clock a device's `occurredAt` may be (device clocks drift). */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

async function viewerOf(tenantId: string, who: Member, settings: TenantSettings, withUsage: boolean): Promise<Viewer> {
  return { ...who, includeGuests: settings.includeGuests, ...(withUsage ? { usage: await usage(tenantId) } : {}) };
}

async function itemView(request: HttpRequest, caller: Caller, entry: InboxEntry): Promise<z.output<typeof InboxItem>> {
  const { id, draft } = entry.source;
  const content = draft.content ?? {};
  const cta = content.callToAction;
  return {
    id,
    title: content.title ?? '',
    body: content.body ?? '',
    language: content.language ?? 'en',
    ...(content.image ? { image: new URL(`/api/messages/${id}/image`, request.url).toString() } : {}),
    ...(cta
      ? {
          callToAction: {
            // Custom messages are submitted with a label and pre-made ones get their template's.
            label: cta.label ?? '',
            url: await clickUrl({
              tenantId: caller.tenantId,
              messageId: id,
              occurrence: entry.occurrence,
              userId: caller.userId,
              channel: 'inbox',
              url: cta.url,
            }),
          },
        }
      : {}),
    urgent: entry.urgent,
    occurrence: entry.occurrence,
    showUntil: entry.showUntil,
  };
}

async function read(
  request: HttpRequest,
  context: InvocationContext,
  caller: Caller,
  { surface, ...report }: z.output<typeof InboxParams>,
): Promise<HttpResponseInit> {
  const reason = windowsSurfaceBlocker(report);
  const [shown] = await Promise.all([
    reason ? { messages: [], blocked: reason } : messagesFor(request, context, caller, surface),
    reportsPrerequisites(report) ? noteDevice(context, caller, report, reason) : undefined,
  ]);
  const { messages, blocked } = shown;
  const body: z.output<typeof InboxView> = { surface, messages, ...(blocked ? { blocked: { reason: blocked } } : {}) };
  // Per user and per moment: no shared cache may keep it.
  return { jsonBody: body, headers: { 'cache-control': 'private, no-store' } };
}

/** A failed write is logged, not answered: what the device shows matters more than the admins' list. */
async function noteDevice(context: InvocationContext, caller: Caller, report: DeviceReport, reason: string | undefined) {
  const { osEdition, joinType, deviceName } = report;
  try {
    await recordDevice(caller.tenantId, { userId: caller.userId, upn: caller.upn, osEdition, joinType, deviceName }, reason, now());
  } catch (error) {
    // Nothing was remembered, so the device's next poll tries again.
    context.warn(`readiness of ${caller.userId}'s device ${deviceName ?? '(unnamed)'} not recorded`, error);
  }
}

/** As noteDevice: a failed write is logged, and the next poll tries again. */
async function notePolicy(
  context: InvocationContext,
  caller: Caller,
  surface: Surface,
  block: PolicyBlock | undefined,
  noPolicyBlocks: boolean,
) {
  try {
    await recordPolicyBlock(caller.tenantId, caller, surface, block, now(), noPolicyBlocks);
  } catch (error) {
    context.warn(`delivery policy block of ${caller.userId} on ${surface} not recorded`, error);
  }
}

// The ids of all the tenant's candidates, whatever the surface and audience, so one cached read of a user's
// interactions serves each of their surfaces (ids sort by time: the range stays short). Worked out once per
// load of the tenant's messages.
const ranges = new WeakMap<TenantInbox, readonly [string, string]>();
function idRange(tenant: TenantInbox): readonly [string, string] {
  let range = ranges.get(tenant);
  if (!range) {
    const ids = tenant.candidates.map((c) => c.source.id).sort();
    range = [ids[0]!, ids[ids.length - 1]!];
    ranges.set(tenant, range);
  }
  return range;
}

async function messagesFor(
  request: HttpRequest,
  context: InvocationContext,
  caller: Caller,
  surface: Surface,
): Promise<{ messages: z.output<typeof InboxItem>[]; blocked?: string }> {
  const [tenant, who, policies] = await Promise.all([
    tenantInbox(caller.tenantId),
    member(caller.tenantId, caller.userId),
    tenantPolicies(caller.tenantId),
  ]);
  const t = now();
  // A user the directory does not know sees nothing.
  if (!who) return { messages: [] };
  // A surface the person's delivery policies block shows nothing: the device is told which policy, and the
  // readiness list names it to the admins.
  const block = surfaceBlock(surface, who.groups, policies);
  await notePolicy(context, caller, surface, block, !policies.some((p) => policyBlocks(p).some((b) => b.surface === surface)));
  if (block) return { messages: [], blocked: block.reason };
  const due = inForce(tenant.candidates, surface, t);
  if (due.length === 0) return { messages: [] };
  const mine = forViewer(due, await viewerOf(caller.tenantId, who, tenant.settings, needsUsage(due)), t);
  if (mine.length === 0) return { messages: [] };
  const [from, to] = idRange(tenant);
  const interactions = await interactionsIn(caller.tenantId, caller.userId, from, to);
  return { messages: await Promise.all(inbox(mine, interactions, t).map((entry) => itemView(request, caller, entry))) };
}

async function recordEvent(caller: Caller, id: string, input: z.output<typeof InteractionInput>): Promise<HttpResponseInit> {
  const t = now();
  const at = input.occurredAt ? Date.parse(input.occurredAt) : t;
  if (at > t + MAX_FUTURE_SKEW_MS) {
    const message = `must not be more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes in the future`;
    throw new Problem('validation', `occurredAt ${message}`, [{ path: 'occurredAt', message }]);
  }
  // Built only when thrown: an Error's stack costs on every event otherwise.
  const notFound = () => new Problem('not-found', `there is no message ${id} for you`);
  const [tenant, who] = await Promise.all([tenantInbox(caller.tenantId), member(caller.tenantId, caller.userId)]);
  // A message on devices now is in the tenant's cache, its audience rule and occurrence worked out already;
  // one shown earlier (an event sent late) is read.
  const cached = tenant.candidates.find((c) => c.source.id === id);
  const message = cached?.source ?? (await messageStore().get(caller.tenantId, id));
  // Only messages that reached devices, and only from people they were for: anything else is not theirs to see.
  if (!message || !message.activatedAt || !isSurface(message.draft.location) || !who) throw notFound();
  const rule = cached?.rule ?? audienceRule(message);
  if (!inAudience(rule, await viewerOf(caller.tenantId, who, tenant.settings, targetsUsage(rule)), t)) throw notFound();

  const { duplicate } = await recordInteraction(caller.tenantId, caller.userId, id, {
    type: input.type,
    clientEventId: input.clientEventId,
    at,
    channel: 'inbox',
    occurrence: cached?.occurrenceAt(at)?.index ?? occurrenceIndexAt(message, at, tenant.settings.timeZone),
    timeZone: tenant.settings.timeZone,
  });
  const body: z.output<typeof InteractionReceipt> = { recorded: !duplicate, duplicate };
  return { status: duplicate ? 200 : 201, jsonBody: body };
}

route({
  name: 'inbox',
  route: 'inbox',
  tag: 'inbox',
  method: 'GET',
  operationId: 'getInbox',
  summary: 'What the caller’s device shows now on a surface',
  description:
    'Active messages for the surface whose audience the caller is in, inside their schedule, that the frequency rules still ' +
    'allow (a click silences a message for a year; seen or dismissed, until its next occurrence), and urgent messages sent ' +
    'in the last 24 hours that the caller has not acted on. Changes reach the inbox within a few seconds.\n\n' +
    'Windows surfaces need Windows 11 Enterprise on a Microsoft Entra joined device (hybrid joined devices are not supported). ' +
    'A device that sends `osEdition` or `joinType` is judged by them: one that does not meet them gets no messages and ' +
    '`blocked.reason`, and is listed by `GET /api/readiness/devices` until it reports that it does. A device that sends ' +
    'neither is served as if it met them. A surface a delivery policy blocks for the caller also answers no messages and ' +
    '`blocked.reason` naming the policy and its setting.',
  role: 'device',
  query: InboxParams,
  response: { status: 200, description: 'The messages to show, newest first.', schema: InboxView },
  problems: [],
  handler: async ({ request, context, caller, query }) => read(request, context, caller, query()),
});

route({
  name: 'inboxEvents',
  route: 'inbox/{messageId}/events',
  tag: 'inbox',
  params: { messageId: 'The message id.' },
  method: 'POST',
  operationId: 'recordInboxEvent',
  summary: 'Record that the caller saw, clicked or dismissed a message',
  description:
    'Idempotent by `clientEventId`: the first time answers 201 `{recorded: true}`, a repeat 200 `{recorded: false, duplicate: true}`. ' +
    '404 for a message the caller was not sent.',
  role: 'device',
  body: InteractionInput,
  response: { status: 201, description: 'Recorded (200 when it had been recorded before).', schema: InteractionReceipt },
  problems: ['validation', 'not-found'],
  handler: async ({ caller, params, body }) => recordEvent(caller, params.messageId, await body()),
});
