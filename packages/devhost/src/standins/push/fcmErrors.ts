/**
 * FCM HTTP v1's error answers: Google's `{"error":{"code","message","status","details"}}`, with the
 * `google.firebase.fcm.v1.FcmError` detail whose `errorCode` firebase-admin reads first (UNREGISTERED
 * becomes `messaging/registration-token-not-registered`, QUOTA_EXCEEDED `messaging/message-rate-exceeded`,
 * INVALID_ARGUMENT `messaging/invalid-argument`); without that detail it reads `status`.
 */
import type { Answer } from './http.js';

const FCM_ERROR = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';

function googleError(code: number, status: string, message: string, details: unknown[] = [], headers: Record<string, string> = {}): Answer {
  return { status: code, headers, body: { error: { code, message, status, ...(details.length ? { details } : {}) } } };
}

/** A request FCM refuses as malformed; `fcmError` adds FCM's own detail, as FCM does for its rules (not for protobuf JSON errors). */
export const invalidArgument = (message: string, field: string, fcmError: boolean): Answer =>
  googleError(400, 'INVALID_ARGUMENT', message, [
    ...(fcmError ? [{ '@type': FCM_ERROR, errorCode: 'INVALID_ARGUMENT' }] : []),
    { '@type': BAD_REQUEST, fieldViolations: [{ field, description: message }] },
  ]);

export const unregistered = (): Answer =>
  googleError(404, 'NOT_FOUND', 'Requested entity was not found.', [{ '@type': FCM_ERROR, errorCode: 'UNREGISTERED' }]);

export const quotaExceeded = (retryAfterSeconds: number): Answer =>
  googleError(
    429,
    'RESOURCE_EXHAUSTED',
    "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' of service 'fcm.googleapis.com'.",
    [{ '@type': FCM_ERROR, errorCode: 'QUOTA_EXCEEDED' }],
    { 'retry-after': String(retryAfterSeconds) },
  );

export const unauthenticated = (why: string): Answer =>
  googleError(
    401,
    'UNAUTHENTICATED',
    `Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. (${why})`,
    [],
    { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
  );

export const permissionDenied = (project: string): Answer =>
  googleError(
    403,
    'PERMISSION_DENIED',
    `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}' (or it may not exist).`,
  );

export const notFound = (what: string): Answer => googleError(404, 'NOT_FOUND', what);
