/**
 * Email through Azure Communication Services with the real `EmailClient`: one send per recipient, polled
 * to its end (the SDK's poller, which waits as the service's Retry-After says), and the result as a
 * `SendOutcome`. `beginSend` posts the email and polls once; when that poll already tells the end, as it
 * does when ACS is quick, the send costs those two requests and nothing more — and if the end is Failed,
 * it is `beginSend` that throws, so the outcome comes from the last status ACS answered, wherever it threw.
 * Settings: `ACS_EMAIL_CONNECTION_STRING` (`endpoint=…;accesskey=…`) and `EMAIL_SENDER_ADDRESS` (a verified
 * sender of the ACS resource).
 */
import { createHash } from 'node:crypto';
import { EmailClient, type EmailMessage, type EmailSendResult } from '@azure/communication-email';
import type { SendOutcome } from '../../core/delivery.js';

export interface OutgoingEmail {
  to: { address: string; displayName?: string };
  subject: string;
  html: string;
  plainText: string;
  /** Idempotency key: the same id never sends twice (ACS Operation-Id). */
  operationId: string;
}

export const DEFAULT_SENDER_ADDRESS = 'DoNotReply@herald.example';
/** ACS quotas are per minute; a 429 without Retry-After waits that long. */
const DEFAULT_THROTTLE_MS = 60_000;

let cached: { connectionString: string; client: EmailClient } | undefined;

/** The process's EmailClient (a new one only if the connection string changes, as in tests). */
function emailClient(): EmailClient {
  const connectionString = process.env.ACS_EMAIL_CONNECTION_STRING;
  if (!connectionString) throw new Error('ACS_EMAIL_CONNECTION_STRING is not set: email cannot be sent');
  if (cached?.connectionString !== connectionString) {
    const endpoint = /endpoint=([^;]*)/i.exec(connectionString)?.[1] ?? '';
    const client = new EmailClient(connectionString, {
      // Only a local endpoint (devhost's stand-in) is plain http; the SDK refuses http unless told.
      allowInsecureConnection: endpoint.startsWith('http://'),
      // A 429 goes back to the caller's limiter with its Retry-After instead of blocking this send; any other
      // failure is retried by the caller with the same Operation-Id, which ACS keeps from sending twice.
      retryOptions: { maxRetries: 0 },
    });
    cached = { connectionString, client };
  }
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

function outcomeOfError(error: unknown, lastStatus: EmailSendResult | undefined): SendOutcome {
  // The operation ran and ACS reports how it ended: the SDK throws a generic Error then (from `beginSend` when its
  // own poll saw the end, else from `pollUntilDone`); the status body has the code and message.
  if (lastStatus?.status === 'Failed') {
    const reason = lastStatus.error ? `${lastStatus.error.code}: ${lastStatus.error.message}` : 'Failed';
    return { status: 'failed', reason, permanent: true };
  }
  if (lastStatus?.status === 'Canceled') return { status: 'failed', reason: 'Canceled: ACS cancelled the send', permanent: false };
  if (!isRestError(error)) return { status: 'failed', reason: (error as Error).message, permanent: false };
  const status = error.statusCode;
  const reason = `${[status, error.code].filter(Boolean).join(' ')}: ${error.message}`;
  if (status === 429) return { status: 'throttled', retryAfterMs: retryAfterMs(error.response), reason };
  // A request ACS refuses (bad key, invalid email, Operation-Id reused for another email) fails the same way again.
  const permanent = status !== undefined && status >= 400 && status < 500 && status !== 408;
  return { status: 'failed', reason, permanent };
}

export async function sendEmail(tenantId: string, email: OutgoingEmail): Promise<SendOutcome> {
  const message: EmailMessage = {
    senderAddress: process.env.EMAIL_SENDER_ADDRESS || DEFAULT_SENDER_ADDRESS,
    content: { subject: email.subject, html: email.html, plainText: email.plainText },
    recipients: { to: [email.to] },
    // Herald's click links already count engagement; ACS's tracking would rewrite them.
    disableUserEngagementTracking: true,
  };
  let lastStatus: EmailSendResult | undefined;
  try {
    const poller = await emailClient().beginSend(message, {
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
    return outcomeOfError(error, lastStatus);
  }
}
