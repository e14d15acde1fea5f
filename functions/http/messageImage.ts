/**
 * A message's image or icon, `/api/messages/{id}/image`: PUT the raw bytes with their Content-Type
 * (PNG, JPEG, GIF or WebP, at most 1 MiB, and the bytes must be that type), GET them back, DELETE them.
 * Changing it changes the draft, so it needs the message's ETag in If-Match like any other edit.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { deleteImage, getImage, imageProblem, putImage } from '../../adapters/stores/imageStore.js';
import { messageStore, StaleMessage } from '../../adapters/stores/messageStore.js';
import { isEditable } from '../../core/lifecycle.js';
import { actor, checkIfMatch, existing, messageView, stale } from './messages.js';
import { handle, Problem } from './problem.js';
import { authorize, signedIn } from './request.js';
import { ACTIONS, can } from '../../core/roles.js';

async function put(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'message.write');
  const message = await existing(caller, request.params.id!);
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
async function get(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await signedIn(request);
  const message = await existing(caller, request.params.id!);
  if (!can(caller, 'message.read') && message.status !== 'Active' && message.status !== 'Delivered')
    throw new Problem('forbidden', `this needs one of the roles ${ACTIONS['message.read'].join(', ')} until the message is sent`);
  const image = message.draft.content?.image;
  const bytes = image ? await getImage(caller.tenantId, message.id, image) : undefined;
  if (!image || !bytes) throw new Problem('not-found', `message ${message.id} has no image`);
  return { headers: { 'content-type': image.contentType, 'cache-control': 'private, max-age=300' }, body: bytes };
}

async function remove(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'message.write');
  const message = await existing(caller, request.params.id!);
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

app.http('messageImage', {
  methods: ['GET', 'PUT', 'DELETE'],
  route: 'messages/{id}/image',
  authLevel: 'anonymous',
  handler: handle((request) => (request.method === 'PUT' ? put(request) : request.method === 'DELETE' ? remove(request) : get(request))),
});
