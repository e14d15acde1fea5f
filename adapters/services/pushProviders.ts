/**
 * Mobile push through the providers' own libraries: Android through FCM HTTP v1 (`firebase-admin`,
 * multicast of up to 500 tokens) and iOS through APNs over HTTP/2 with token auth (`@parse/node-apn`).
 * Each device's result comes back as a SendOutcome; a token the provider calls dead is marked `dead` so the
 * caller stops using it.
 *
 * Settings (adapters/runtime/settings.ts): `FCM_SERVICE_ACCOUNT_FILE` (the service-account JSON); `APNS_KEY_FILE`
 * (.p8), `APNS_KEY_ID`, `APNS_TEAM_ID`, `APNS_TOPIC` (the app's bundle id), `APNS_PRODUCTION` (default true). For
 * local development `PUSH_CONNECT_TO` (host:port) sends both providers' connections there instead — TLS kept,
 * the provider's host name still checked — and `PUSH_CA_FILE` names the certificate authority to trust for it.
 * A failed call's reason names the provider's host (and where the connection was sent instead).
 */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import tls from 'node:tls';
import apn from '@parse/node-apn';
import { cert, initializeApp, type App, type ServiceAccount } from 'firebase-admin/app';
import { getMessaging, type Messaging } from 'firebase-admin/messaging';
import type { SendOutcome } from '../../core/delivery.js';
import type { PushPlatform } from '../../core/notification.js';
import { whyFailed } from '../runtime/outsideCalls.js';
import { apnsSettings, fcmSettings, limits, pushRedirect } from '../runtime/settings.js';

export interface PushTarget {
  /** The caller's key for the result (a device id). */
  id: string;
  platform: PushPlatform;
  token: string;
}

export interface PushContent {
  /** Also the collapse key: a repeat of the same notification replaces the first on the device. */
  notificationId: string;
  title: string;
  body: string;
}

/** What a send came to for one device; `dead`: the provider says the token will never work again. */
export type PushOutcome = SendOutcome & { dead?: boolean };

/** How long a provider keeps trying a device that is offline. */
const EXPIRY_SECONDS = 24 * 3600;
/**
 * How long a throttled device waits: neither library shows the provider's Retry-After, so it is a setting,
 * `PUSH_THROTTLE_PAUSE_SECONDS` (default 30).
 */
const throttlePauseMs = () => limits().pushThrottlePauseMs;
const FCM_MULTICAST = 500;
const FCM_HOST = 'fcm.googleapis.com';
const apnsHost = (production: boolean) => (production ? 'api.push.apple.com' : 'api.sandbox.push.apple.com');

function redirect(): { host: string; port: number; ca?: Buffer } | undefined {
  const to = pushRedirect();
  if (!to) return undefined;
  return { host: to.host, port: to.port, ...(to.caFile ? { ca: readFileSync(to.caFile) } : {}) };
}

/** The provider's host, and where its connections really went, for a failed call's reason. */
function calledAt(host: string): string {
  let to: ReturnType<typeof pushRedirect> | undefined;
  try {
    to = pushRedirect();
  } catch {
    to = undefined;
  }
  return to ? `${host}, connected to ${to.host}:${to.port}` : host;
}

/** An agent whose connections go to PUSH_CONNECT_TO, still speaking TLS to the host name asked for. */
function redirectingAgent(to: { host: string; port: number; ca?: Buffer }): https.Agent {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  agent.createConnection = (options: tls.ConnectionOptions & { host?: string }) =>
    tls.connect({
      ...options,
      host: to.host,
      port: to.port,
      servername: options.servername || options.host,
      ...(to.ca ? { ca: to.ca } : {}),
    });
  return agent;
}

/**
 * firebase-admin's HTTP/2 transport, the one it uses in production, opens its sessions with `http2.connect`
 * and no agent: for the local redirect, sessions to FCM's host alone are given a connection to PUSH_CONNECT_TO
 * instead — h2 over TLS, the host name still checked — and every other session is opened as asked.
 */
