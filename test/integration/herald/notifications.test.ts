// Custom notifications end to end: devices registered by the app, a group send resolved through the Graph
// stand-in and delivered through the real firebase-admin and node-apn to devhost's FCM and APNs stand-ins.
// Here: who a send reaches, the platform rules for a device send, opens, history and resends, and tenant
// isolation. Validation and roles, limits, and dead tokens have suites of their own.
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { updatePrompt } from '../../../core/notification.js';
import type { TestHost } from '@herald/devhost/testing';
import { GROUP, putDirectory, startInboxHerald, userIdOf } from './inboxSupport.js';
import {
  apnsToken,
  device,
  deviceHistory,
  deviceSend,
  deviceStatuses,
  expectProblem,
  fcmToken,
  groupSend,
  history,
  notification,
  org,
  received,
  register,
  send,
  settled,
  upn,
} from './notificationsSupport.js';
import { as, TENANT_A, type Client } from './support.js';

let host: TestHost;
let sender: Client;
let una: Client;
let neo: Client;

beforeAll(async () => {
  host = await startInboxHerald();
  sender = await as(host, TENANT_A, 'sam@contoso.test', ['Notifications.Send.Groups', 'Notifications.Send.Device'], '400d');
  [una, neo] = (await Promise.all(['una', 'neo'].map((n) => as(host, TENANT_A, `${n}@contoso.test`, [], '400d')))) as [Client, Client];
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

const MINUTE = 60_000;

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
  const done = await settled(sender, id);
  expect(done).toMatchObject({ status: 'done', devices: 2, sent: 2, failed: 0 });
  const fcm = await received(host, 'fcm', androidToken);
  expect(fcm.map((n) => [n.token, n.title, n.body])).toEqual([[androidToken, 'Restart today', 'Your device needs a restart.']]);
  expect(fcm[0]!.data).toMatchObject({ notificationId: id });
  const apns = await received(host, 'apns', iosToken);
  expect(apns.map((n) => [n.token, n.title])).toEqual([[iosToken, 'Restart today']]);
  expect(apns[0]).toMatchObject({ collapseId: id, data: { notificationId: id } });

  const tab = await deviceHistory(una, unaDevice.id);
  expect(tab).toEqual([expect.objectContaining({ id, title: 'Restart today', opened: false })]);
  const opened = await una(`/api/notifications/${id}/opened`, { body: { deviceId: unaDevice.id } });
  expect(opened.status, await opened.clone().text()).toBe(201);
  expect((await una(`/api/notifications/${id}/opened`, { body: { deviceId: unaDevice.id } })).status).toBe(200);
  expect((await notification(sender, id)).opened).toBe(1);
});

