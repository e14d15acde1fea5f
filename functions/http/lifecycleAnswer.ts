/**
 * What a lifecycle action answers once it has acted: the message as its orchestration moved it (200), a 409
 * when someone else moved it first, or a 202 while the orchestration has not moved it yet.
 */
import type { HttpResponseInit } from '@azure/functions';
import { HERALD, type MessageRecord } from '../../core/records.js';
import { messageView } from './messageAccess.js';
import { Problem } from './problem.js';

export const answer = (message: MessageRecord | undefined, expectedBy?: string, heraldMayFollow = false): HttpResponseInit => {
  if (!message) throw new Problem('not-found', 'the message no longer exists');
  const followed = heraldMayFollow && message.lastActor?.id === HERALD.id;
  if (expectedBy && message.lastActor && message.lastActor.id !== expectedBy && !followed) {
    throw new Problem(
      'status-conflict',
      `the message was already ${message.lastAction} by ${message.lastActor.upn}; it is ${message.status}`,
    );
  }
  return { headers: { etag: message.etag }, jsonBody: messageView(message) };
};

/**
 * The answer to a lifecycle action once `settled` returns: the message as the orchestration moved it, or —
 * when it has not moved past `version` within the wait (a busy host) — 202 with the message as it is and
 * where to read it again. Whoever acted last is only judged once the message moved: before, it is still
 * the previous step's actor.
 */
export function answerSettled(
  message: MessageRecord | undefined,
  version: number,
  expectedBy?: string,
  heraldMayFollow = false,
): HttpResponseInit {
  if (!message || message.version > version) return answer(message, expectedBy, heraldMayFollow);
  const accepted = answer(message);
  return {
    ...accepted,
    status: 202,
    headers: { ...(accepted.headers as Record<string, string>), location: `/api/messages/${message.id}`, 'retry-after': '1' },
  };
}
