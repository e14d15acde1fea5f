/**
 * Email through Azure Communication Services with the real `EmailClient`: one send per recipient, polled
 * to its end (the SDK's poller, which waits as the service's Retry-After says), and the result as a
 * `SendOutcome`. `beginSend` posts the email and polls once; when that poll already tells the end, as it
 * does when ACS is quick, the send costs those two requests and nothing more — and if the end is Failed,
 * it is `beginSend` that throws, so the outcome comes from the last status ACS answered, wherever it threw.
 * Settings (adapters/runtime/settings.ts `emailSettings`): `ACS_EMAIL_CONNECTION_STRING` (`endpoint=…;accesskey=…`,
 * when a user supplies the key) or `ACS_EMAIL_ENDPOINT` (sent as the app's identity, as the deployment does),
 * and `EMAIL_SENDER_ADDRESS` (a verified sender of the ACS resource).
 */
import { createHash } from 'node:crypto';
import { EmailClient, type EmailMessage, type EmailSendResult } from '@azure/communication-email';
import type { TokenCredential } from '@azure/identity';
import type { SendOutcome } from '../../core/delivery.js';
import { appCredential } from '../runtime/credentials.js';
import { emailSettings, type EmailSettings } from '../runtime/settings.js';

export interface OutgoingEmail {
  to: { address: string; displayName?: string };
  subject: string;
  html: string;
  plainText: string;
  /** Idempotency key: the same id never sends twice (ACS Operation-Id). */
  operationId: string;
  /** Another verified sender of the email domain than EMAIL_SENDER_ADDRESS: an actionable email's provider address. */
  from?: string;
}

/** ACS quotas are per minute; a 429 without Retry-After waits that long. */
const DEFAULT_THROTTLE_MS = 60_000;

/** An EmailClient for the settings: with the key a user supplied, else with the app's identity. */
export function emailClientFor(s: EmailSettings, credential: () => TokenCredential = appCredential): EmailClient {
  const options = {
    // The SDK refuses http unless told; only devhost's stand-in is http.
    allowInsecureConnection: s.plainHttp,
    // A 429 goes back to the caller's limiter with its Retry-After instead of blocking this send; any other
    // failure is retried by the caller with the same Operation-Id, which ACS keeps from sending twice.
    retryOptions: { maxRetries: 0 },
  };
  return s.kind === 'connectionString' ? new EmailClient(s.connectionString, options) : new EmailClient(s.endpoint, credential(), options);
}

let cached: { settings: EmailSettings; client: EmailClient } | undefined;

/** The process's EmailClient (a new one only if the settings change, as in tests). */
function emailClient(s: EmailSettings): EmailClient {
  if (cached?.settings !== s) cached = { settings: s, client: emailClientFor(s) };
  return cached.client;
}

/**
 * The Operation-Id ACS gets for Herald's `operationId`: ACS wants a UUID, and one ACS resource serves every
 * tenant, so it is a UUID derived from both (same inputs, same id).
 */
export function emailOperationId(tenantId: string, operationId: string): string {
  const hex = createHash('sha256').update(`${tenantId}\n${operationId}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface RestErrorLike {
  name: 'RestError';
  message: string;
  code?: string;
  statusCode?: number;
  response?: { headers: { get(name: string): string | undefined } };
}
const isRestError = (error: unknown): error is RestErrorLike => error instanceof Error && error.name === 'RestError';

function retryAfterMs(response: RestErrorLike['response']): number {
  const header = (name: string) => response?.headers.get(name);
  const ms = Number(header('retry-after-ms') ?? header('x-ms-retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = header('retry-after');
  if (value === undefined) return DEFAULT_THROTTLE_MS;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : DEFAULT_THROTTLE_MS;
}

function outcomeOfError(error: unknown, lastStatus: EmailSendResult | undefined, endpoint: string): SendOutcome {
  // The operation ran and ACS reports how it ended: the SDK throws a generic Error then (from `beginSend` when its
  // own poll saw the end, else from `pollUntilDone`); the status body has the code and message.
  if (lastStatus?.status === 'Failed') {
    const reason = lastStatus.error ? `${lastStatus.error.code}: ${lastStatus.error.message}` : 'Failed';
    return { status: 'failed', reason, permanent: true };
  }
  if (lastStatus?.status === 'Canceled') return { status: 'failed', reason: 'Canceled: ACS cancelled the send', permanent: false };
  // Where it failed goes into the reason, which is what the delivery log and the recipient's row keep.
  const where = ` (ACS ${endpoint})`;
  if (!isRestError(error)) return { status: 'failed', reason: `${(error as Error).message}${where}`, permanent: false };
  const status = error.statusCode;
  const reason = `${[status, error.code].filter(Boolean).join(' ')}: ${error.message}${where}`;
  if (status === 429) return { status: 'throttled', retryAfterMs: retryAfterMs(error.response), reason };
  // A request ACS refuses (bad key, invalid email, Operation-Id reused for another email) fails the same way again.
  const permanent = status !== undefined && status >= 400 && status < 500 && status !== 408;
  return { status: 'failed', reason, permanent };
}

export async function sendEmail(tenantId: string, email: OutgoingEmail): Promise<SendOutcome> {
  let settings: EmailSettings;
  try {
    settings = emailSettings();
  } catch (error) {
    return { status: 'failed', reason: (error as Error).message, permanent: false };
  }
  const message: EmailMessage = {
    senderAddress: email.from ?? settings.senderAddress,
    content: { subject: email.subject, html: email.html, plainText: email.plainText },
    recipients: { to: [email.to] },
    // Herald's click links already count engagement; ACS's tracking would rewrite them.
    disableUserEngagementTracking: true,
  };
  let lastStatus: EmailSendResult | undefined;
  try {
    const poller = await emailClient(settings).beginSend(message, {
      operationId: emailOperationId(tenantId, email.operationId),
      // Every response of this send, the POST's and each poll's: the last status read is how the send stands.
      onResponse: (raw) => {
        const body = raw.parsedBody as Partial<EmailSendResult> | undefined;
        if (body?.status) lastStatus = body as EmailSendResult;
      },
    });
    const result = await poller.pollUntilDone();
    if (result.status === 'Succeeded') return { status: 'sent' };
    return { status: 'failed', reason: `ACS ended the send as ${result.status}`, permanent: false };
  } catch (error) {
    return outcomeOfError(error, lastStatus, settings.endpoint);
  }
}