let http2Redirected = false;
function redirectHttp2(to: { host: string; port: number; ca?: Buffer }) {
  if (http2Redirected) return;
  http2Redirected = true;
  const connect = http2.connect.bind(http2) as (...args: unknown[]) => http2.ClientHttp2Session;
  http2.connect = ((authority: string | URL, options?: unknown, listener?: unknown) => {
    if (new URL(authority).hostname !== FCM_HOST || typeof options === 'function') return connect(authority, options, listener);
    const createConnection = () =>
      tls.connect({ host: to.host, port: to.port, servername: FCM_HOST, ALPNProtocols: ['h2'], ...(to.ca ? { ca: to.ca } : {}) });
    const session = connect(authority, { ...(options as object), createConnection }, listener);
    // firebase-admin 13 sends `:scheme` as URL.protocol, `https:`. Google's front end takes it; a server that
    // checks RFC 9113 (nghttp2: Node's, so the stand-in's) resets the stream. The RFC's `https` is sent instead.
    const request = session.request.bind(session);
    session.request = ((headers?: http2.OutgoingHttpHeaders, requestOptions?: http2.ClientSessionRequestOptions) =>
      request(headers?.[':scheme'] === 'https:' ? { ...headers, ':scheme': 'https' } : headers, requestOptions)) as typeof session.request;
    return session;
  }) as typeof http2.connect;
}

let fcm: Messaging | undefined;
function messaging(): Messaging {
  if (fcm) return fcm;
  const settings = fcmSettings();
  if (!settings) throw new Error('Android push is not configured: neither FCM_SERVICE_ACCOUNT nor FCM_SERVICE_ACCOUNT_FILE is set');
  const source = settings.serviceAccount;
  const account = JSON.parse('file' in source ? readFileSync(source.file, 'utf8') : source.text) as ServiceAccount & {
    project_id?: string;
  };
  const projectId = account.project_id;
  const to = redirect();
  const agent = to ? redirectingAgent(to) : undefined;
  // A file by its path: given an object, firebase-admin 13 builds its token client without the agent, which
  // only the local redirect (devhost's stand-in, always a file) needs.
  const app: App = initializeApp(
    {
      credential: cert('file' in source ? source.file : account, agent),
      ...(projectId ? { projectId } : {}),
      ...(agent ? { httpAgent: agent } : {}),
    },
    `herald-push-${Date.now()}`,
  );
  fcm = getMessaging(app);
  // The messages go over HTTP/2 as in production (the agent is for the OAuth token client, HTTP/1.1 anyway).
  if (to) redirectHttp2(to);
  return fcm;
}

function apnsConfigured() {
  const settings = apnsSettings();
  if (!settings)
    throw new Error('iOS push is not configured: APNS_KEY (or APNS_KEY_FILE), APNS_KEY_ID, APNS_TEAM_ID and APNS_TOPIC are not set');
  return settings;
}

let apns: apn.Provider | undefined;
function apnsProvider(): apn.Provider {
  if (apns) return apns;
  const settings = apnsConfigured();
  const to = redirect();
  apns = new apn.Provider({
    token: {
      key: 'file' in settings.key ? readFileSync(settings.key.file) : settings.key.text,
      keyId: settings.keyId,
      teamId: settings.teamId,
    },
    production: settings.production,
    ...(to ? { address: to.host, port: to.port, ...(to.ca ? { ca: [to.ca] } : {}) } : {}),
  });
  return apns;
}

/** Sends the notification to every target; one outcome per target id. */
export async function sendPush(content: PushContent, targets: readonly PushTarget[]): Promise<Map<string, PushOutcome>> {
  const out = new Map<string, PushOutcome>();
  const android = targets.filter((t) => t.platform === 'android');
  const ios = targets.filter((t) => t.platform === 'ios');
  await Promise.all([
    ...chunks(android, FCM_MULTICAST).map((part) => sendFcm(content, part, out)),
    ios.length > 0 ? sendApns(content, ios, out) : Promise.resolve(),
  ]);
  return out;
}

