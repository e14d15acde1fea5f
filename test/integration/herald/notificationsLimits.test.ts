// The seed's sending limits on the test clock: 25 group notifications per tenant and 10 notifications per
// device in any hour (a sliding window), 429 with Retry-After in seconds until the oldest send leaves the
// hour. Each test has a tenant of its own, so one test's sends never count against another's.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { startInboxHerald } from './inboxSupport.js';
import {
  apnsToken,
  deviceSend,
  expectProblem,
  fcmToken,
  groupSend,
  history,
  org,
  received,
  register,
  until,
  type Org,
} from './notificationsSupport.js';
import type { Client } from './support.js';

let host: TestHost;
beforeAll(async () => {
  host = await startInboxHerald();
});
afterAll(async () => {
  await host?.stop();
});

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A tenant whose group `quiet` has nobody in it: group sends are admitted and recorded, and reach no one. */
const quietOrg = () => org(host, ['una'], { quiet: [] });

const postGroup = (o: Org) => o.sender('/api/notifications', { body: { title: 'Hi', body: 'There', groups: [o.group('quiet')] } });
const postDevice = (client: Client, deviceId: string) => client('/api/notifications', { body: { title: 'Hi', body: 'There', deviceId } });

/** A 429 problem whose Retry-After is `seconds`. */
async function limited(res: Response, seconds: number) {
  const problem = await expectProblem(res, 429);
  expect(problem.type).toBe('https://herald.example/problems/rate-limited');
  expect(res.headers.get('retry-after')).toBe(String(seconds));
  expect(problem.detail).toContain(`${seconds} s`);
  return problem;
}

async function count(o: Org) {
  return (await history(o.sender, '?pageSize=100')).items.length;
}

test('25 group sends an hour per tenant; the 26th waits exactly until the oldest leaves the hour', async () => {
  const o = await quietOrg();
  await groupSend(o.sender, [o.group('quiet')]);
  await host.clock.advance(10 * MINUTE);
  for (let i = 0; i < 24; i++) await groupSend(o.sender, [o.group('quiet')]);
  await host.clock.advance(10 * MINUTE);

  // The first send leaves the hour 40 minutes from now.
  expect((await limited(await postGroup(o), 40 * 60)).detail).toMatch(/25 group notifications an hour/);
  await host.clock.advance(40 * MINUTE - 1001);
  await limited(await postGroup(o), 2);
  await host.clock.advance(1);
  await limited(await postGroup(o), 1);
  expect(await count(o)).toBe(25);

  // Another tenant's limit is its own, and this tenant's device sends are not group sends.
  const other = await quietOrg();
  await groupSend(other.sender, [other.group('quiet')]);
  const phone = await register(o.user.una!, 'android', fcmToken());
  await deviceSend(o.sender, phone.id);

  await host.clock.advance(1000);
  await groupSend(o.sender, [o.group('quiet')]);
  // The next to leave are the 24 sent ten minutes after the first.
  await limited(await postGroup(o), 10 * 60);
  expect(await count(o)).toBe(27);
});

test('30 group sends at once: exactly 25 are admitted and 5 refused, each with the true Retry-After', async () => {
  const o = await quietOrg();
  const answers = await Promise.all(Array.from({ length: 30 }, () => postGroup(o)));
  const statuses = answers.map((r) => r.status).sort();
  expect(statuses).toEqual([...Array<number>(25).fill(202), ...Array<number>(5).fill(429)]);
  // The test clock stands still: the oldest admitted send leaves the hour exactly an hour from now.
  for (const refused of answers.filter((r) => r.status === 429)) await limited(refused, 3600);
  expect(await count(o)).toBe(25);
});

test('15 sends to one device at once: exactly 10 admitted; a resend after that is refused too', async () => {
  const o = await quietOrg();
  const phone = await register(o.user.una!, 'android', fcmToken());
  const answers = await Promise.all(Array.from({ length: 15 }, () => postDevice(o.sender, phone.id)));
  expect(answers.map((r) => r.status).sort()).toEqual([...Array<number>(10).fill(202), ...Array<number>(5).fill(429)]);
  for (const refused of answers.filter((r) => r.status === 429)) await limited(refused, 3600);
  const admitted = (await answers.find((r) => r.status === 202)!.json()) as { id: string };
  await limited(await o.sender(`/api/notifications/${admitted.id}/resend`, { body: {} }), 3600);
  expect(await count(o)).toBe(10);
});

test('10 sends an hour per device; another device is unaffected, and device sends leave the group limit alone', async () => {
  const o = await quietOrg();
  const token = fcmToken();
  const phone = await register(o.user.una!, 'android', token);
  const tablet = await register(o.user.una!, 'ios', apnsToken());
  await deviceSend(o.sender, phone.id);
  await host.clock.advance(5 * MINUTE);
  for (let i = 0; i < 9; i++) await deviceSend(o.sender, phone.id);
  await host.clock.advance(5 * MINUTE);

  expect((await limited(await postDevice(o.sender, phone.id), 50 * 60)).detail).toMatch(/10 notifications an hour go to one device/);
  await deviceSend(o.sender, tablet.id);
  for (let i = 0; i < 25; i++) await groupSend(o.sender, [o.group('quiet')]);
  await limited(await postGroup(o), 3600);

  await host.clock.advance(50 * MINUTE - 1);
  await limited(await postDevice(o.sender, phone.id), 1);
  await host.clock.advance(1);
  await deviceSend(o.sender, phone.id);
  await limited(await postDevice(o.sender, phone.id), 5 * 60);
  // Exactly the admitted sends reached the phone.
  await until(
    () => received(host, 'fcm', token),
    (r) => r.length >= 11,
  );
  await host.idle();
  expect(await received(host, 'fcm', token)).toHaveLength(11);
});

test('a resend counts toward the limit of its kind', async () => {
  const o = await quietOrg();
  const phone = await register(o.user.una!, 'android', fcmToken());
  const first = await deviceSend(o.sender, phone.id);
  for (let i = 0; i < 9; i++) {
    const res = await o.sender(`/api/notifications/${first.id}/resend`, { body: {} });
    expect(res.status, await res.clone().text()).toBe(202);
  }
  await limited(await o.sender(`/api/notifications/${first.id}/resend`, { body: {} }), 3600);
  const items = (await history(o.sender, '?pageSize=100')).items;
  expect(items).toHaveLength(10);
  expect(items.filter((n) => n.resendOf === first.id)).toHaveLength(9);
});