test('a group send follows nested groups, reaches each enrolled iOS/Android device once, and skips everything else', async () => {
  const o = await org(host, ['ann', 'bob', 'cat', { name: 'dan', accountEnabled: false }, 'eve'], {
    sales: ['ann', 'bob', 'emea'],
    emea: ['cat', 'dan', 'bob'],
    other: ['eve'],
  });
  const u = o.user;
  const tokens = {
    annAndroid: fcmToken(),
    annIos: apnsToken(),
    annUnenrolled: fcmToken(),
    annRemoved: fcmToken(),
    bobIos: apnsToken(),
    catAndroid: fcmToken(),
    danAndroid: fcmToken(),
    eveAndroid: fcmToken(),
  };
  const annAndroid = await register(u.ann!, 'android', tokens.annAndroid);
  const annIos = await register(u.ann!, 'ios', tokens.annIos);
  const annWindows = await register(u.ann!, 'windows', `wns-${fcmToken()}`);
  const annMac = await register(u.ann!, 'macos', apnsToken());
  await register(u.ann!, 'android', tokens.annUnenrolled, { enrolled: false });
  const removed = await register(u.ann!, 'android', tokens.annRemoved);
  expect((await u.ann!(`/api/devices/${removed.id}`, { method: 'DELETE' })).status).toBe(204);
  expect((await u.ann!(`/api/devices/${removed.id}`)).status).toBe(404);
  const bobIos = await register(u.bob!, 'ios', tokens.bobIos);
  const catAndroid = await register(u.cat!, 'android', tokens.catAndroid);
  await register(u.dan!, 'android', tokens.danAndroid);
  await register(u.eve!, 'android', tokens.eveAndroid);
  expect([annWindows, annMac].map((d) => d.receivesNotifications)).toEqual([false, false]);

  // Bob is in both targeted groups (and in emea through sales too); cat only through the nested group.
  const n = await groupSend(o.sender, [o.group('sales'), o.group('emea')]);
  expect(n.groups).toEqual([o.group('sales'), o.group('emea')]);
  expect(await settled(o.sender, n.id)).toMatchObject({ devices: 4, sent: 4, failed: 0, pending: 0 });

  const statuses = await deviceStatuses(o.sender, n.id);
  const expected = [annAndroid, annIos, bobIos, catAndroid];
  expect(statuses.map((s) => s.deviceId).sort()).toEqual(expected.map((d) => d.id).sort());
  expect(statuses.every((s) => s.status === 'sent')).toBe(true);
  expect(statuses.find((s) => s.deviceId === bobIos.id)).toMatchObject({ userId: bobIos.userId, upn: upn('bob'), platform: 'ios' });
  for (const token of [tokens.annAndroid, tokens.catAndroid]) expect(await received(host, 'fcm', token), token).toHaveLength(1);
  for (const token of [tokens.annIos, tokens.bobIos]) expect(await received(host, 'apns', token), token).toHaveLength(1);
  for (const token of [tokens.annUnenrolled, tokens.annRemoved, tokens.danAndroid, tokens.eveAndroid])
    expect(await received(host, 'fcm', token), token).toEqual([]);
});

test('a group holding Entra devices: a device member is nobody, and a user’s device in the group does not reach the user', async () => {
  const o = await org(host, ['una', 'vic'], { phones: ['device:una-iphone'], mixed: ['vic', 'device:kiosk'] }, ['una-iphone', 'kiosk']);
  const unaToken = apnsToken();
  const vicToken = fcmToken();
  await register(o.user.una!, 'ios', unaToken);
  const vicPhone = await register(o.user.vic!, 'android', vicToken);

  const onlyDevice = await groupSend(o.sender, [o.group('phones')]);
  expect(await settled(o.sender, onlyDevice.id)).toMatchObject({ status: 'done', devices: 0, sent: 0, failed: 0 });
  expect(await deviceStatuses(o.sender, onlyDevice.id)).toEqual([]);
  const mixed = await groupSend(o.sender, [o.group('mixed')]);
  expect(await settled(o.sender, mixed.id)).toMatchObject({ devices: 1, sent: 1 });
  expect((await deviceStatuses(o.sender, mixed.id)).map((s) => s.deviceId)).toEqual([vicPhone.id]);

  await host.idle();
  expect(await received(host, 'apns', unaToken)).toEqual([]);
  expect(await received(host, 'fcm', vicToken)).toHaveLength(1);
});

// A group the directory does not have is refused at the send itself (notificationsValidation.test.ts); one that
// disappears between the send and its resolution ends the notification failed with why (test/unit/jobs/push.test.ts).

