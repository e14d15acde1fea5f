// Custom notifications meeting a push token FCM or APNs calls dead: the device is marked stale and nothing
// more is sent to it until the app registers the token again.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { startInboxHerald } from './inboxSupport.js';
import {
  apnsToken,
  device,
  deviceSend,
  deviceStatuses,
  expectProblem,
  fcmToken,
  groupSend,
  org,
  pushControl,
  received,
  register,
  settled,
  type DeviceView,
} from './notificationsSupport.js';

let host: TestHost;
beforeAll(async () => {
  host = await startInboxHerald();
});
afterAll(async () => {
  await host?.stop();
});

interface Counts {
  fcm: { received: number; rejected: number; unregistered: number; throttled: number };
  apns: { received: number; rejected: number; unregistered: number; throttled: number };
}
const counts = async () => (await pushControl(host, 'counts')) as Counts;

const cases = [
  { provider: 'fcm' as const, platform: 'android', token: fcmToken, reason: /^FCM messaging\/registration-token-not-registered/ },
  { provider: 'apns' as const, platform: 'ios', token: apnsToken, reason: /^APNs 410 Unregistered/ },
];

test.each(cases)(
  'a token $provider calls dead: failed with the reason, marked stale, left out after, refused for a device send, revived by registering again',
  async ({ provider, platform, token, reason }) => {
    await pushControl(host, 'reset', 'POST');
    const o = await org(host, ['una', 'neo'], { staff: ['una', 'neo'] });
    const una = o.user.una!;
    const deadToken = token();
    const liveToken = fcmToken();
    const dying = await register(una, platform, deadToken);
    await register(o.user.neo!, 'android', liveToken);
    await pushControl(host, 'dead', 'POST', { platform: provider, token: deadToken });

    const first = await groupSend(o.sender, [o.group('staff')], 'First');
    expect(await settled(o.sender, first.id)).toMatchObject({ devices: 2, sent: 1, failed: 1, pending: 0 });
    const failed = (await deviceStatuses(o.sender, first.id, '?status=failed')).map((s) => [s.deviceId, s.status, s.reason]);
    expect(failed).toEqual([[dying.id, 'failed', expect.stringMatching(reason)]]);
    const stale = await device(una, dying.id);
    expect(stale).toMatchObject({ receivesNotifications: false, staleSince: (await host.clock.now()).toISOString() });
    expect(stale.staleReason).toMatch(reason);
    const listed = ((await (await una('/api/devices')).json()) as { items: DeviceView[] }).items;
    expect(listed.find((d) => d.id === dying.id)?.staleSince).toEqual(stale.staleSince);
    expect((await counts())[provider].unregistered).toBe(1);

    const second = await groupSend(o.sender, [o.group('staff')], 'Second');
    expect(await settled(o.sender, second.id)).toMatchObject({ devices: 1, sent: 1, failed: 0 });
    expect((await deviceStatuses(o.sender, second.id)).map((s) => s.deviceId)).not.toContain(dying.id);
    await host.idle();
    expect((await counts())[provider].unregistered).toBe(1);
    const refused = await expectProblem(
      await o.sender('/api/notifications', { body: { title: 'Hi', body: 'There', deviceId: dying.id } }),
      400,
      'deviceId',
    );
    expect(refused.detail).toMatch(/dead push token/);
    expect((await received(host, 'fcm', liveToken)).map((n) => n.title)).toEqual(['First', 'Second']);

    // The app registers the token again (the provider accepts it once more: the stand-in forgets it was dead).
    await pushControl(host, 'reset', 'POST');
    const revived = await register(una, platform, deadToken);
    expect(revived.id).toBe(dying.id);
    expect(revived.receivesNotifications).toBe(true);
    expect(revived).not.toHaveProperty('staleSince');
    expect(await device(una, dying.id)).not.toHaveProperty('staleSince');
    const direct = await deviceSend(o.sender, dying.id);
    expect(await settled(o.sender, direct.id)).toMatchObject({ devices: 1, sent: 1 });
    const third = await groupSend(o.sender, [o.group('staff')], 'Third');
    expect(await settled(o.sender, third.id)).toMatchObject({ devices: 2, sent: 2 });
    expect((await received(host, provider, deadToken)).map((n) => n.title)).toEqual(['Your laptop is ready', 'Third']);
  },
);
