/**
 * The messages resource, `/api/messages`: writers create, read, list, modify and delete drafts; every
 * change leaves an audit row. Submitting and deciding belong to the lifecycle and live elsewhere.
 * A message of another tenant answers 404, exactly as one that does not exist: its existence is not ours to reveal.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { InvalidContinuation, messageStore, StaleMessage } from '../../adapters/stores/messageStore.js';
import type { Actor, MessageRecord } from '../../core/records.js';
import { messageTotals } from '../../adapters/stores/reportStore.js';
import { isDeletable, isEditable, MESSAGE_STATUSES, TRANSITION_RECORDS } from '../../core/lifecycle.js';
import { DraftInput, LIMITS, LOCATIONS, OBJECTIVES } from '../../core/message.js';
import { figures } from '../../core/reportMath.js';
import { handle, Problem, validationProblem } from './problem.js';
import { authorize, jsonBody } from './request.js';

export const ListParams = z
  .object({
    status: z.enum(MESSAGE_STATUSES).optional(),
    location: z.enum(LOCATIONS).optional(),
    objective: z.enum(OBJECTIVES).optional(),
    name: z.string().trim().min(1, 'must not be empty').max(LIMITS.name).optional(),
    pageSize: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').default(25),
    continuation: z.string().min(1).optional(),
  })
  .strict();

/**
 * A PATCH body: a JSON merge patch (RFC 7396) over the draft's top-level fields. Each field named replaces
 * the stored one (so a wizard step sends its whole section) and `null` clears it.
 */
export const DraftPatch = z.record(z.string(), z.unknown());

export const actor = (caller: Caller): Actor => ({ id: caller.userId, upn: caller.upn, name: caller.name });

const ActorView = z.object({ id: z.string(), upn: z.string(), name: z.string() });

/** A message's engagement so far, all channels: what the message list shows beside each message. */
export const MessageActivity = z.object({
  seen: z.number().int().describe('Impressions: seen on Windows surfaces plus Teams notifications and emails delivered.'),
  viewers: z.number().int().describe('Distinct people who saw it on a Windows surface.'),
  clicks: z.number().int(),
  clickers: z.number().int().describe('Distinct people who clicked.'),
  clickThroughRate: z.number().describe('clicks ÷ seen; 0 when nothing was seen.'),
  dismissed: z.number().int(),
  delivered: z.number().int(),
  failed: z.number().int(),
});

/** What a client sees of a message: its draft fields at the top level, so a GET can be edited and PATCHed back. */
export const MessageView = DraftInput.extend({
  id: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  createdBy: ActorView,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** In `GET /api/messages` and `GET /api/messages/{id}`. */
  activity: MessageActivity.optional(),
});
export type MessageView = z.output<typeof MessageView>;

/** A page of `GET /api/messages`; `continuation`, when present, asks for the next one. */
export const MessagePage = z.object({ items: z.array(MessageView), continuation: z.string().optional() });

/** `GET /api/messages/{id}/audit`: every change to the message, oldest first. */
export const AuditTrail = z.object({
  items: z.array(
    z.object({
      at: z.iso.datetime(),
      action: z.enum(['created', 'modified', 'deleted', ...TRANSITION_RECORDS]),
      by: ActorView,
      /** The status after the change. */
      status: z.enum(MESSAGE_STATUSES),
      /** For `modified`: the top-level fields that changed. */
      fields: z.array(z.string()).optional(),
      comment: z.string().optional(),
    }),
  ),
});

export const messageView = (m: MessageRecord): MessageView => ({
  id: m.id,
  status: m.status,
  ...m.draft,
  createdBy: { id: m.author.id, upn: m.author.upn, name: m.author.name },
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
});

function withActivity(view: MessageView, counts: Parameters<typeof figures>[0]): MessageView {
  const f = figures(counts);
  const activity = {
    seen: f.impressions,
    viewers: f.viewers,
    clicks: f.clicks,
    clickers: f.clickers,
    clickThroughRate: f.clickThroughRate,
    dismissed: f.dismissed,
    delivered: f.delivered,
    failed: f.failed,
  };
  return { ...view, activity };
}

const messageUrl = (request: HttpRequest, id: string) => new URL(`/api/messages/${id}`, request.url).toString();

const notFound = (id: string) => new Problem('not-found', `there is no message ${id}`);

export async function existing(caller: Caller, id: string): Promise<MessageRecord> {
  const message = await messageStore().get(caller.tenantId, id);
  if (!message) throw notFound(id);
  return message;
}

/** RFC 9110 §13.1.1: If-Match must name the version being changed; `*` means "whatever is there". */
export function checkIfMatch(request: HttpRequest, message: MessageRecord, required: boolean) {
  const ifMatch = request.headers.get('if-match');
  if (ifMatch === null) {
    if (required)
      throw new Problem(
        'precondition-required',
        'send the ETag you read the message with as If-Match, so no one else’s change is overwritten',
      );
    return;
  }
  if (!ifMatch.split(',').some((tag) => tag.trim() === '*' || tag.trim() === message.etag))
    throw new Problem('precondition-failed', 'the message has changed since you read it: GET it again and reapply your change', [], {
      etag: message.etag,
    });
}