test('a device send goes to an enrolled iOS or Android device only: other platforms and unenrolled 400, unknown 404', async () => {
  const o = await org(host, ['una']);
  const other = await org(host, ['olga']);
  const una = o.user.una!;
  const phoneToken = fcmToken();
  const phone = await register(una, 'android', phoneToken);
  const windows = await register(una, 'windows', `wns-${fcmToken()}`);
  const mac = await register(una, 'macos', apnsToken());
  const unenrolled = await register(una, 'ios', apnsToken(), { enrolled: false });
  const removed = await register(una, 'android', fcmToken());
  expect((await una(`/api/devices/${removed.id}`, { method: 'DELETE' })).status).toBe(204);
  const foreign = await register(other.user.olga!, 'android', fcmToken());

  const post = (deviceId: string) => o.sender('/api/notifications', { body: { title: 'Hi', body: 'There', deviceId } });
  for (const d of [windows, mac]) {
    const problem = await expectProblem(await post(d.id), 400, 'deviceId');
    expect(problem.detail).toMatch(new RegExp(`${d.platform} device`));
  }
  expect((await expectProblem(await post(unenrolled.id), 400, 'deviceId')).detail).toMatch(/not enrolled/);
  for (const id of ['0123456789abcdef0123456789abcdef', removed.id, foreign.id]) await expectProblem(await post(id), 404, 'deviceId');
  await host.idle();
  expect((await history(o.sender)).items).toEqual([]);

  const n = await deviceSend(o.sender, phone.id);
  expect(n).toMatchObject({ deviceId: phone.id, title: 'Your laptop is ready' });
  expect(n).not.toHaveProperty('groups');
  expect(await settled(o.sender, n.id)).toMatchObject({ devices: 1, sent: 1 });
  expect((await received(host, 'fcm', phoneToken)).map((r) => r.data.notificationId)).toEqual([n.id]);
});

test('opens count once per device and only from a device of the caller’s that received it', async () => {
  const o = await org(host, ['una', 'neo', 'ola'], { staff: ['una', 'neo'] });
  const [una, neo, ola] = [o.user.una!, o.user.neo!, o.user.ola!];
  const unaPhone = await register(una, 'android', fcmToken());
  const neoPhone = await register(neo, 'ios', apnsToken());
  const olaPhone = await register(ola, 'android', fcmToken());
  const toStaff = await groupSend(o.sender, [o.group('staff')]);
  await settled(o.sender, toStaff.id);
  // The test clock stands still: move it on so "newest first" has a newest.
  await host.clock.advance(1000);
  const toUna = await deviceSend(o.sender, unaPhone.id);
  await settled(o.sender, toUna.id);

  const open = (client: Client, id: string, deviceId: string) => client(`/api/notifications/${id}/opened`, { body: { deviceId } });
  const first = await open(una, toStaff.id, unaPhone.id);
  expect(first.status).toBe(201);
  expect(await first.json()).toEqual({ recorded: true, duplicate: false });
  const again = await open(una, toStaff.id, unaPhone.id);
  expect(again.status).toBe(200);
  expect(await again.json()).toEqual({ recorded: false, duplicate: true });
  expect((await open(neo, toStaff.id, neoPhone.id)).status).toBe(201);

  await expectProblem(await open(una, toStaff.id, neoPhone.id), 404); // not her device
  await expectProblem(await open(ola, toStaff.id, olaPhone.id), 404); // her device did not receive it
  await expectProblem(await open(neo, toUna.id, neoPhone.id), 404); // sent to another device
  await expectProblem(await open(o.sender, toStaff.id, unaPhone.id), 404); // the sender has no device
  await expectProblem(await open(una, '0'.repeat(21), unaPhone.id), 404);
  await expectProblem(await open(una, toStaff.id, 'not-a-device'), 400, 'deviceId');

  expect(await notification(o.sender, toStaff.id)).toMatchObject({ devices: 2, sent: 2, opened: 2 });
  expect(await notification(o.sender, toUna.id)).toMatchObject({ devices: 1, sent: 1, opened: 0 });
  expect((await deviceHistory(una, unaPhone.id)).map((n) => [n.id, n.opened])).toEqual([
    [toUna.id, false],
    [toStaff.id, true],
  ]);
});

