// Custom notifications meeting FCM throttling: the device is shown throttled, tried again after the pause
// and gets the notification once. The pause is real time (firebase-admin does not show FCM's Retry-After, so
// it is the setting PUSH_THROTTLE_PAUSE_SECONDS, default 30): here 5 s.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { startInboxHerald } from './inboxSupport.js';
import {
  apnsToken,
  deviceStatuses,
  fcmToken,
  groupSend,
  notification,
  org,
  pushControl,
  received,
  register,
  settled,
  until,
} from './notificationsSupport.js';

let host: TestHost;
beforeAll(async () => {
  host = await startInboxHerald({ PUSH_THROTTLE_PAUSE_SECONDS: '5' });
});
afterAll(async () => {
  await host?.stop();
});

const throttledByFcm = async () => ((await pushControl(host, 'counts')) as { fcm: { throttled: number } }).fcm.throttled;

test('FCM throttles a device once: it is shown throttled, then gets the notification exactly once after the pause', async () => {
  await pushControl(host, 'reset', 'POST');
  const o = await org(host, ['una', 'neo'], { staff: ['una', 'neo'] });
  const androidToken = fcmToken();
  const iosToken = apnsToken();
  const android = await register(o.user.una!, 'android', androidToken);
  await register(o.user.neo!, 'ios', iosToken);
  await pushControl(host, 'throttling', 'PUT', { fcm: { retryAfterSeconds: 1, times: 1 } });

  const n = await groupSend(o.sender, [o.group('staff')]);
  const waiting = await until(
    () => notification(o.sender, n.id),
    (v) => v.sent === 1,
  );
  expect(waiting).toMatchObject({ status: 'sending', devices: 2, sent: 1, failed: 0, pending: 1 });
  const throttled = await deviceStatuses(o.sender, n.id, '?status=throttled');
  expect(throttled).toEqual([expect.objectContaining({ deviceId: android.id, reason: expect.stringMatching(/message-rate-exceeded/) })]);
  expect(await received(host, 'fcm', androidToken)).toEqual([]);
  expect(await throttledByFcm()).toBe(1);

  // The pause is real time: see the top of the file.
  expect(await settled(o.sender, n.id, 60_000)).toMatchObject({ devices: 2, sent: 2, failed: 0, pending: 0 });
  expect(await received(host, 'fcm', androidToken)).toHaveLength(1);
  expect(await received(host, 'apns', iosToken)).toHaveLength(1);
  expect(await throttledByFcm()).toBe(1);
}, 120_000);
