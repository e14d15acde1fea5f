// Custom notifications: what a send and a device registration may hold (each refusal a 400 problem naming
// the field, and nothing recorded or sent), and who may do what.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { startInboxHerald, userIdOf } from './inboxSupport.js';
import {
  deviceHistory,
  expectProblem,
  fcmToken,
  groupSend,
  history,
  org,
  received,
  register,
  send,
  settled,
  upn,
  apnsToken,
  type DeviceView,
  type Org,
} from './notificationsSupport.js';
import { as } from './support.js';

let host: TestHost;
beforeAll(async () => {
  host = await startInboxHerald();
});
afterAll(async () => {
  await host?.stop();
});

/** An organisation whose one member, una, has an Android device in group `staff`. */
async function staffWithDevice(groups: Record<string, string[]> = {}): Promise<Org & { token: string; device: DeviceView }> {
  const o = await org(host, ['una'], { staff: ['una'], ...groups });
  const token = fcmToken();
  return { ...o, token, device: await register(o.user.una!, 'android', token) };
}

/** Nothing reached the history or the stand-in once the host has nothing left to do. */
async function nothingRecorded(o: Org & { token: string }) {
  await host.idle();
  expect((await history(o.sender)).items).toEqual([]);
  expect(await received(host, 'fcm', o.token)).toEqual([]);
}

const post = (o: Org, body: unknown) => o.sender('/api/notifications', { body });

test('a title of 50 and a body of 500 characters go out whole; 51 and 501 are refused naming the field', async () => {
  const o = await staffWithDevice();
  const title = 'T'.repeat(49) + '!';
  const body = 'B'.repeat(499) + '.';
  const longTitle = await expectProblem(await post(o, { title: title + 'x', body: 'Hi', groups: [o.group('staff')] }), 400, 'title');
  expect(longTitle.type).toBe('https://herald.example/problems/validation');
  expect(longTitle.errors).toEqual([{ path: 'title', message: 'must be at most 50 characters' }]);
  const longBody = await expectProblem(await post(o, { title: 'Hi', body: body + 'x', groups: [o.group('staff')] }), 400, 'body');
  expect(longBody.errors).toEqual([{ path: 'body', message: 'must be at most 500 characters' }]);
  await nothingRecorded(o);

  const sent = await send(o.sender, { title, body, groups: [o.group('staff')] });
  expect(sent).toMatchObject({ title, body, groups: [o.group('staff')] });
  expect(await settled(o.sender, sent.id)).toMatchObject({ devices: 1, sent: 1 });
  expect((await received(host, 'fcm', o.token)).map((n) => [n.title, n.body])).toEqual([[title, body]]);
});

test('25 groups are accepted and 26 refused; groups nested inside a targeted group do not count', async () => {
  const names = Array.from({ length: 26 }, (_, i) => `g${i}`);
  const o = await staffWithDevice({ ...Object.fromEntries(names.map((n) => [n, []])), all: [...names, 'staff'] });
  const ids = names.map(o.group);

  const tooMany = await expectProblem(await post(o, { title: 'Hi', body: 'There', groups: ids }), 400, 'groups');
  expect(tooMany.detail).toMatch(/at most 25 groups/);
  await nothingRecorded(o);

  const twentyFive = await groupSend(o.sender, [...ids.slice(0, 24), o.group('staff')]);
  expect(twentyFive.groups).toHaveLength(25);
  expect(await settled(o.sender, twentyFive.id)).toMatchObject({ devices: 1, sent: 1 });
  // One group holding 26 others and una's: one directly targeted group.
  const nested = await groupSend(o.sender, [o.group('all')]);
  expect(await settled(o.sender, nested.id)).toMatchObject({ devices: 1, sent: 1 });
  expect(await received(host, 'fcm', o.token)).toHaveLength(2);
});