test('history lists newest first with counts and pages; a device’s tab shows only what reached it; a resend repeats one', async () => {
  const o = await org(host, ['una', 'neo', 'ola'], { staff: ['una', 'neo'] });
  const [una, neo, ola] = [o.user.una!, o.user.neo!, o.user.ola!];
  const unaToken = fcmToken();
  const unaPhone = await register(una, 'android', unaToken);
  const neoPhone = await register(neo, 'ios', apnsToken());
  const olaPhone = await register(ola, 'android', fcmToken());

  const n1 = await groupSend(o.sender, [o.group('staff')], 'First', 'One');
  await settled(o.sender, n1.id);
  await host.clock.advance(MINUTE);
  const n2 = await deviceSend(o.sender, unaPhone.id, 'Second', 'Two');
  await settled(o.sender, n2.id);
  await host.clock.advance(MINUTE);
  const n3 = await send(o.sender, { title: 'Third', body: 'Three', deviceId: olaPhone.id });
  await settled(o.sender, n3.id);
  expect((await una(`/api/notifications/${n1.id}/opened`, { body: { deviceId: unaPhone.id } })).status).toBe(201);

  const all = await history(o.sender);
  expect(all.continuation).toBeUndefined();
  expect(all.items.map((n) => [n.title, n.devices, n.sent, n.failed, n.pending, n.opened, n.status])).toEqual([
    ['Third', 1, 1, 0, 0, 0, 'done'],
    ['Second', 1, 1, 0, 0, 0, 'done'],
    ['First', 2, 2, 0, 0, 1, 'done'],
  ]);
  expect(all.items[2]).toMatchObject({ id: n1.id, body: 'One', groups: [o.group('staff')], sentBy: { upn: upn('sam') } });
  expect(Date.parse(all.items[0]!.sentAt) - Date.parse(all.items[2]!.sentAt)).toBe(2 * MINUTE);

  const page1 = await history(o.sender, '?pageSize=2');
  expect(page1.items.map((n) => n.id)).toEqual([n3.id, n2.id]);
  expect(page1.continuation).toEqual(expect.any(String));
  const page2 = await history(o.sender, `?pageSize=2&continuation=${page1.continuation}`);
  expect(page2.items.map((n) => n.id)).toEqual([n1.id]);
  expect(page2.continuation).toBeUndefined();
  await expectProblem(await o.sender('/api/notifications?continuation=nonsense'), 400, 'continuation');
  await expectProblem(await o.sender('/api/notifications?pageSize=0'), 400, 'pageSize');

  expect((await deviceHistory(una, unaPhone.id)).map((n) => [n.title, n.opened])).toEqual([
    ['Second', false],
    ['First', true],
  ]);
  expect((await deviceHistory(neo, neoPhone.id)).map((n) => n.title)).toEqual(['First']);
  expect((await deviceHistory(ola, olaPhone.id)).map((n) => n.title)).toEqual(['Third']);

  await host.clock.advance(MINUTE);
  const res = await o.sender(`/api/notifications/${n1.id}/resend`, { body: {} });
  expect(res.status, await res.clone().text()).toBe(202);
  expect(res.headers.get('location')).toMatch(/\/api\/notifications\/[0-9a-f]{21}$/);
  const again = (await res.json()) as { id: string };
  expect(again.id).not.toBe(n1.id);
  expect(await settled(o.sender, again.id)).toMatchObject({
    resendOf: n1.id,
    title: 'First',
    body: 'One',
    groups: [o.group('staff')],
    devices: 2,
    sent: 2,
    opened: 0,
  });
  expect((await history(o.sender)).items.map((n) => n.id)).toEqual([again.id, n3.id, n2.id, n1.id]);
  expect((await received(host, 'fcm', unaToken)).map((n) => n.title)).toEqual(['First', 'Second', 'First']);
  expect((await deviceHistory(neo, neoPhone.id)).map((n) => n.id)).toEqual([again.id, n1.id]);
  await expectProblem(await o.sender(`/api/notifications/${'0'.repeat(21)}/resend`, { body: {} }), 404);
});

