/**
 * FCM HTTP v1 `POST /v1/projects/{project}/messages:send`: checks the bearer token from the token endpoint,
 * the project, and the message (see fcmMessage.ts), then throttling and dead tokens, and records what it
 * accepts. Answers are FCM's, so firebase-admin maps them to its own error codes unchanged.
 */
import { randomBytes } from 'node:crypto';
import { invalidArgument, notFound, permissionDenied, quotaExceeded, unauthenticated, unregistered } from './fcmErrors.js';
import { checkSendRequest, type FcmMessage } from './fcmMessage.js';
import { BodyTooLarge, decodeSegment, header, readBody, realSeconds, type Answer, type PushRequest } from './http.js';
import type { AccessTokens } from './oauth.js';
import type { PushStore, ReceivedNotification } from './store.js';
import type { Throttling } from './throttle.js';

/** Far above any valid message (4096 bytes of payload): a body this large is refused without being read whole. */
const MAX_REQUEST_BYTES = 64 * 1024;

export const FCM_SEND_PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;

export interface FcmState {
  tokens: AccessTokens;
  store: PushStore;
  throttling: Throttling;
  /** Requests refused for any reason but throttling and dead tokens, and answers for dead tokens. */
  counts: { rejected: number; unregistered: number };
  /** The host clock (epoch ms): the time recorded on what is accepted. */
  now: () => number;
}

const alertOf = (payload: Record<string, unknown> | undefined): { title?: string; body?: string } => {
  const alert = (payload?.aps as { alert?: unknown } | undefined)?.alert;
  if (typeof alert === 'string') return { body: alert };
  return typeof alert === 'object' && alert !== null ? (alert as { title?: string; body?: string }) : {};
};

function record(id: string, time: number, m: FcmMessage): ReceivedNotification {
  const apnsAlert = alertOf(m.apns?.payload);
  const title = m.notification?.title ?? m.android?.notification?.title ?? apnsAlert.title;
  const body = m.notification?.body ?? m.android?.notification?.body ?? apnsAlert.body;
  const collapseId = m.android?.collapse_key ?? m.apns?.headers?.['apns-collapse-id'];
  return {
    id,
    platform: 'fcm',
    time: new Date(time).toISOString(),
    ...(m.token === undefined ? {} : { token: m.token }),
    ...(m.topic === undefined ? {} : { topic: m.topic }),
    ...(m.condition === undefined ? {} : { condition: m.condition }),
    ...(title === undefined ? {} : { title }),
    ...(body === undefined ? {} : { body }),
    data: m.data ?? m.android?.data ?? {},
    ...(collapseId === undefined ? {} : { collapseId }),
    ...(m.android?.priority === undefined ? {} : { priority: m.android.priority }),
    message: m,
  };
}

export async function fcmSend(req: PushRequest, project: string, state: FcmState): Promise<Answer> {
  const refuse = (answer: Answer) => {
    state.counts.rejected++;
    return answer;
  };
  if (req.method !== 'POST') return refuse(notFound('Method not found.'));
  const bearer = /^Bearer\s+(\S+)$/i.exec(header(req.headers, 'authorization') ?? '');
  if (!bearer) return refuse(unauthenticated('no Bearer access token'));
  const grant = state.tokens.verify(bearer[1]!, realSeconds());
  if (typeof grant === 'string') return refuse(unauthenticated(grant));
  if (grant.projectId !== decodeSegment(project)) return refuse(permissionDenied(decodeSegment(project)));

  let body: unknown;
  try {
    body = JSON.parse((await readBody(req, MAX_REQUEST_BYTES)).toString('utf8'));
  } catch (error) {
    if (error instanceof BodyTooLarge) return refuse(invalidArgument(`Message is too big: ${error.message}.`, 'message', true));
    return refuse(invalidArgument('Invalid JSON payload received. Unexpected token.', '', false));
  }
  const checked = checkSendRequest(body);
  if (!checked.ok) return refuse(invalidArgument(checked.message, checked.field, checked.fcmError));

  const throttle = state.throttling.take('fcm');
  if (throttle) return quotaExceeded(throttle.retryAfterSeconds);
  const { message } = checked;
  if (message.token !== undefined && state.store.dead('fcm', message.token)) {
    state.counts.unregistered++;
    return unregistered();
  }
  // A dry run (validate_only) is checked like a send but delivers nothing; FCM names it with this fixed id.
  if (checked.validateOnly) return { status: 200, body: { name: `projects/${project}/messages/fake_message_id` } };
  const now = state.now();
  const id = `0:${now}%${randomBytes(8).toString('hex')}`;
  state.store.add(record(id, now, message));
  return { status: 200, body: { name: `projects/${project}/messages/${id}` } };
}
