/**
 * A message's image or icon, `/api/messages/{id}/image`: PUT the raw bytes with their Content-Type
 * (PNG, JPEG, GIF or WebP, at most 1 MiB, and the bytes must be that type), GET them back, DELETE them.
 * Changing it changes the draft, so it needs the message's ETag in If-Match like any other edit.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Caller } from '../../adapters/runtime/auth.js';
import { deleteImage, getImage, IMAGE_TYPES, imageProblem, MAX_IMAGE_BYTES, putImage } from '../../adapters/stores/imageStore.js';
import { messageStore, StaleMessage } from '../../adapters/stores/messageStore.js';
import { isEditable } from '../../core/lifecycle.js';
import { ACTIONS, can } from '../../core/roles.js';
import { actor, checkIfMatch, existing, messageView, stale } from './messageAccess.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { MESSAGE_PARAMS, messageResponse } from './schemas/messageSchemas.js';

async function put(request: HttpRequest, caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  checkIfMatch(request, message, true);
  if (!isEditable(message.status))
    throw new Problem('status-conflict', `only a Draft's image can change; the message is ${message.status}`);
  const contentType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const bytes = Buffer.from(await request.arrayBuffer());
  const problem = imageProblem(bytes, contentType);
  if (problem) throw new Problem('validation', `the image ${problem}`, [{ path: 'image', message: problem }]);
  const image = await putImage(caller.tenantId, message.id, bytes, contentType);
  const draft = { ...message.draft, content: { ...message.draft.content, image } };
  try {
    const saved = await messageStore().modify(caller.tenantId, message, draft, actor(caller), ['content']);
    const previous = message.draft.content?.image;
    if (previous) await deleteImage(caller.tenantId, message.id, previous);
    return { headers: { etag: saved.etag }, jsonBody: messageView(saved) };
  } catch (error) {
    await deleteImage(caller.tenantId, message.id, image);
    if (error instanceof StaleMessage) throw stale(message);
    throw error;
  }
}

/**
 * Writers and approvers read any message's image; anyone else signed in to the tenant reads the image of a
 * message that has gone out (Active or Delivered), which devices show beside the inbox text.
 */
async function get(caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  if (!can(caller, 'message.read') && message.status !== 'Active' && message.status !== 'Delivered')
    throw new Problem('forbidden', `this needs one of the roles ${ACTIONS['message.read'].join(', ')} until the message is sent`);
  const image = message.draft.content?.image;
  const bytes = image ? await getImage(caller.tenantId, message.id, image) : undefined;
  if (!image || !bytes) throw new Problem('not-found', `message ${message.id} has no image`);
  return { headers: { 'content-type': image.contentType, 'cache-control': 'private, max-age=300' }, body: bytes };
}

async function remove(request: HttpRequest, caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  checkIfMatch(request, message, true);
  if (!isEditable(message.status))
    throw new Problem('status-conflict', `only a Draft's image can change; the message is ${message.status}`);
  const image = message.draft.content?.image;
  if (!image) throw new Problem('not-found', `message ${message.id} has no image`);
  const { image: _removed, ...content } = message.draft.content ?? {};
  try {
    const saved = await messageStore().modify(caller.tenantId, message, { ...message.draft, content }, actor(caller), ['content']);
    await deleteImage(caller.tenantId, message.id, image);
    return { headers: { etag: saved.etag }, jsonBody: messageView(saved) };
  } catch (error) {
    if (error instanceof StaleMessage) throw stale(message);
    throw error;
  }
}

// Raw bytes: OpenAPI 3.1 describes a binary body by its media type alone (no schema).
const image = Object.fromEntries(IMAGE_TYPES.map((type) => [type, {}]));

route({
  name: 'messageImage',
  route: 'messages/{id}/image',
  tag: 'messages',
  params: MESSAGE_PARAMS,
  methods: (op) => ({
    GET: op({
      operationId: 'getMessageImage',
      summary: 'A message’s image',
      description:
        'Writers and approvers (Messages.Write, Messages.Approve) read any message’s image; any other user of the tenant once ' +
        'the message is Active or Delivered (devices show it in the inbox), 403 before.',
      role: 'device',
      response: { status: 200, description: 'The image bytes.', content: image },
      problems: ['forbidden', 'not-found'],
      handler: async ({ caller, params }) => get(caller, params.id),
    }),
    PUT: op({
      operationId: 'putMessageImage',
      summary: 'Set a draft’s image',
      description: `The raw bytes with their Content-Type (${IMAGE_TYPES.join(', ')}), at most ${MAX_IMAGE_BYTES} bytes; the bytes must be of that type.`,
      role: 'message.write',
      body: { content: image, description: 'The image.' },
      ifMatch: 'required',
      response: messageResponse(200, 'The draft with its new image.'),
      problems: ['validation', 'not-found', 'status-conflict'],
      handler: async ({ request, caller, params }) => put(request, caller, params.id),
    }),
    DELETE: op({
      operationId: 'deleteMessageImage',
      summary: 'Remove a draft’s image',
      role: 'message.write',
      ifMatch: 'required',
      response: messageResponse(200, 'The draft without its image.'),
      problems: ['not-found', 'status-conflict'],
      handler: async ({ request, caller, params }) => remove(request, caller, params.id),
    }),
  }),
});
