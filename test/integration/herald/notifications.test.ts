// Custom notifications end to end: devices registered by the app, a group send resolved through the Graph
// stand-in and delivered through the real firebase-admin and node-apn to devhost's FCM and APNs stand-ins.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '../../../devhost/src/testing.js';
import { GROUP, putDirectory, startInboxHerald } from './inboxSupport.js';
import { as, TENANT_A, type Client } from './support.js';

let host: TestHost;
let sender: Client;
let una: Client;
let neo: Client;

beforeAll(async () => {
  host = await startInboxHerald();
  sender = await as(host, TENANT_A, 'sam@contoso.test', ['Notifications.Send.Groups', 'Notifications.Send.Device'], '400d');
  [una, neo] = await Promise.all(['una', 'neo'].map((n) => as(host, TENANT_A, `${n}@contoso.test`, [], '400d')));
  await putDirectory(
    host,
    TENANT_A,
    [{ userPrincipalName: 'una@contoso.test' }, { userPrincipalName: 'neo@contoso.test' }],
    [{ id: GROUP, members: ['una@contoso.test', 'neo@contoso.test'] }],
  );
});
afterAll(async () => {
  await host?.stop();
});

const received = async (platform: 'fcm' | 'apns') => {
  const res = await host.fetch(`/devhost/push/_control/received?platform=${platform}`);
  return ((await res.json()) as { notifications: { token: string; title: string; body: string }[] }).notifications;
};

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a group send reaches each member’s iOS and Android device once, and the app sees it and reports the open', async () => {
  const androidToken = 'fcm-token-una-' + 'a'.repeat(40);
  const iosToken = 'b'.repeat(64);
  const reg = await una('/api/devices', { body: { platform: 'android', pushToken: androidToken, appVersion: '5.1', enrolled: true } });
  expect(reg.status, await reg.clone().text()).toBe(201);
  const unaDevice = (await reg.json()) as { id: string };
  expect((await neo('/api/devices', { body: { platform: 'ios', pushToken: iosToken, appVersion: '5.1', enrolled: true } })).status).toBe(
    201,
  );

  const sent = await sender('/api/notifications', {
    body: { title: 'Restart today', body: 'Your device needs a restart.', groups: [GROUP] },
  });
  expect(sent.status, await sent.clone().text()).toBe(202);
  const { id } = (await sent.json()) as { id: string };
  const done = await until(
    async () => (await (await sender(`/api/notifications/${id}`)).json()) as { status: string; devices: number; sent: number },
    (n) => n.status === 'done',
  );
  expect(done).toMatchObject({ status: 'done', devices: 2, sent: 2, failed: 0 });
  expect((await received('fcm')).map((n) => [n.token, n.title])).toEqual([[androidToken, 'Restart today']]);
  expect((await received('apns')).map((n) => [n.token, n.title])).toEqual([[iosToken, 'Restart today']]);

  const tab = (await (await una(`/api/devices/${unaDevice.id}/notifications`)).json()) as { items: { id: string; opened: boolean }[] };
  expect(tab.items).toEqual([expect.objectContaining({ id, title: 'Restart today', opened: false })]);
  const opened = await una(`/api/notifications/${id}/opened`, { body: { deviceId: unaDevice.id } });
  expect(opened.status, await opened.clone().text()).toBe(201);
  expect((await una(`/api/notifications/${id}/opened`, { body: { deviceId: unaDevice.id } })).status).toBe(200);
  expect(((await (await sender(`/api/notifications/${id}`)).json()) as { opened: number }).opened).toBe(1);
});
