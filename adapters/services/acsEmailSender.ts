/**
 * Email through Azure Communication Services. A bulk delivery sends in two steps (`submitEmail`, then
 * `emailStatus` once the chunk's sends are in): ACS's REST API through the Azure SDK's own REST client and
 * ACS auth policy, so no send waits on its poll and no per-send poller is built. A single email
 * (`sendEmail`: approvals, actionable emails) goes through the real `EmailClient`, one send polled
 * to its end (the SDK's poller, which waits as the service's Retry-After says), and the result as a
 * `SendOutcome`. `beginSend` posts the email and polls once; when that poll already tells the end, as it
 * does when ACS is quick, the send costs those two requests and nothing more — and if the end is Failed,
 * it is `beginSend` that throws, so the outcome comes from the last status ACS answered, wherever it threw.
 * Settings (adapters/runtime/settings.ts `emailSettings`): `ACS_EMAIL_CONNECTION_STRING` (`endpoint=…;accesskey=…`,
 * when a user supplies the key) or `ACS_EMAIL_ENDPOINT` (sent as the app's identity, as the deployment does),
 * and `EMAIL_SENDER_ADDRESS` (a verified sender of the ACS resource).
 */
import { createHash } from 'node:crypto';
import { createCommunicationAuthPolicy, parseClientArguments } from '@azure/communication-common';
import { EmailClient, type EmailMessage, type EmailSendResult } from '@azure/communication-email';
import { createEmptyPipeline, createHttpHeaders, createPipelineRequest, type Pipeline } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import type { SendOutcome } from '../../core/delivery.js';
import { appCredential } from '../runtime/credentials.js';
import { emailSettings, type EmailSettings } from '../runtime/settings.js';
import { keepAliveHttpClient } from './keepAliveHttpClient.js';

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

/** The REST API version `EmailClient` 1.1 speaks; the stand-in and ACS both answer it. */
const API_VERSION = '2025-09-01';
/** When ACS says Running without a Retry-After: the SDK poller's own default interval. */
const DEFAULT_POLL_MS = 2_000;

let rest: { settings: EmailSettings; pipeline: Pipeline; endpoint: string } | undefined;
const httpClient = keepAliveHttpClient();

/**
 * ACS's own auth policy (HMAC with the key, or the app's bearer token) and nothing else: no retries (as
 * `emailClientFor`), and none of the SDK's per-request layers, which cost as much CPU as the request.
 */
function restPipeline(s: EmailSettings) {
  if (rest?.settings === s) return rest;
  const { url, credential } =
    s.kind === 'connectionString' ? parseClientArguments(s.connectionString) : parseClientArguments(s.endpoint, appCredential());
  const pipeline = createEmptyPipeline();
  pipeline.addPolicy(createCommunicationAuthPolicy(credential));
  rest = { settings: s, pipeline, endpoint: url };
  return rest;
}

/** ACS took the send (202): how it ends is `emailStatus`'s to tell. */
export type SubmitOutcome = { status: 'accepted' } | SendOutcome;
/** How an accepted send stands: ended (sent or failed), still running, or unknown to ACS (never received). */
export type StatusOutcome = SendOutcome | { status: 'running'; retryAfterMs: number } | { status: 'unknown' };

interface RestResponse {
  status: number;
  headers: { get(name: string): string | undefined };
  body: unknown;
}

async function call(s: EmailSettings, method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}) {
  const { pipeline, endpoint } = restPipeline(s);
  const request = createPipelineRequest({
    url: new URL(`${path}?api-version=${API_VERSION}`, endpoint).href,
    method,
    allowInsecureConnection: s.plainHttp,
    headers: createHttpHeaders({
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const response = await pipeline.sendRequest(httpClient, request);
  const text = response.bodyAsText;
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined } as RestResponse;
}

/** A non-2xx answer as the RestError shape `outcomeOfError` reads. */
function responseError(r: RestResponse): RestErrorLike {
  const error = (r.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return Object.assign(new Error(error?.message ?? `ACS answered ${r.status}`), {
    name: 'RestError' as const,
    statusCode: Number(r.status),
    ...(error?.code ? { code: error.code } : {}),
    response: { headers: r.headers },
  });
}

function settingsOrFailure(): EmailSettings | SendOutcome {
  try {
    return emailSettings();
  } catch (error) {
    return { status: 'failed', reason: (error as Error).message, permanent: false };
  }
}

/**
 * Posts the email under its Operation-Id and returns once ACS has accepted it, without polling: a repeat of
 * the same Operation-Id and email is the same operation to ACS, so a send after a crash is never twice.
 */
export async function submitEmail(tenantId: string, email: OutgoingEmail): Promise<SubmitOutcome> {
  const settings = settingsOrFailure();
  if ('status' in settings) return settings;
  const body = {
    senderAddress: email.from ?? settings.senderAddress,
    content: { subject: email.subject, html: email.html, plainText: email.plainText },
    recipients: { to: [email.to] },
    // Herald's click links already count engagement; ACS's tracking would rewrite them.
    userEngagementTrackingDisabled: true,
  };
  try {
    const r = await call(settings, 'POST', '/emails:send', body, { 'Operation-Id': emailOperationId(tenantId, email.operationId) });
    if (r.status === 202 || r.status === 200) return { status: 'accepted' };
    return outcomeOfError(responseError(r), undefined, settings.endpoint);
  } catch (error) {
    return outcomeOfError(error, undefined, settings.endpoint);
  }
}

/** How the send of Herald's `operationId` stands at ACS (`GET /emails/operations/{id}`). */
export async function emailStatus(tenantId: string, operationId: string): Promise<StatusOutcome> {
  const settings = settingsOrFailure();
  if ('status' in settings) return settings;
  try {
    const r = await call(settings, 'GET', `/emails/operations/${emailOperationId(tenantId, operationId)}`);
    if (r.status === 404) return { status: 'unknown' };
    if (r.status !== 200) return outcomeOfError(responseError(r), undefined, settings.endpoint);
    const result = r.body as EmailSendResult;
    if (result.status === 'Succeeded') return { status: 'sent' };
    if (result.status === 'Failed' || result.status === 'Canceled') return outcomeOfError(new Error('ended'), result, settings.endpoint);
    const seconds = Number(r.headers.get('retry-after'));
    return { status: 'running', retryAfterMs: Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_POLL_MS };
  } catch (error) {
    return outcomeOfError(error, undefined, settings.endpoint);
  }
}
