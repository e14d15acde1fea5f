import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { Agent, request, type AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import apn from '@parse/node-apn';
import { SignJWT } from 'jose';
import { cert, deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getMessaging, type Messaging } from 'firebase-admin/messaging';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { PushConnection } from '../../../src/standins/push.js';
import type { ReceivedNotification } from '../../../src/standins/push/store.js';
import { freePort } from '../../../src/storage/azurite.js';
import { startHost, type TestHost } from '../../../src/testing.js';

const APP = 'test/fixtures/devhost/web';
const CLOCK = '2031-05-01T08:00:00.000Z';
const BUNDLE_ID = 'com.contoso.messages';

/**
 * The Agent trick a client copies: every connection goes to the stand-in on 127.0.0.1, with the real
 * service's host name as TLS server name, trusting only the stand-in's CA.
 */
class StandInAgent extends Agent {
  constructor(
    private readonly push: PushConnection,
    options: AgentOptions = {},
  ) {
    super({ keepAlive: true, maxSockets: 16, ...options });
  }
  override createConnection(options: { host?: string; servername?: string }): Duplex {
    return connect({ host: '127.0.0.1', port: this.push.port, servername: options.servername || options.host, ca: this.push.caPem });
  }
}

const serviceAccountOf = (push: PushConnection) =>
  JSON.parse(readFileSync(push.fcm.serviceAccountFile, 'utf8')) as { project_id: string; client_email: string; private_key: string };

const apps: App[] = [];
/**
 * A firebase-admin app for the stand-in. The credential is the service-account file's path: given as an
 * object, firebase-admin 13.10 builds its token client without the agent, which then dials Google itself.
 */
function firebase(push: PushConnection, serviceAccountFile = push.fcm.serviceAccountFile): Messaging {
  const agent = new StandInAgent(push);
  const app = initializeApp(
    { projectId: push.fcm.projectId, credential: cert(serviceAccountFile, agent), httpAgent: agent },
    `push-test-${randomBytes(6).toString('hex')}`,
  );
  apps.push(app);
  const messaging = getMessaging(app);
  // sendEach* default to HTTP/2, which ignores httpAgent and would dial fcm.googleapis.com itself.
  messaging.enableLegacyHttpTransport();
  return messaging;
}

const providers: apn.Provider[] = [];
function apnsProvider(push: PushConnection, key: string | Buffer = readFileSync(push.apns.keyFile)): apn.Provider {
  const provider = new apn.Provider({
    token: { key, keyId: push.apns.keyId, teamId: push.apns.teamId },
    address: '127.0.0.1',
    port: push.port,
    ca: [push.caPem],
    production: true,
  });
  providers.push(provider);
  return provider;
}

const alert = (title: string, body: string, extra: Partial<apn.Notification> = {}) =>
  Object.assign(new apn.Notification(), { topic: BUNDLE_ID, alert: { title, body }, pushType: 'alert', priority: 10, ...extra });

const fcmToken = (name: string) => `${name}:APA91b${randomBytes(60).toString('base64url')}`;
const apnsToken = () => randomBytes(32).toString('hex');

async function control<T>(host: TestHost, path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<T> {
  const res = await host.fetch(`/devhost/push/_control/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  expect(res.ok, `${method} ${path}: ${res.status}`).toBe(true);
  return (res.status === 204 ? undefined : await res.json()) as T;
}
const received = async (host: TestHost, query = '') =>
  (await control<{ notifications: ReceivedNotification[] }>(host, `received${query ? `?${query}` : ''}`)).notifications;

/** An FCM request as raw HTTP/1.1 through the same TLS path, for what the library cannot be made to send or does not show. */
function rawFcm(
  push: PushConnection,
  accessToken: string,
  body: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: 'fcm.googleapis.com',
        path: `/v1/projects/${push.fcm.projectId}/messages:send`,
        method: 'POST',
        agent: new StandInAgent(push, { keepAlive: false }),
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const rejection = async (promise: Promise<unknown>) =>
  (await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  )) as { code: string; message: string };

afterAll(async () => {
  await Promise.all(apps.map((app) => deleteApp(app)));
  for (const provider of providers) await provider.shutdown();
});

describe('push stand-in', () => {
  let host: TestHost;
  let messaging: Messaging;
  let provider: apn.Provider;
  let settingsSeen: PushConnection | undefined;

  beforeAll(async () => {
    host = await startHost({
      app: APP,
      clock: CLOCK,
      env: (_url, push) => {
        settingsSeen = push;
        return { GREETING: push.caFile, RETRY_LIMIT: String(push.port) };
      },
    });
    messaging = firebase(host.push);
    provider = apnsProvider(host.push);
  });
  afterAll(async () => {
    await host?.stop();
  });
  beforeEach(async () => {
    await control(host, 'reset', {});
  });

  test('the env callback, TestHost.push and GET connection give the same facts, and the files exist', async () => {
    const connection = await control<PushConnection>(host, 'connection');
    expect(connection).toEqual(host.push);
    expect(settingsSeen).toEqual(host.push);
    // What the app saw in its settings is what the stand-in serves.
    const settings = (await (await host.fetch('/api/settings')).json()) as { greeting: string; retryLimit: string };
    expect(settings).toEqual({ greeting: host.push.caFile, retryLimit: String(host.push.port) });
    for (const file of [connection.caFile, connection.fcm.serviceAccountFile, connection.apns.keyFile]) expect(existsSync(file)).toBe(true);
    expect(readFileSync(connection.caFile, 'utf8')).toBe(connection.caPem);
    expect(connection.apns.keyId).toMatch(/^[A-Z0-9]{10}$/);
    expect(connection.apns.teamId).toMatch(/^[A-Z0-9]{10}$/);
    expect(serviceAccountOf(connection).project_id).toBe(connection.fcm.projectId);
  });

  test('firebase-admin send() gets a token from the OAuth stand-in and its message is recorded', async () => {
    const token = fcmToken('ann');
    const name = await messaging.send({
      token,
      notification: { title: 'Fire drill', body: 'Leave by the east stairs' },
      data: { messageId: 'm-1', deepLink: 'herald://m-1' },
      android: { priority: 'high', ttl: 3600 * 1000, collapseKey: 'm-1' },
    });
    expect(name).toMatch(new RegExp(`^projects/${host.push.fcm.projectId}/messages/.+`));

    const [notification, ...others] = await received(host, `platform=fcm&token=${encodeURIComponent(token)}`);
    expect(others).toEqual([]);
    expect(notification).toMatchObject({
      id: name.split('/').pop(),
      platform: 'fcm',
      token,
      title: 'Fire drill',
      body: 'Leave by the east stairs',
      data: { messageId: 'm-1', deepLink: 'herald://m-1' },
      collapseId: 'm-1',
      priority: 'HIGH',
      time: CLOCK,
      message: { android: { ttl: '3600s', collapse_key: 'm-1' } },
    });
    expect(await received(host, `platform=apns`)).toEqual([]);
    expect((await control<{ fcm: { received: number } }>(host, 'counts')).fcm.received).toBe(1);
  });

  test('sendEachForMulticast reaches every token; a token marked dead fails as not registered', async () => {
    const tokens = Array.from({ length: 120 }, (_, i) => fcmToken(`device-${i}`));
    const dead = tokens[37]!;
    expect(await control(host, 'dead', { platform: 'fcm', token: dead })).toMatchObject({
      platform: 'fcm',
      token: dead,
      since: Date.parse(CLOCK),
    });

    const result = await messaging.sendEachForMulticast({ tokens, notification: { title: 'Town hall', body: 'Today at 3 pm' } });
    expect(result.successCount).toBe(119);
    expect(result.failureCount).toBe(1);
    const failed = result.responses.findIndex((r) => !r.success);
    expect(failed).toBe(37);
    expect(result.responses[failed]!.error?.code).toBe('messaging/registration-token-not-registered');

    const all = await received(host, 'platform=fcm');
    expect(all).toHaveLength(119);
    expect(new Set(all.map((n) => n.token))).toEqual(new Set(tokens.filter((t) => t !== dead)));
    const single = await rejection(messaging.send({ token: dead, notification: { title: 'Again', body: 'Still dead' } }));
    expect(single.code).toBe('messaging/registration-token-not-registered');
    expect(await control(host, 'counts')).toMatchObject({ fcm: { received: 119, unregistered: 2 }, dead: 1 });
  });

  test('FCM throttling answers 429 QUOTA_EXCEEDED with Retry-After until turned off', async () => {
    expect(await control(host, 'throttling', { fcm: { retryAfterSeconds: 30 } }, 'PUT')).toEqual({
      fcm: { retryAfterSeconds: 30 },
      apns: null,
    });
    const token = fcmToken('kim');
    const error = await rejection(messaging.send({ token, notification: { title: 'Busy', body: 'Try later' } }));
    expect(error.code).toBe('messaging/message-rate-exceeded');

    // The library does not surface Retry-After; the wire shows it.
    const accessToken = (await messaging.app.options.credential!.getAccessToken()).access_token;
    const raw = await rawFcm(host.push, accessToken, { message: { token, notification: { title: 'Busy' } } });
    expect(raw.status).toBe(429);
    expect(raw.headers['retry-after']).toBe('30');
    expect(raw.json).toEqual({
      error: expect.objectContaining({
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'QUOTA_EXCEEDED' }],
      }),
    });
    expect(await received(host, 'platform=fcm')).toEqual([]);

    await control(host, 'throttling', { fcm: null }, 'PUT');
    await messaging.send({ token, notification: { title: 'Calm', body: 'Go ahead' } });
    expect(await received(host, 'platform=fcm')).toHaveLength(1);
    expect((await control<{ fcm: { throttled: number } }>(host, 'counts')).fcm.throttled).toBe(2);
  });

  test('a message FCM would reject is refused as an invalid argument, and nothing is recorded', async () => {
    const badToken = await rejection(messaging.send({ token: 'not a token!', notification: { title: 'Hi', body: 'There' } }));
    expect(badToken.code).toBe('messaging/invalid-argument');
    expect(badToken.message).toMatch(/not a valid FCM registration token/);

    const tooBig = await rejection(messaging.send({ token: fcmToken('big'), data: { blob: 'x'.repeat(4100) } }));
    expect(tooBig.code).toBe('messaging/invalid-argument');
    expect(tooBig.message).toMatch(/too big/);

    // What the library would refuse itself (a data value that is not a string, an unknown field) reaches FCM only raw.
    const accessToken = (await messaging.app.options.credential!.getAccessToken()).access_token;
    const notString = await rawFcm(host.push, accessToken, { message: { token: fcmToken('x'), data: { count: 3 } } });
    expect(notString.status).toBe(400);
    expect(notString.json).toMatchObject({
      error: { code: 400, status: 'INVALID_ARGUMENT', message: "Invalid value at 'message.data[0].value' (TYPE_STRING), 3" },
    });
    const badTtl = await rawFcm(host.push, accessToken, { message: { token: fcmToken('x'), android: { ttl: '1h' } } });
    expect(badTtl.status).toBe(400);
    expect((badTtl.json as { error: { message: string } }).error.message).toMatch(/message\.android\.ttl/);
    const twoTargets = await rawFcm(host.push, accessToken, { message: { token: fcmToken('x'), topic: 'news' } });
    expect(twoTargets.status).toBe(400);
    const unknown = await rawFcm(host.push, accessToken, { message: { token: fcmToken('x'), notification: { heading: 'Hi' } } });
    expect((unknown.json as { error: { message: string } }).error.message).toMatch(/Unknown name "heading" at 'message.notification'/);

    expect(await received(host)).toEqual([]);
    expect((await control<{ fcm: { rejected: number } }>(host, 'counts')).fcm.rejected).toBe(6);
  });

  test('FCM refuses a bearer token it did not issue (401), and the token endpoint refuses a key that is not the account’s', async () => {
    const raw = await rawFcm(host.push, 'ya29.forged', { message: { token: fcmToken('x'), notification: { title: 'Hi' } } });
    expect(raw.status).toBe(401);
    expect(raw.json).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });

    const account = serviceAccountOf(host.push);
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const impostorFile = join(mkdtempSync(join(tmpdir(), 'push-impostor-')), 'service-account.json');
    writeFileSync(impostorFile, JSON.stringify({ ...account, private_key: otherKey }));
    const impostor = firebase(host.push, impostorFile);
    const error = await rejection(impostor.send({ token: fcmToken('x'), notification: { title: 'Hi', body: 'There' } }));
    expect(error.code).toBe('app/invalid-credential');
    expect(error.message).toMatch(/Invalid JWT Signature/);
    expect(await received(host)).toEqual([]);
  });

  test('node-apn sends over HTTP/2 with a provider token, and the notification is recorded', async () => {
    const token = apnsToken();
    const result = await provider.send(
      alert('Fire drill', 'Leave by the east stairs', { payload: { messageId: 'm-1' }, collapseId: 'm-1', expiry: 2_000_000_000 }),
      token,
    );
    expect(result.failed).toEqual([]);
    expect(result.sent).toEqual([{ device: token, 'apns-id': expect.stringMatching(/^[0-9a-f-]{36}$/) }]);

    const [notification, ...others] = await received(host, `platform=apns&token=${token.toUpperCase()}`);
    expect(others).toEqual([]);
    expect(notification).toMatchObject({
      platform: 'apns',
      token,
      topic: BUNDLE_ID,
      title: 'Fire drill',
      body: 'Leave by the east stairs',
      data: { messageId: 'm-1' },
      collapseId: 'm-1',
      priority: '10',
      time: CLOCK,
      message: {
        headers: { 'apns-topic': BUNDLE_ID, 'apns-push-type': 'alert', 'apns-expiration': '2000000000' },
        payload: { aps: { alert: { title: 'Fire drill', body: 'Leave by the east stairs' } } },
      },
    });
  });

  test('APNs: a dead token fails with 410 Unregistered, a malformed one with 400 BadDeviceToken', async () => {
    const [alive, dead] = [apnsToken(), apnsToken()];
    await control(host, 'dead', { platform: 'apns', token: dead.toUpperCase() });
    const result = await provider.send(alert('Town hall', 'Today at 3 pm'), [alive, dead, 'abc123']);
    expect(result.sent).toEqual([expect.objectContaining({ device: alive })]);
    expect(result.failed).toHaveLength(2);
    expect(result.failed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ device: dead, status: 410, response: { reason: 'Unregistered', timestamp: Date.parse(CLOCK) } }),
        expect.objectContaining({ device: 'abc123', status: 400, response: { reason: 'BadDeviceToken' } }),
      ]),
    );
    expect((await received(host, 'platform=apns')).map((n) => n.token)).toEqual([alive]);
    expect((await control<{ apns: unknown }>(host, 'counts')).apns).toEqual({ received: 1, rejected: 1, unregistered: 1, throttled: 0 });
  });

  test('APNs refuses a provider token signed with another key (403 InvalidProviderToken) and a missing topic', async () => {
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const token = apnsToken();
    const forged = await apnsProvider(host.push, otherKey).send(alert('Hi', 'There'), token);
    expect(forged.sent).toEqual([]);
    expect(forged.failed).toEqual([expect.objectContaining({ device: token, status: 403, response: { reason: 'InvalidProviderToken' } })]);

    const noTopic = await provider.send(alert('Hi', 'There', { topic: undefined }), token);
    expect(noTopic.failed).toEqual([expect.objectContaining({ status: 400, response: { reason: 'MissingTopic' } })]);
    expect(await received(host)).toEqual([]);
  });

  test('APNs throttling answers 429 with the reason asked for; node-apn retries, so one throttled answer is ridden out', async () => {
    const token = apnsToken();
    await control(host, 'throttling', { apns: { retryAfterSeconds: 0, reason: 'TooManyProviderTokenUpdates' } }, 'PUT');
    const refused = await provider.send(alert('Busy', 'Try later'), token);
    expect(refused.failed).toEqual([
      expect.objectContaining({ device: token, status: 429, response: { reason: 'TooManyProviderTokenUpdates' } }),
    ]);
    // node-apn tries once and retries connectionRetryLimit (3) times.
    expect((await control<{ apns: { throttled: number } }>(host, 'counts')).apns.throttled).toBe(4);

    await control(host, 'throttling', { apns: { retryAfterSeconds: 0, times: 1 } }, 'PUT');
    const ridden = await provider.send(alert('Calm', 'Go ahead'), token);
    expect(ridden.sent).toEqual([expect.objectContaining({ device: token })]);
    expect(await control(host, 'throttling')).toEqual({ fcm: null, apns: null });
    expect(await received(host, 'platform=apns')).toHaveLength(1);
  });

  test('FCM refuses a project the account does not belong to (403, a mismatched credential)', async () => {
    const agent = new StandInAgent(host.push);
    const app = initializeApp(
      { projectId: 'someone-else', credential: cert(host.push.fcm.serviceAccountFile, agent), httpAgent: agent },
      `push-test-${randomBytes(6).toString('hex')}`,
    );
    apps.push(app);
    const error = await rejection(getMessaging(app).send({ token: fcmToken('x'), notification: { title: 'Hi', body: 'There' } }));
    expect(error.code).toBe('messaging/mismatched-credential');
    expect(await received(host)).toEqual([]);
  });

  test('APNs refuses a provider token older than an hour as ExpiredProviderToken', async () => {
    const key = createPrivateKey(readFileSync(host.push.apns.keyFile));
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: host.push.apns.keyId })
      .setIssuer(host.push.apns.teamId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 2 * 3600)
      .sign(key);
    const session = http2.connect(`https://127.0.0.1:${host.push.port}`, { ca: host.push.caPem, servername: 'api.push.apple.com' });
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': `/3/device/${apnsToken()}`,
          ':authority': 'api.push.apple.com',
          authorization: `bearer ${jwt}`,
          'apns-topic': BUNDLE_ID,
        });
        let status = 0;
        let body = '';
        stream.on('response', (headers) => (status = Number(headers[':status'])));
        stream.on('data', (chunk: Buffer) => (body += chunk.toString()));
        stream.on('end', () => resolve({ status, body }));
        stream.on('error', reject);
        stream.end(JSON.stringify({ aps: { alert: 'Hi' } }));
      });
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toEqual({ reason: 'ExpiredProviderToken' });
    } finally {
      session.close();
    }
    expect(await received(host)).toEqual([]);
  });

  test('the control API refuses bodies it cannot use', async () => {
    const bad = await host.fetch('/devhost/push/_control/dead', { method: 'POST', body: JSON.stringify({ platform: 'web', token: 'x' }) });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    const throttling = await host.fetch('/devhost/push/_control/throttling', {
      method: 'PUT',
      body: JSON.stringify({ fcm: { retryAfterSeconds: -1 } }),
    });
    expect(throttling.status).toBe(400);
    expect((await host.fetch('/devhost/push/_control/nothing')).status).toBe(404);
  });
});

