/**
 * The messages resource, `/api/messages`: writers create, read, list, modify and delete drafts; every
 * change leaves an audit row. Submitting and deciding belong to the lifecycle and live elsewhere.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { InvalidContinuation, messageStore, StaleMessage } from '../../adapters/stores/messageStore.js';
import { messageTotals } from '../../adapters/stores/reportStore.js';
import { templateCatalog } from '../../adapters/rendering/templateCatalog.js';
import { deleteImage } from '../../adapters/stores/imageStore.js';
import { isDeletable, isEditable } from '../../core/lifecycle.js';
import { applyTemplate } from '../../core/templates.js';
import { figures } from '../../core/reportMath.js';
import { actor, checkIfMatch, existing, messageView, notFound, stale } from './messageAccess.js';
import { Problem, validationProblem } from './problem.js';
import { route } from './routes.js';
import {
  AuditTrail,
  DraftInput,
  DraftPatch,
  ListParams,
  MESSAGE_PARAMS,
  MessagePage,
  messageResponse,
  type MessageView,
} from './schemas/messageSchemas.js';

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

/**
 * The image is set only through `/image`, which checks the bytes and owns the blob: whatever a client sends
 * in `content.image` is replaced by what is stored (so a GET can be PATCHed back unchanged).
 */
function withImage(draft: DraftInput, image: NonNullable<DraftInput['content']>['image']): DraftInput {
  if (!draft.content) return draft;
  const { image: _ignored, ...content } = draft.content;
  return { ...draft, content: image ? { ...content, image } : content };
}

/**
 * A pre-made message's words are its template's (`applyTemplate`); words sent for an email template are
 * refused, as those templates are not customisable.
 */
function withTemplate(draft: DraftInput): DraftInput {
  const applied = applyTemplate(draft, templateCatalog());
  if (applied.problems.length > 0)
    throw new Problem('validation', applied.problems.map((p) => `${p.path} ${p.message}`).join('; '), applied.problems);
  return applied.draft;
}

/**
 * An image a copy took from its original stays only while the location does ("As long as the Location of
 * the copied message remains the same, images from the copied message are automatically copied").
 */
function withoutCopiedImage(before: DraftInput, after: DraftInput): DraftInput {
  if (!after.content?.image?.copiedFrom || after.location === before.location) return after;
  const { image: _dropped, ...content } = after.content;
  return { ...after, content };
}

async function create(request: HttpRequest, caller: Caller, input: DraftInput): Promise<HttpResponseInit> {
  const draft = withTemplate(withImage(input, undefined));
  const message = await messageStore().create(caller.tenantId, draft, actor(caller));
  return { status: 201, headers: { location: messageUrl(request, message.id), etag: message.etag }, jsonBody: messageView(message) };
}

