/**
 * APNs `POST /3/device/{deviceToken}` (HTTP/2 only, as APNs): checks the provider token, the apns-*
 * headers, the device token and the payload as APNs does, then throttling and dead tokens, and records
 * what it accepts. Answers carry `apns-id` and, on failure, APNs' `{"reason"}` body (410 adds `timestamp`).
 */
import { randomUUID } from 'node:crypto';
import { providerTokenProblem, type ApnsKey } from './apnsAuth.js';
import { BodyTooLarge, header, readBody, realSeconds, type Answer, type PushRequest } from './http.js';
import type { PushStore, ReceivedNotification } from './store.js';
import type { Throttling } from './throttle.js';

export const APNS_PATH = '/3/device/';
/** APNs' limit on a notification's payload. */
export const MAX_PAYLOAD_BYTES = 4096;

const PUSH_TYPES = [
  'alert',
  'background',
  'location',
  'voip',
  'complication',
  'fileprovider',
  'mdm',
  'liveactivity',
  'pushtotalk',
  'widgets',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ApnsState {
  key: ApnsKey;
  store: PushStore;
  throttling: Throttling;
  counts: { rejected: number; unregistered: number };
  /** The host clock (epoch ms). */
  now: () => number;
}

const failure = (
  status: number,
  apnsId: string,
  reason: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Answer => ({
  status,
  headers: { 'apns-id': apnsId, ...headers },
  body: { reason, ...extra },
});

/** The request's apns-* headers that shape delivery, as recorded with the notification. */
function apnsHeaders(req: PushRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['apns-push-type', 'apns-priority', 'apns-expiration', 'apns-collapse-id', 'apns-topic', 'apns-id']) {
    const value = header(req.headers, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The first header APNs would refuse, as its reason, or undefined. */
function headerProblem(h: Record<string, string>): string | undefined {
  if (h['apns-id'] !== undefined && !UUID.test(h['apns-id'])) return 'BadMessageId';
  if (h['apns-push-type'] !== undefined && !PUSH_TYPES.includes(h['apns-push-type'])) return 'InvalidPushType';
  if (h['apns-priority'] !== undefined && !['1', '5', '10'].includes(h['apns-priority'])) return 'BadPriority';
  if (h['apns-expiration'] !== undefined && !/^\d+$/.test(h['apns-expiration'])) return 'BadExpirationDate';
  if (h['apns-collapse-id'] !== undefined && Buffer.byteLength(h['apns-collapse-id']) > 64) return 'BadCollapseId';
  return undefined;
}

function record(
  id: string,
  time: number,
  token: string,
  headers: Record<string, string>,
  payload: Record<string, unknown>,
): ReceivedNotification {
  const { aps, ...data } = payload;
  const alert = (aps as { alert?: unknown }).alert;
  const { title, body } =
    typeof alert === 'string' ? { title: undefined, body: alert } : ((alert ?? {}) as { title?: string; body?: string });
  return {
    id,
    platform: 'apns',
    time: new Date(time).toISOString(),
    token,
    ...(headers['apns-topic'] === undefined ? {} : { topic: headers['apns-topic'] }),
    ...(typeof title === 'string' ? { title } : {}),
    ...(typeof body === 'string' ? { body } : {}),
    data,
    ...(headers['apns-collapse-id'] === undefined ? {} : { collapseId: headers['apns-collapse-id'] }),
    ...(headers['apns-priority'] === undefined ? {} : { priority: headers['apns-priority'] }),
    message: { headers, payload },
  };
}

export async function apnsSend(req: PushRequest, deviceToken: string, state: ApnsState): Promise<Answer> {
  const headers = apnsHeaders(req);
  // APNs echoes the request's apns-id, or makes one, on every answer.
  const apnsId = headers['apns-id'] !== undefined && UUID.test(headers['apns-id']) ? headers['apns-id'] : randomUUID();
  const refuse = (status: number, reason: string) => {
    state.counts.rejected++;
    return failure(status, apnsId, reason);
  };
  if (req.method !== 'POST') return refuse(405, 'MethodNotAllowed');
  const tokenProblem = await providerTokenProblem(header(req.headers, 'authorization'), state.key, realSeconds());
  if (tokenProblem) return refuse(403, tokenProblem);
  if (!headers['apns-topic']) return refuse(400, 'MissingTopic');
  if (deviceToken === '') return refuse(400, 'MissingDeviceToken');
  if (!/^[0-9a-f]{64}$/i.test(deviceToken)) return refuse(400, 'BadDeviceToken');
  const badHeader = headerProblem(headers);
  if (badHeader) return refuse(400, badHeader);

  let bytes: Buffer;
  try {
    bytes = await readBody(req, MAX_PAYLOAD_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLarge) return refuse(413, 'PayloadTooLarge');
    throw error;
  }
  if (bytes.length === 0) return refuse(400, 'PayloadEmpty');
  let payload: unknown;
  try {
    payload = JSON.parse(bytes.toString('utf8'));
  } catch {
    payload = undefined;
  }
  // APNs documents no reason for a payload that is not a JSON object with an `aps` dictionary; BadPayload is devhost's word.
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(payload) || !isObject(payload.aps)) return refuse(400, 'BadPayload');

  const throttle = state.throttling.take('apns');
  if (throttle)
    return failure(429, apnsId, throttle.reason ?? 'TooManyRequests', {}, { 'retry-after': String(throttle.retryAfterSeconds) });
  // Device tokens are hex: the same token in either case is the same device.
  const token = deviceToken.toLowerCase();
  const dead = state.store.dead('apns', token);
  if (dead) {
    state.counts.unregistered++;
    return failure(410, apnsId, 'Unregistered', { timestamp: dead.since });
  }
  state.store.add(record(apnsId, state.now(), token, headers, payload));
  return { status: 200, headers: { 'apns-id': apnsId } };
}