test('another tenant sees none of the history, cannot reach the devices, and its group ids resolve in its own directory', async () => {
  const a = await org(host, ['una'], { staff: ['una'] });
  const unaToken = fcmToken();
  const unaPhone = await register(a.user.una!, 'android', unaToken);
  const n = await groupSend(a.sender, [a.group('staff')]);
  await settled(a.sender, n.id);

  // Tenant B's directory has a group with the same object id as A's, holding B's own people.
  const b = await org(host, ['bob'], { [a.group('staff')]: ['bob'] });
  const bobToken = apnsToken();
  await register(b.user.bob!, 'ios', bobToken);
  const bAdmin = await as(host, b.tenant, upn('ada'), ['Tenant.Admin'], '800d');

  expect((await history(b.sender)).items).toEqual([]);
  await expectProblem(await b.sender(`/api/notifications/${n.id}`), 404);
  await expectProblem(await b.sender(`/api/notifications/${n.id}/devices`), 404);
  await expectProblem(await b.sender(`/api/notifications/${n.id}/resend`, { body: {} }), 404);
  await expectProblem(await b.user.bob!(`/api/notifications/${n.id}/opened`, { body: { deviceId: unaPhone.id } }), 404);
  await expectProblem(await b.sender('/api/notifications', { body: { title: 'Hi', body: 'There', deviceId: unaPhone.id } }), 404);
  await expectProblem(await bAdmin(`/api/devices/${unaPhone.id}`), 404);
  const listed = await bAdmin(`/api/users/${await userIdOf(host, a.tenant, upn('una'))}/devices`);
  expect(((await listed.json()) as { items: unknown[] }).items).toEqual([]);

  const fromB = await groupSend(b.sender, [a.group('staff')], 'From B');
  expect(await settled(b.sender, fromB.id)).toMatchObject({ devices: 1, sent: 1 });
  expect((await received(host, 'apns', bobToken)).map((r) => r.title)).toEqual(['From B']);
  expect((await received(host, 'fcm', unaToken)).map((r) => r.title)).toEqual(['Restart today']);
  expect((await history(a.sender)).items.map((x) => x.id)).toEqual([n.id]);
  expect((await deviceHistory(a.user.una!, unaPhone.id)).map((x) => x.id)).toEqual([n.id]);
  expect((await device(a.user.una!, unaPhone.id)).receivesNotifications).toBe(true);
});

test('a phone registered again by another user (same push token) shows the new owner nothing sent to the previous one', async () => {
  const o = await org(host, ['una', 'neo'], { staff: ['una', 'neo'] });
  const [una, neo] = [o.user.una!, o.user.neo!];
  const token = fcmToken();
  const unas = await register(una, 'android', token);
  const private1 = await deviceSend(o.sender, unas.id, 'Your payslip', 'Una, your payslip is ready.');
  await settled(o.sender, private1.id);
  await host.clock.advance(MINUTE);

  // Una hands the phone on; Neo signs in to the app on it, which registers the same token for him.
  const neos = await register(neo, 'android', token);
  expect(neos).toMatchObject({ id: unas.id, userId: await userIdOf(host, o.tenant, upn('neo')) });
  expect(((await (await una('/api/devices')).json()) as { items: unknown[] }).items).toEqual([]);
  const toStaff = await groupSend(o.sender, [o.group('staff')], 'For everyone');
  expect(await settled(o.sender, toStaff.id)).toMatchObject({ devices: 1, sent: 1 });

  expect((await deviceHistory(neo, neos.id)).map((n) => n.title)).toEqual(['For everyone']);
  await expectProblem(await neo(`/api/notifications/${private1.id}/opened`, { body: { deviceId: neos.id } }), 404);
  expect((await notification(o.sender, private1.id)).opened).toBe(0);
});

/** The device's row as registrations wrote it before the app was kept: no `app`. */
async function forgetApp(tenant: string, deviceId: string) {
  const table = TableClient.fromConnectionString(host.storage, 'devices', { allowInsecureConnection: true });
  const { app: _app, etag: _etag, timestamp: _timestamp, ...row } = await table.getEntity<Record<string, unknown>>(tenant, deviceId);
  await table.updateEntity({ ...row, partitionKey: tenant, rowKey: deviceId }, 'Replace');
}