export const stale = (message: MessageRecord) =>
  new Problem('precondition-failed', 'the message changed while your change was being saved: GET it again and reapply your change', [], {
    etag: message.etag,
  });

/**
 * The image is set only through `/image`, which checks the bytes and owns the blob: whatever a client sends
 * in `content.image` is replaced by what is stored (so a GET can be PATCHed back unchanged).
 */
function withImage(draft: DraftInput, image: NonNullable<DraftInput['content']>['image']): DraftInput {
  if (!draft.content) return draft;
  const { image: _ignored, ...content } = draft.content;
  return { ...draft, content: image ? { ...content, image } : content };
}

async function create(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'message.write');
  const draft = withImage(await jsonBody(request, DraftInput), undefined);
  const message = await messageStore().create(caller.tenantId, draft, actor(caller));
  return { status: 201, headers: { location: messageUrl(request, message.id), etag: message.etag }, jsonBody: messageView(message) };
}

async function list(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'message.read');
  const params = ListParams.safeParse(Object.fromEntries(request.query));
  if (!params.success) throw validationProblem(params.error.issues);
  try {
    const page = await messageStore().list(caller.tenantId, params.data);
    const totals = await messageTotals(
      caller.tenantId,
      page.items.map((m) => m.id),
    );
    const body: z.output<typeof MessagePage> = {
      items: page.items.map((m) => withActivity(messageView(m), totals.get(m.id))),
      ...(page.continuation ? { continuation: page.continuation } : {}),
    };
    return { jsonBody: body };
  } catch (error) {
    if (error instanceof InvalidContinuation)
      throw new Problem('validation', error.message, [{ path: 'continuation', message: error.message }]);
    throw error;
  }
}

async function read(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'message.read');
  const message = await existing(caller, request.params.id!);
  const totals = await messageTotals(caller.tenantId, [message.id]);
  return { headers: { etag: message.etag }, jsonBody: withActivity(messageView(message), totals.get(message.id)) };
}

async function modify(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'message.write');
  const patch = await jsonBody(request, DraftPatch);
  const message = await existing(caller, request.params.id!);
  checkIfMatch(request, message, true);
  if (!isEditable(message.status)) throw new Problem('status-conflict', `only a Draft can be modified; the message is ${message.status}`);
  const merged: Record<string, unknown> = { ...message.draft, ...patch };
  for (const [field, value] of Object.entries(patch)) if (value === null) delete merged[field];
  const parsed = DraftInput.safeParse(merged);
  if (!parsed.success) throw validationProblem(parsed.error.issues);
  parsed.data = withImage(parsed.data, message.draft.content?.image);
  const before = message.draft as Record<string, unknown>;
  const after = parsed.data as Record<string, unknown>;
  const fields = Object.keys(patch).filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
  // Saving an unchanged wizard step is not a change: no new ETag, no audit row.
  if (fields.length === 0) return { headers: { etag: message.etag }, jsonBody: messageView(message) };
  try {
    const saved = await messageStore().modify(caller.tenantId, message, parsed.data, actor(caller), fields);
    return { headers: { etag: saved.etag }, jsonBody: messageView(saved) };
  } catch (error) {
    if (error instanceof StaleMessage) throw stale(message);
    throw error;
  }
}

async function remove(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'message.write');
  const message = await existing(caller, request.params.id!);
  checkIfMatch(request, message, false);
  if (!isDeletable(message.status))
    throw new Problem(
      'status-conflict',
      `an Active message is being delivered and cannot be deleted; cancel it first (the message is ${message.status})`,
    );
  try {
    await messageStore().delete(caller.tenantId, message, actor(caller));
  } catch (error) {
    if (error instanceof StaleMessage) throw stale(message);
    throw error;
  }
  return { status: 204 };
}

async function audit(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'message.read');
  const id = request.params.id!;
  // The trail outlives a deleted message, so it is looked up on its own; an empty one means no such message.
  const entries = await messageStore().audit(caller.tenantId, id);
  if (entries.length === 0) throw notFound(id);
  const body: z.output<typeof AuditTrail> = { items: entries };
  return { jsonBody: body };
}

app.http('messages', {
  methods: ['GET', 'POST'],
  route: 'messages',
  authLevel: 'anonymous',
  handler: handle((request) => (request.method === 'POST' ? create(request) : list(request))),
});

app.http('message', {
  methods: ['GET', 'PATCH', 'DELETE'],
  route: 'messages/{id}',
  authLevel: 'anonymous',
  handler: handle((request) =>
    request.method === 'PATCH' ? modify(request) : request.method === 'DELETE' ? remove(request) : read(request),
  ),
});

app.http('messageAudit', {
  methods: ['GET'],
  route: 'messages/{id}/audit',
  authLevel: 'anonymous',
  handler: handle(audit),
});