async function list(caller: Caller, params: z.output<typeof ListParams>): Promise<HttpResponseInit> {
  try {
    const page = await messageStore().list(caller.tenantId, params);
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

async function read(caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  const totals = await messageTotals(caller.tenantId, [message.id]);
  return { headers: { etag: message.etag }, jsonBody: withActivity(messageView(message), totals.get(message.id)) };
}

async function modify(request: HttpRequest, caller: Caller, id: string, patch: z.output<typeof DraftPatch>): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  checkIfMatch(request, message, true);
  if (!isEditable(message.status)) throw new Problem('status-conflict', `only a Draft can be modified; the message is ${message.status}`);
  const merged: Record<string, unknown> = { ...message.draft, ...patch };
  for (const [field, value] of Object.entries(patch)) if (value === null) delete merged[field];
  const parsed = DraftInput.safeParse(merged);
  if (!parsed.success) throw validationProblem(parsed.error.issues);
  const draft = withoutCopiedImage(message.draft, withTemplate(withImage(parsed.data, message.draft.content?.image)));
  const before = message.draft as Record<string, unknown>;
  const after = draft as Record<string, unknown>;
  // A template's words or a dropped copied image change `content` even when the patch did not name it.
  const fields = [...new Set([...Object.keys(patch), 'content'])].filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
  // Saving an unchanged wizard step is not a change: no new ETag, no audit row.
  if (fields.length === 0) return { headers: { etag: message.etag }, jsonBody: messageView(message) };
  try {
    const saved = await messageStore().modify(caller.tenantId, message, draft, actor(caller), fields);
    const dropped = message.draft.content?.image;
    if (dropped && !saved.draft.content?.image) await deleteImage(caller.tenantId, message.id, dropped);
    return { headers: { etag: saved.etag }, jsonBody: messageView(saved) };
  } catch (error) {
    if (error instanceof StaleMessage) throw stale(message);
    throw error;
  }
}

async function remove(request: HttpRequest, caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
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

async function audit(caller: Caller, id: string): Promise<HttpResponseInit> {
  // The trail outlives a deleted message, so it is looked up on its own; an empty one means no such message.
  const entries = await messageStore().audit(caller.tenantId, id);
  if (entries.length === 0) throw notFound(id);
  const body: z.output<typeof AuditTrail> = { items: entries };
  return { jsonBody: body };
}

route({
  name: 'messages',
  route: 'messages',
  tag: 'messages',
  methods: (op) => ({
    GET: op({
      operationId: 'listMessages',
      summary: 'List the tenant’s messages, newest first',
      description: 'Filters combine; `name` matches names that start with it, ignoring case.',
      role: 'message.read',
      query: ListParams,
      response: { status: 200, description: 'A page of messages.', schema: MessagePage },
      problems: [],
      handler: async ({ caller, query }) => list(caller, query()),
    }),
    POST: op({
      operationId: 'createMessage',
      summary: 'Create a draft',
      role: 'message.write',
      body: DraftInput,
      response: messageResponse(201, 'The new draft.'),
      problems: [],
      handler: async ({ request, caller, body }) => create(request, caller, await body()),
    }),
  }),
});

route({
  name: 'message',
  route: 'messages/{id}',
  tag: 'messages',
  params: MESSAGE_PARAMS,
  methods: (op) => ({
    GET: op({
      operationId: 'getMessage',
      summary: 'Read a message',
      role: 'message.read',
      response: messageResponse(200, 'The message; its ETag is what to send as If-Match to change it.'),
      problems: ['not-found'],
      handler: async ({ caller, params }) => read(caller, params.id),
    }),
    PATCH: op({
      operationId: 'modifyMessage',
      summary: 'Modify a draft',
      description: 'Only a Draft can be modified. A patch that changes nothing keeps the ETag and leaves no audit row.',
      role: 'message.write',
      body: DraftPatch,
      ifMatch: 'required',
      response: messageResponse(200, 'The modified draft.'),
      problems: ['not-found', 'status-conflict'],
      handler: async ({ request, caller, params, body }) => modify(request, caller, params.id, await body()),
    }),
    DELETE: op({
      operationId: 'deleteMessage',
      summary: 'Delete a message',
      description: 'An Active message cannot be deleted: cancel it first. The audit trail remains.',
      role: 'message.write',
      ifMatch: 'optional',
      response: { status: 204, description: 'Deleted.' },
      problems: ['not-found', 'status-conflict'],
      handler: async ({ request, caller, params }) => remove(request, caller, params.id),
    }),
  }),
});

route({
  name: 'messageAudit',
  route: 'messages/{id}/audit',
  tag: 'messages',
  params: MESSAGE_PARAMS,
  method: 'GET',
  operationId: 'getMessageAudit',
  summary: 'A message’s audit trail',
  description: 'Every change, oldest first; it outlives a deleted message.',
  role: 'message.read',
  response: { status: 200, description: 'The audit trail.', schema: AuditTrail },
  problems: ['not-found'],
  handler: async ({ caller, params }) => audit(caller, params.id),
});