const chunks = <T>(items: readonly T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

async function sendFcm(content: PushContent, targets: readonly PushTarget[], out: Map<string, PushOutcome>) {
  try {
    const result = await messaging().sendEachForMulticast({
      tokens: targets.map((t) => t.token),
      notification: { title: content.title, body: content.body },
      data: { notificationId: content.notificationId },
      android: { priority: 'high', collapseKey: content.notificationId, ttl: EXPIRY_SECONDS * 1000 },
    });
    result.responses.forEach((r, i) => out.set(targets[i]!.id, r.success ? { status: 'sent' } : fcmFailure(r.error)));
  } catch (error) {
    const reason = `FCM (${calledAt(FCM_HOST)}): ${whyFailed(error)}`;
    for (const t of targets) out.set(t.id, { status: 'failed', reason, permanent: false });
  }
}

function fcmFailure(error: { code?: string; message?: string } | undefined): PushOutcome {
  const code = error?.code ?? 'messaging/unknown-error';
  const reason = `FCM ${code}: ${error?.message ?? ''}`.trim();
  switch (code) {
    case 'messaging/registration-token-not-registered':
    case 'messaging/invalid-registration-token':
      return { status: 'failed', reason, permanent: true, dead: true };
    case 'messaging/message-rate-exceeded':
    case 'messaging/device-message-rate-exceeded':
    case 'messaging/quota-exceeded':
      return { status: 'throttled', retryAfterMs: throttlePauseMs(), reason };
    case 'messaging/invalid-argument':
    case 'messaging/mismatched-credential':
    case 'messaging/third-party-auth-error':
      return { status: 'failed', reason, permanent: true };
    default:
      // Not about the token: the call itself (network, credentials, the service) failed.
      return { status: 'failed', reason: `${reason} (${calledAt(FCM_HOST)})`, permanent: false };
  }
}

async function sendApns(content: PushContent, targets: readonly PushTarget[], out: Map<string, PushOutcome>) {
  const note = new apn.Notification();
  note.alert = { title: content.title, body: content.body };
  note.payload = { notificationId: content.notificationId };
  note.collapseId = content.notificationId;
  note.pushType = 'alert';
  note.priority = 10;
  note.expiry = Math.floor(Date.now() / 1000) + EXPIRY_SECONDS;
  const byToken = new Map(targets.map((t) => [t.token, t.id]));
  let host = apnsHost(true);
  try {
    const settings = apnsConfigured();
    host = apnsHost(settings.production);
    note.topic = settings.topic;
    const result = await apnsProvider().send(note, [...byToken.keys()]);
    for (const s of result.sent) out.set(byToken.get(s.device)!, { status: 'sent' });
    for (const f of result.failed) out.set(byToken.get(f.device)!, apnsFailure(f, host));
  } catch (error) {
    const reason = `APNs (${calledAt(host)}): ${whyFailed(error)}`;
    for (const t of targets) out.set(t.id, { status: 'failed', reason, permanent: false });
  }
}

function apnsFailure(f: apn.ResponseFailure, host: string): PushOutcome {
  // Without a status APNs never answered: the reason says where the connection went.
  const reason =
    f.status === undefined
      ? `APNs error (${calledAt(host)}): ${f.error ? whyFailed(f.error) : 'no answer'}`
      : `APNs ${f.status} ${f.response?.reason ?? f.error?.message ?? ''}`.trim();
  if (f.status === 410 || f.response?.reason === 'BadDeviceToken' || f.response?.reason === 'Unregistered')
    return { status: 'failed', reason, permanent: true, dead: true };
  if (f.status === 429) return { status: 'throttled', retryAfterMs: throttlePauseMs(), reason };
  if (f.status !== undefined && f.status >= 400 && f.status < 500) return { status: 'failed', reason, permanent: true };
  return { status: 'failed', reason, permanent: false };
}

/** Closes the providers' connections (tests, shutdown). */
export async function closePush(): Promise<void> {
  apns?.shutdown();
  apns = undefined;
  fcm = undefined;
}