test('"If users do not update … and they are sent a custom notification, they will instead receive a notification telling them to update their app to view the notification. Once they update their app, they will see the message sent by your organization in the Notifications section in the app."', async () => {
  const o = await org(host, ['ann', 'bob', 'cat', 'dan'], { staff: ['ann', 'bob', 'cat', 'dan'] });
  const u = o.user;
  const tokens = { ann: fcmToken(), bob: fcmToken(), cat: fcmToken(), dan: fcmToken() };
  // Ann's Company Portal and Bob's Intune app are older than custom notifications need; Cat's Intune is recent enough.
  const ann = await register(u.ann!, 'android', tokens.ann, { appVersion: '5.0.5000.0' });
  const bob = await register(u.bob!, 'android', tokens.bob, { app: 'intune', appVersion: '2021.08.01' });
  const cat = await register(u.cat!, 'android', tokens.cat, { app: 'intune', appVersion: '2021.09.04' });
  expect([ann.app, bob.app, cat.app]).toEqual(['companyPortal', 'intune', 'intune']);
  // Dan's phone was registered before devices kept their app: it counts as the Company Portal.
  const dan = await register(u.dan!, 'android', tokens.dan, { appVersion: '5.0.5000.0' });
  await forgetApp(o.tenant, dan.id);
  expect(await device(u.dan!, dan.id)).toMatchObject({ app: 'companyPortal', appVersion: '5.0.5000.0', receivesNotifications: true });

  const n = await groupSend(o.sender, [o.group('staff')], 'Restart today', 'Your device needs a restart.');
  expect(await settled(o.sender, n.id)).toMatchObject({ devices: 4, sent: 4, failed: 0 });

  const got = async (token: string) => (await received(host, 'fcm', token)).map((r) => [r.title, r.body, r.data.notificationId]);
  const [portal, intune] = [updatePrompt('companyPortal'), updatePrompt('intune')];
  expect(await got(tokens.ann)).toEqual([[portal.title, portal.body, n.id]]);
  expect(await got(tokens.bob)).toEqual([[intune.title, intune.body, n.id]]);
  expect(await got(tokens.dan)).toEqual([[portal.title, portal.body, n.id]]);
  expect(await got(tokens.cat)).toEqual([['Restart today', 'Your device needs a restart.', n.id]]);
  const why = new Map((await deviceStatuses(o.sender, n.id)).map((s) => [s.deviceId, [s.status, s.reason]]));
  expect(why.get(ann.id)).toEqual(['sent', 'update prompt sent: Company Portal 5.0.5000.0 is below 5.0.5291.0']);
  expect(why.get(bob.id)).toEqual(['sent', 'update prompt sent: Microsoft Intune 2021.08.01 is below 2021.09.04']);
  expect(why.get(dan.id)).toEqual(['sent', 'update prompt sent: Company Portal 5.0.5000.0 is below 5.0.5291.0']);
  expect(why.get(cat.id)).toEqual(['sent', undefined]);

  // Ann updates: the app registers its new version, and its Notifications section shows the message.
  expect(await register(u.ann!, 'android', tokens.ann, { appVersion: '5.0.5291.0' })).toMatchObject({
    id: ann.id,
    appVersion: '5.0.5291.0',
  });
  const message = { id: n.id, title: 'Restart today', body: 'Your device needs a restart.' };
  expect(await deviceHistory(u.ann!, ann.id)).toEqual([expect.objectContaining(message)]);
  expect(await deviceHistory(u.bob!, bob.id)).toEqual([expect.objectContaining(message)]);
  // What is sent next reaches her as it is; Bob, not updated, is prompted again.
  await host.clock.advance(MINUTE);
  const next = await groupSend(o.sender, [o.group('staff')], 'Thanks', 'All done.');
  expect(await settled(o.sender, next.id)).toMatchObject({ devices: 4, sent: 4 });
  expect((await got(tokens.ann)).at(-1)).toEqual(['Thanks', 'All done.', next.id]);
  expect((await got(tokens.bob)).at(-1)).toEqual([intune.title, intune.body, next.id]);
});