test('groups and device refused in every wrong shape, each naming the field, and nothing is recorded', async () => {
  const o = await staffWithDevice();
  const staff = o.group('staff');
  const base = { title: 'Hi', body: 'There' };
  const cases: [string, unknown, string][] = [
    ['empty groups', { ...base, groups: [] }, 'groups'],
    ['groups and a device', { ...base, groups: [staff], deviceId: o.device.id }, 'groups'],
    ['neither groups nor a device', base, 'groups'],
    ['a group that is not a GUID', { ...base, groups: ['sales-team'] }, 'groups.0'],
    ['the same group twice (in other case)', { ...base, groups: [staff, staff.toUpperCase()] }, 'groups'],
    ['an unknown field', { ...base, groups: [staff], priority: 'high' }, 'priority'],
    ['a device id that is not one', { ...base, deviceId: 'my-phone' }, 'deviceId'],
    ['no title', { body: 'There', groups: [staff] }, 'title'],
    ['a blank body', { title: 'Hi', body: '   ', groups: [staff] }, 'body'],
    ['groups not a list', { ...base, groups: staff }, 'groups'],
  ];
  for (const [why, body, path] of cases) {
    const problem = await expectProblem(await post(o, body), 400, path);
    expect(problem.detail, why).toContain(path);
  }
  const notJson = await expectProblem(await post(o, '{"title": '), 400);
  expect(notJson.type).toBe('https://herald.example/problems/malformed-body');
  await nothingRecorded(o);
});

test('a well-formed group the directory does not have is refused at once, naming it, and spends none of the hourly allowance', async () => {
  const o = await staffWithDevice();
  const unknown = '0b5f7c1e-0000-4000-8000-00000000beef';
  const problem = await expectProblem(await post(o, { title: 'Hi', body: 'There', groups: [o.group('staff'), unknown] }), 400, 'groups.1');
  expect(problem.errors).toEqual([{ path: 'groups.1', message: 'no such group in the directory' }]);
  await nothingRecorded(o);
  // The refused send did not count: 25 more go out within the hour.
  for (let i = 0; i < 25; i++) await send(o.sender, { title: `Hi ${i}`, body: 'There', groups: [o.group('staff')] });
  await expectProblem(await post(o, { title: 'One too many', body: 'There', groups: [o.group('staff')] }), 429);
});

test('a device registration is refused naming the field, and no device is recorded', async () => {
  const o = await org(host, ['una']);
  const una = o.user.una!;
  const good = { platform: 'android', pushToken: fcmToken(), appVersion: '5.1', enrolled: true };
  const { enrolled: _enrolled, ...noEnrolled } = good;
  const cases: [unknown, string][] = [
    [{ ...good, platform: 'blackberry' }, 'platform'],
    [noEnrolled, 'enrolled'],
    [{ ...good, enrolled: 'yes' }, 'enrolled'],
    [{ ...good, pushToken: 'short' }, 'pushToken'],
    [{ ...good, pushToken: 'x'.repeat(4097) }, 'pushToken'],
    [{ ...good, appVersion: '' }, 'appVersion'],
    [{ ...good, owner: 'someone-else' }, 'owner'],
  ];
  for (const [body, path] of cases) await expectProblem(await una('/api/devices', { body }), 400, path);
  const list = await una('/api/devices');
  expect(list.status).toBe(200);
  expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
  const anonymous = await host.fetch('/api/devices', { method: 'POST', body: JSON.stringify(good) });
  await expectProblem(anonymous, 401);
});

test('a Groups-only sender cannot send to a device, a Device-only sender cannot send to groups: 403, nothing recorded', async () => {
  const o = await staffWithDevice();
  const groupsOnly = await as(host, o.tenant, upn('gina'), ['Notifications.Send.Groups'], '800d');
  const deviceOnly = await as(host, o.tenant, upn('dev'), ['Notifications.Send.Device'], '800d');
  const toGroups = { title: 'Hi', body: 'There', groups: [o.group('staff')] };
  const toDevice = { title: 'Hi', body: 'There', deviceId: o.device.id };

  const refused = await expectProblem(await groupsOnly('/api/notifications', { body: toDevice }), 403);
  expect(refused.detail).toMatch(/Notifications\.Send\.Device/);
  await expectProblem(await deviceOnly('/api/notifications', { body: toGroups }), 403);
  await nothingRecorded(o);

  const byGroups = await send(groupsOnly, toGroups);
  const byDevice = await send(deviceOnly, toDevice);
  await settled(groupsOnly, byGroups.id);
  await settled(deviceOnly, byDevice.id);
  // Either role reads the whole history, but a resend needs the role of the original's kind.
  expect((await history(deviceOnly)).items.map((n) => n.id)).toEqual([byDevice.id, byGroups.id].sort());
  await expectProblem(await deviceOnly(`/api/notifications/${byGroups.id}/resend`, { body: {} }), 403);
  await expectProblem(await groupsOnly(`/api/notifications/${byDevice.id}/resend`, { body: {} }), 403);
  expect((await history(groupsOnly)).items).toHaveLength(2);
  expect(await received(host, 'fcm', o.token)).toHaveLength(2);
});

