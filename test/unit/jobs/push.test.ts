import { describe, expect, test } from 'vitest';
import { DELIVER_PUSH, RESOLVE_NOTIFICATION } from '../../../core/hops.js';
import { batchOf, LIMITS, MIN_ANDROID_APP_VERSION, updatePrompt } from '../../../core/notification.js';
import { SendLimited, SendRefused } from '../../../jobs/push/notificationSends.js';
import { FakeDirectory } from './fakes/directory.js';
import { device, FakeDevices } from './fakes/push.js';
import { TENANT } from './fakes/records.js';
import { FakePush, SENT } from './fakes/senders.js';
import { logger, pushWorld, user } from './fakes/worlds.js';

const GROUP = '0b0b0b0b-0000-4000-8000-0000000000f1';
const SENDER = { id: 'admin', upn: 'admin@contoso.test', name: 'Admin' };
const hex = (n: number) => n.toString(16).padStart(32, '0');

describe('custom notifications', () => {
  test('a group send reaches the live iOS and Android devices of the groups’ enabled users, spread by device id', async () => {
    const directory = new FakeDirectory([user('ann'), user('bob'), user('cat', { accountEnabled: false }), user('dan')], {
      [GROUP]: ['ann', 'bob', 'cat'],
    });
    const devices = new FakeDevices([
      device(hex(1), 'ann'),
      device(hex(2), 'ann', { platform: 'android' }),
      device(hex(3), 'bob', { platform: 'windows' }),
      device(hex(4), 'bob', { staleSince: '2026-02-01T00:00:00.000Z' }),
      device(hex(5), 'bob', { enrolled: false }),
      device(hex(6), 'cat'),
      device(hex(7), 'dan'),
      device(hex(8), 'bob', { platform: 'android' }),
    ]);
    const world = pushWorld({ directory, devices });
    const sent = await world.jobs.sendNotification({
      tenantId: TENANT,
      sender: SENDER,
      input: { title: 'Fire drill', body: 'At 11:00', groups: [GROUP] },
    });
    const [ref] = world.queue.take(RESOLVE_NOTIFICATION);
    expect(ref).toEqual({ tenantId: TENANT, notificationId: sent.id });
    const log = logger();

    expect(await world.jobs.resolveNotification(ref!, log)).toBe(false);

    const occurrence = (await world.deliveries.getOccurrence(TENANT, sent.id, 0))!;
    expect(occurrence).toMatchObject({ state: 'resolved', channel: 'push', recipients: 3, batches: 1 });
    expect((await world.notifications.getNotification(TENANT, sent.id))?.devices).toBe(3);
    const rows = await world.deliveries.rows({ tenantId: TENANT, messageId: sent.id, occurrence: 0, batch: batchOf(hex(1), 1) });
    expect(rows.map((r) => r.userId).sort()).toEqual([hex(1), hex(2), hex(8)]);
    expect(rows.find((r) => r.userId === hex(2))?.device).toEqual({
      owner: 'ann',
      platform: 'android',
      token: `token-${hex(2)}`,
      app: 'companyPortal',
      appVersion: '5.1',
    });
    expect(world.queue.take(DELIVER_PUSH)).toEqual([{ tenantId: TENANT, messageId: sent.id, occurrence: 0, batch: 0 }]);
    expect(log.lines).toEqual([
      `notification ${sent.id}: 2 users in the groups; reading their devices`,
      `notification ${sent.id}: 3 devices in 1 batches`,
    ]);
  });

  test('a dead token marks its device stale; the others are sent', async () => {
    const devices = new FakeDevices([device(hex(1), 'ann'), device(hex(2), 'ann', { platform: 'android' }), device(hex(3), 'bob')]);
    const push = new FakePush((t) =>
      t.id === hex(2) ? { status: 'failed', reason: 'registration-token-not-registered', permanent: true, dead: true } : SENT,
    );
    const world = pushWorld({ directory: new FakeDirectory([user('ann'), user('bob')], { [GROUP]: ['ann', 'bob'] }), devices, push });
    const sent = await world.jobs.sendNotification({
      tenantId: TENANT,
      sender: SENDER,
      input: { title: 'Hi', body: 'There', groups: [GROUP] },
    });
    await world.jobs.resolveNotification(world.queue.take(RESOLVE_NOTIFICATION)[0]!, logger());
    const [job] = world.queue.take(DELIVER_PUSH);

    await world.jobs.deliverBatch(job!, logger());

    expect(push.calls).toHaveLength(1);
    expect(push.calls[0]!.content).toEqual({ notificationId: sent.id, title: 'Hi', body: 'There' });
    const rows = await world.deliveries.rows(job!);
    expect(rows.find((r) => r.userId === hex(2))).toMatchObject({ status: 'failed', reason: 'registration-token-not-registered' });
    expect(
      rows
        .filter((r) => r.status === 'sent')
        .map((r) => r.userId)
        .sort(),
    ).toEqual([hex(1), hex(3)]);
    expect(await devices.getDevice(TENANT, hex(2))).toMatchObject({
      staleSince: new Date(world.clock.app).toISOString(),
      staleReason: 'registration-token-not-registered',
    });
    expect((await devices.getDevice(TENANT, hex(1)))?.staleSince).toBeUndefined();
    expect(world.counters.totals(TENANT, sent.id)).toEqual({ delivered: 2, failed: 1 });

    // The next send leaves the stale device out.
    await world.jobs.sendNotification({ tenantId: TENANT, sender: SENDER, input: { title: 'Again', body: 'There', groups: [GROUP] } });
    const again = world.queue.take(RESOLVE_NOTIFICATION)[0]!;
    await world.jobs.resolveNotification(again, logger());
    expect((await world.notifications.getNotification(TENANT, again.notificationId))?.devices).toBe(2);
  });

  test('"For Android devices, users must update to recent versions of the Android Company Portal (version 5.0.5291.0 …) or Android Intune app (version 2021.09.04 …)": an older app "will instead receive a notification telling them to update their app", and its row says so', async () => {
    const devices = new FakeDevices([
      device(hex(1), 'ann', { platform: 'android', appVersion: '5.0.5000.0' }),
      device(hex(2), 'ann', { platform: 'android', app: 'intune', appVersion: '2021.08.01' }),
      device(hex(3), 'bob', { platform: 'android', appVersion: MIN_ANDROID_APP_VERSION.companyPortal }),
      device(hex(4), 'bob', { platform: 'android', app: 'intune', appVersion: MIN_ANDROID_APP_VERSION.intune }),
      device(hex(5), 'bob', { platform: 'ios', appVersion: '1.0' }),
    ]);
    const push = new FakePush();
    const world = pushWorld({ directory: new FakeDirectory([user('ann'), user('bob')], { [GROUP]: ['ann', 'bob'] }), devices, push });
    const sent = await world.jobs.sendNotification({
      tenantId: TENANT,
      sender: SENDER,
      input: { title: 'Fire drill', body: 'At 11:00', groups: [GROUP] },
    });
    await world.jobs.resolveNotification(world.queue.take(RESOLVE_NOTIFICATION)[0]!, logger());
    const [job] = world.queue.take(DELIVER_PUSH);

    await world.jobs.deliverBatch(job!, logger());

    const got = (id: string) => push.calls.find((c) => c.targets.some((t) => t.id === id))?.content;
    expect(got(hex(1))).toEqual({ notificationId: sent.id, ...updatePrompt('companyPortal') });
    expect(got(hex(2))).toEqual({ notificationId: sent.id, ...updatePrompt('intune') });
    for (const id of [hex(3), hex(4), hex(5)])
      expect(got(id), id).toEqual({ notificationId: sent.id, title: 'Fire drill', body: 'At 11:00' });
    expect(push.calls.flatMap((c) => c.targets)).toHaveLength(5);
    const rows = new Map((await world.deliveries.rows(job!)).map((r) => [r.userId, r]));
    expect(rows.get(hex(1))).toMatchObject({ status: 'sent', reason: 'update prompt sent: Company Portal 5.0.5000.0 is below 5.0.5291.0' });
    expect(rows.get(hex(2))).toMatchObject({
      status: 'sent',
      reason: 'update prompt sent: Microsoft Intune 2021.08.01 is below 2021.09.04',
    });
    for (const id of [hex(3), hex(4), hex(5)]) expect(rows.get(id), id).toMatchObject({ status: 'sent' });
    for (const id of [hex(3), hex(4), hex(5)]) expect(rows.get(id)?.reason, id).toBeUndefined();
    expect(world.counters.totals(TENANT, sent.id)).toEqual({ delivered: 5, failed: 0 });
  });

  test('an update prompt the provider refuses fails with the provider’s reason, and a dead token still marks the device stale', async () => {
    const devices = new FakeDevices([device(hex(1), 'ann', { platform: 'android', appVersion: '4.0' })]);
    const push = new FakePush(() => ({ status: 'failed', reason: 'registration-token-not-registered', permanent: true, dead: true }));
    const world = pushWorld({ devices, push });
    await world.jobs.sendNotification({ tenantId: TENANT, sender: SENDER, input: { title: 'Hi', body: 'There', deviceId: hex(1) } });
    await world.jobs.resolveNotification(world.queue.take(RESOLVE_NOTIFICATION)[0]!, logger());
    const [job] = world.queue.take(DELIVER_PUSH);

    await world.jobs.deliverBatch(job!, logger());

    expect(push.calls.map((c) => c.content.title)).toEqual([updatePrompt('companyPortal').title]);
    expect(await world.deliveries.rows(job!)).toMatchObject([{ status: 'failed', reason: 'registration-token-not-registered' }]);
    expect((await devices.getDevice(TENANT, hex(1)))?.staleReason).toBe('registration-token-not-registered');
  });

  test('a batch written before devices kept their app and version sends the notification itself', async () => {
    const push = new FakePush();
    const world = pushWorld({ push });
    const n = await world.notifications.createNotification(
      TENANT,
      { title: 'Hi', body: 'There', deviceId: hex(1), sender: SENDER },
      world.clock.now(),
    );
    const job = { tenantId: TENANT, messageId: n.id, occurrence: 0, batch: 0 };
    await world.deliveries.writeBatch(
      job,
      'push',
      [{ userId: hex(1), upn: 'ann@contoso.test', device: { owner: 'ann', platform: 'android', token: 'token-old' } }],
      world.clock.now(),
    );

    await world.jobs.deliverBatch(job, logger());

    expect(push.calls.map((c) => c.content)).toEqual([{ notificationId: n.id, title: 'Hi', body: 'There' }]);
    expect(await world.deliveries.rows(job)).toMatchObject([{ status: 'sent' }]);
  });

  test('a notification deleted before its batch runs sends nothing', async () => {
    const push = new FakePush();
    const world = pushWorld({
      directory: new FakeDirectory([user('ann')], { [GROUP]: ['ann'] }),
      devices: new FakeDevices([device(hex(1), 'ann')]),
      push,
    });
    const sent = await world.jobs.sendNotification({
      tenantId: TENANT,
      sender: SENDER,
      input: { title: 'Hi', body: 'There', groups: [GROUP] },
    });
    await world.jobs.resolveNotification(world.queue.take(RESOLVE_NOTIFICATION)[0]!, logger());
    world.notifications.delete(sent.id);

    await world.jobs.deliverBatch(world.queue.take(DELIVER_PUSH)[0]!, logger());

    expect(push.calls).toEqual([]);
    expect(await world.deliveries.rows({ tenantId: TENANT, messageId: sent.id, occurrence: 0, batch: 0 })).toMatchObject([
      { status: 'cancelled', reason: 'notification deleted before delivery' },
    ]);
  });

  test('a group the directory does not have fails the notification at once, naming it', async () => {
    const world = pushWorld();
    const missing = '0b0b0b0b-0000-4000-8000-0000000000ff';
    const sent = await world.jobs.sendNotification({
      tenantId: TENANT,
      sender: SENDER,
      input: { title: 'Hi', body: 'There', groups: [missing] },
    });

    expect(await world.jobs.resolveNotification(world.queue.take(RESOLVE_NOTIFICATION)[0]!, logger())).toBe(false);

    expect(await world.deliveries.getOccurrence(TENANT, sent.id, 0)).toMatchObject({
      state: 'failed',
      reason: `group ${missing} is not in the organisation's directory`,
    });
    expect(world.queue.sent).toEqual([]);
  });

  test('a device send checks the device and the hourly limit per device', async () => {
    const devices = new FakeDevices([
      device(hex(1), 'ann'),
      device(hex(2), 'ann', { platform: 'macos' }),
      device(hex(3), 'ann', { staleSince: '2026-02-01T00:00:00.000Z', staleReason: 'unregistered' }),
    ]);
    const world = pushWorld({ devices });
    const send = (deviceId: string) =>
      world.jobs.sendNotification({ tenantId: TENANT, sender: SENDER, input: { title: 'Hi', body: 'There', deviceId } });

    await expect(send(hex(9))).rejects.toMatchObject({ constructor: SendRefused, status: 404, field: 'deviceId' });
    await expect(send(hex(2))).rejects.toMatchObject({ constructor: SendRefused, status: 400 });
    await expect(send(hex(3))).rejects.toThrow(/dead push token \(unregistered\)/);

    for (let i = 0; i < LIMITS.deviceSendsPerHour; i++) await send(hex(1));
    await expect(send(hex(1))).rejects.toBeInstanceOf(SendLimited);
    expect(world.queue.on(RESOLVE_NOTIFICATION)).toHaveLength(LIMITS.deviceSendsPerHour);

    world.clock.advance(3_600_000);
    await expect(send(hex(1))).resolves.toMatchObject({ deviceId: hex(1) });
  });
});
