/**
 * Reaching a message on behalf of a caller, for every route under `/api/messages/{id}` and those that name
 * a message: it must be of the caller's tenant (one of another tenant answers 404, exactly as one that does
 * not exist: its existence is not ours to reveal), a change must name the version it changes, and what is
 * answered is the message's view.
 */
import type { HttpRequest } from '@azure/functions';
import type { Caller } from '../../adapters/runtime/auth.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import type { Actor, MessageRecord } from '../../core/records.js';
import { Problem } from './problem.js';
import type { MessageView } from './schemas/messageSchemas.js';

export const actor = (caller: Caller): Actor => ({ id: caller.userId, upn: caller.upn, name: caller.name });

export const messageView = (m: MessageRecord): MessageView => ({
  id: m.id,
  status: m.status,
  ...m.draft,
  createdBy: { id: m.author.id, upn: m.author.upn, name: m.author.name },
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
  ...(m.lifecycle ? { lifecycle: m.lifecycle } : {}),
  ...(m.lifecycleEnded ? { lifecycleEnded: m.lifecycleEnded } : {}),
});

export const notFound = (id: string) => new Problem('not-found', `there is no message ${id}`);

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