test('without a send role: 403 on sending and on the history; the recipient still registers devices and reports opens', async () => {
  const o = await staffWithDevice();
  const una = o.user.una!;
  const admin = await as(host, o.tenant, upn('ada'), ['Tenant.Admin'], '800d');
  const n = await groupSend(o.sender, [o.group('staff')]);
  await settled(o.sender, n.id);

  for (const caller of [una, admin]) {
    await expectProblem(await caller('/api/notifications', { body: { title: 'Hi', body: 'There', groups: [o.group('staff')] } }), 403);
    await expectProblem(await caller('/api/notifications', { body: { title: 'Hi', body: 'There', deviceId: o.device.id } }), 403);
    await expectProblem(await caller('/api/notifications'), 403);
    await expectProblem(await caller(`/api/notifications/${n.id}`), 403);
    await expectProblem(await caller(`/api/notifications/${n.id}/devices`), 403);
    await expectProblem(await caller(`/api/notifications/${n.id}/resend`, { body: {} }), 403);
  }
  expect((await history(o.sender)).items.map((x) => x.id)).toEqual([n.id]);

  const second = await register(una, 'ios', apnsToken());
  const mine = (await (await una('/api/devices')).json()) as { items: DeviceView[] };
  expect(mine.items.map((d) => d.id).sort()).toEqual([o.device.id, second.id].sort());
  expect((await deviceHistory(una, o.device.id)).map((x) => x.id)).toEqual([n.id]);
  const opened = await una(`/api/notifications/${n.id}/opened`, { body: { deviceId: o.device.id } });
  expect(opened.status, await opened.clone().text()).toBe(201);
  expect(await opened.json()).toEqual({ recorded: true, duplicate: false });
});

test('a Tenant.Admin lists any user’s devices, reads and unregisters any device; senders and users cannot (403, 404)', async () => {
  const o = await org(host, ['una', 'neo']);
  const una = o.user.una!;
  const neo = o.user.neo!;
  const admin = await as(host, o.tenant, upn('ada'), ['Tenant.Admin'], '800d');
  const phone = await register(una, 'ios', apnsToken());
  const laptop = await register(una, 'windows', `wns-${fcmToken()}`);
  await register(neo, 'android', fcmToken());
  const unaId = await userIdOf(host, o.tenant, upn('una'));

  const listed = await admin(`/api/users/${unaId}/devices`);
  expect(listed.status, await listed.clone().text()).toBe(200);
  const items = ((await listed.json()) as { items: DeviceView[] }).items;
  expect(items.map((d) => d.id).sort()).toEqual([phone.id, laptop.id].sort());
  expect(items.find((d) => d.id === laptop.id)).toMatchObject({ userId: unaId, platform: 'windows', receivesNotifications: false });
  expect(items.find((d) => d.id === phone.id)).toMatchObject({ userId: unaId, platform: 'ios', receivesNotifications: true });
  for (const caller of [o.sender, una, neo]) await expectProblem(await caller(`/api/users/${unaId}/devices`), 403);

  expect((await admin(`/api/devices/${phone.id}`)).status).toBe(200);
  await expectProblem(await neo(`/api/devices/${phone.id}`), 404);
  await expectProblem(await neo(`/api/devices/${phone.id}/notifications`), 404);
  await expectProblem(await neo(`/api/devices/${phone.id}`, { method: 'DELETE' }), 404);
  expect((await una(`/api/devices/${phone.id}`)).status).toBe(200);
  expect((await admin(`/api/devices/${laptop.id}`, { method: 'DELETE' })).status).toBe(204);
  const left = ((await (await una('/api/devices')).json()) as { items: DeviceView[] }).items;
  expect(left.map((d) => d.id)).toEqual([phone.id]);
});