describe('push stand-in state', () => {
  test('key material, access tokens and what was received survive a crash; reset clears what was received for good', async () => {
    // A fixed push port, so the same clients (their agent, their cached access token, their HTTP/2 session) outlive the host.
    const env = { DEVHOST_STANDINS_DIR: mkdtempSync(join(tmpdir(), 'push-standin-')), DEVHOST_PUSH_PORT: String(await freePort()) };
    const first = await startHost({ app: APP, env });
    const messaging = firebase(first.push);
    const provider = apnsProvider(first.push);
    const fcmTarget = fcmToken('lee');
    const apnsTarget = apnsToken();
    try {
      await messaging.send({ token: fcmTarget, notification: { title: 'Before', body: 'the crash' } });
      expect((await provider.send(alert('Before', 'the crash'), apnsTarget)).sent).toHaveLength(1);
      await control(first, 'dead', { platform: 'apns', token: apnsTarget });
    } finally {
      await first.kill();
    }

    const second = await startHost({ app: APP, env });
    try {
      expect(second.push).toEqual(first.push);
      expect(await control(second, 'connection')).toEqual(first.push);
      expect((await received(second)).map((n) => [n.platform, n.token, n.title])).toEqual([
        ['fcm', fcmTarget, 'Before'],
        ['apns', apnsTarget, 'Before'],
      ]);
      expect((await control<{ dead: number }>(second, 'counts')).dead).toBe(1);

      await messaging.send({ token: fcmTarget, notification: { title: 'After', body: 'the crash' } });
      const gone = await provider.send(alert('After', 'the crash'), apnsTarget);
      expect(gone.failed).toEqual([expect.objectContaining({ device: apnsTarget, status: 410 })]);
      expect((await received(second, 'platform=fcm')).map((n) => n.title)).toEqual(['Before', 'After']);

      await control(second, 'reset', {});
      expect(await received(second)).toEqual([]);
    } finally {
      await second.stop();
    }

    const third = await startHost({ app: APP, env });
    try {
      expect(await received(third)).toEqual([]);
      expect((await control<{ dead: number }>(third, 'counts')).dead).toBe(0);
    } finally {
      await third.stop();
    }
  });
});
