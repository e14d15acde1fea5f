/**
 * The in-product inbox, for recipients' devices (any signed-in user; tenant and user come from the token):
 * - `GET /api/inbox?surface=spotlight|notificationCenter|taskbar`: what the device shows now.
 * - `POST /api/inbox/{messageId}/events`: what the user did with it (seen, clicked, dismissed), recorded once
 *   per `clientEventId` so a device may resend an event it is unsure about.
 * The rules are core/eligibility; this file reads the caches and the user's interactions and shapes the answer.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { clickUrl } from '../../adapters/runtime/clickLinks.js';
import { now } from '../../adapters/runtime/clock.js';
import { member, tenantInbox, usage, type Member } from '../../adapters/runtime/inboxCache.js';
import { interactionsOf, recordInteraction } from '../../adapters/stores/interactionStore.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import type { TenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import {
  audienceRule,
  forViewer,
  inAudience,
  inbox,
  inForce,
  INTERACTION_TYPES,
  isSurface,
  needsUsage,
  occurrenceIndexAt,
  SURFACES,
  type InboxEntry,
  type Surface,
  type Viewer,
} from '../../core/eligibility.js';
import { handle, Problem, validationProblem } from './problem.js';
import { jsonBody, signedIn } from './request.js';

/** How far ahead of the app clock a device's `occurredAt` may be (device clocks drift). */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export const InboxParams = z.object({
  surface: z.enum(SURFACES, { error: `must be one of ${SURFACES.join(', ')}` }),
});

export const InboxItem = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  language: z.string(),
  /** The message's image, `GET /api/messages/{id}/image`. */
  image: z.url().optional(),
  callToAction: z.object({ label: z.string(), url: z.url().describe('A signed click link: following it records the click.') }).optional(),
  urgent: z.boolean(),
  /** The delivery round being shown: 0 for the first, then one per frequency interval. */
  occurrence: z.number().int().min(0),
  /** When to stop showing it: the occurrence ends (or the urgent message's 24 hours run out). */
  showUntil: z.iso.datetime(),
});

/** `GET /api/inbox`: what the device shows now on `surface`, newest first. */
export const InboxView = z.object({ surface: z.enum(SURFACES), messages: z.array(InboxItem) });

export const InteractionInput = z
  .object({
    type: z.enum(INTERACTION_TYPES, { error: `must be one of ${INTERACTION_TYPES.join(', ')}` }),
    clientEventId: z
      .string({ error: 'is required: a string the device chooses, the same when it resends the event' })
      .min(1, 'must be 1 to 128 characters')
      .max(128, 'must be 1 to 128 characters'),
    occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
  })
  .strict();

export const InteractionReceipt = z.object({
  recorded: z.boolean(),
  /** True when this `clientEventId` was recorded before: nothing changed. */
  duplicate: z.boolean(),
});

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
            label: cta.label,
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

async function read(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await signedIn(request);
  const params = InboxParams.safeParse(Object.fromEntries(request.query));
  if (!params.success) throw validationProblem(params.error.issues);
  const { surface } = params.data;
  const body: z.output<typeof InboxView> = { surface, messages: await messagesFor(request, caller, surface) };
  // Per user and per moment: no shared cache may keep it.
  return { jsonBody: body, headers: { 'cache-control': 'private, no-store' } };
}

async function messagesFor(request: HttpRequest, caller: Caller, surface: Surface): Promise<z.output<typeof InboxItem>[]> {
  const [tenant, who] = await Promise.all([tenantInbox(caller.tenantId), member(caller.tenantId, caller.userId)]);
  const t = now();
  const due = inForce(tenant.candidates, surface, t);
  // A user the directory does not know sees nothing.
  if (!who || due.length === 0) return [];
  const mine = forViewer(due, await viewerOf(caller.tenantId, who, tenant.settings, needsUsage(due)), t);
  if (mine.length === 0) return [];
  const ids = mine.map((d) => d.candidate.source.id).sort();
  const interactions = await interactionsOf(caller.tenantId, caller.userId, ids[0]!, ids[ids.length - 1]!);
  return Promise.all(inbox(mine, interactions, t).map((entry) => itemView(request, caller, entry)));
}

async function recordEvent(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await signedIn(request);
  const input = await jsonBody(request, InteractionInput);
  const t = now();
  const at = input.occurredAt ? Date.parse(input.occurredAt) : t;
  if (at > t + MAX_FUTURE_SKEW_MS) {
    const message = `must not be more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes in the future`;
    throw new Problem('validation', `occurredAt ${message}`, [{ path: 'occurredAt', message }]);
  }
  const id = request.params.messageId!;
  const notFound = new Problem('not-found', `there is no message ${id} for you`);
  const [tenant, who] = await Promise.all([tenantInbox(caller.tenantId), member(caller.tenantId, caller.userId)]);
  // A message on devices now is in the tenant's cache, its audience rule and occurrence worked out already;
  // one shown earlier (an event sent late) is read.
  const cached = tenant.candidates.find((c) => c.source.id === id);
  const message = cached?.source ?? (await messageStore().get(caller.tenantId, id));
  // Only messages that reached devices, and only from people they were for: anything else is not theirs to see.
  if (!message || !message.activatedAt || !isSurface(message.draft.location) || !who) throw notFound;
  const rule = cached?.rule ?? audienceRule(message);
  if (!inAudience(rule, await viewerOf(caller.tenantId, who, tenant.settings, rule.segments.length > 0), t)) throw notFound;

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

app.http('inbox', {
  methods: ['GET'],
  route: 'inbox',
  authLevel: 'anonymous',
  handler: handle(read),
});

app.http('inboxEvents', {
  methods: ['POST'],
  route: 'inbox/{messageId}/events',
  authLevel: 'anonymous',
  handler: handle(recordEvent),
});
