import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { DELIVER_PUSH, RESOLVE_NOTIFICATION } from '../../../core/hops.js';
import { deviceBatch } from '../../../core/notification.js';
import { FakeDirectory } from './fakes/directory.js';
import { device, FakeDevices } from './fakes/push.js';
import { TENANT } from './fakes/records.js';
import { logger, pushWorld, user } from './fakes/worlds.js';

const GROUP = '0b0b0b0b-0000-4000-8000-0000000000f1';
const SENDER = { id: 'admin', upn: 'admin@contoso.test', name: 'Admin' };
const idOf = (i: number, salt = '') => createHash('sha256').update(`${salt}${i}`).digest('hex').slice(0, 32);

/** `people` users in one group, each with one device (ids as deviceStore derives them). */
function organisation(people: number) {
  const users = Array.from({ length: people }, (_, i) => user(`u${i}`));
  const directory = new FakeDirectory(users, { [GROUP]: users.map((u) => u.id) }, 1000);
  const devices = new FakeDevices(users.map((u, i) => device(idOf(i), u.id, { platform: i % 5 < 3 ? 'android' : 'ios' })));
  return { directory, devices };
}

async function send(world: ReturnType<typeof pushWorld>) {
  const n = await world.jobs.sendNotification({ tenantId: TENANT, sender: SENDER, input: { title: 'Hi', body: 'There', groups: [GROUP] } });
  return { n, ref: world.queue.take(RESOLVE_NOTIFICATION)[0]! };
}

/** Every written batch's recipients, by batch number. */
async function batchesOf(world: ReturnType<typeof pushWorld>, messageId: string, count: number) {
  const out = new Map<number, string[]>();
  for (let batch = 0; batch < count; batch++) {
    const rows = await world.deliveries.rows({ tenantId: TENANT, messageId, occurrence: 0, batch });
    out.set(
      batch,
      rows.map((r) => r.userId),
    );
  }
  return out;
}

describe('a large group send, cut into batches by id range', () => {
  test("every device is in exactly one batch, the one its id and the notification's layout name; each range is read once", async () => {
    const world = pushWorld(organisation(20_000));
    const { n, ref } = await send(world);

    await world.jobs.resolveNotification(ref, logger());

    const record = (await world.notifications.getNotification(TENANT, n.id))!;
    expect(record.layout?.ranges).toBe(4);
    expect(record.devices).toBe(20_000);
    expect((world.devices as FakeDevices).rangeReads).toHaveLength(4);
    const batches = await batchesOf(world, n.id, record.batches!);
    const seen = new Map<string, number>();
    for (const [batch, ids] of batches) {
      expect(ids.length).toBeLessThanOrEqual(990);
      for (const id of ids) {
        expect(seen.has(id)).toBe(false);
        seen.set(id, batch);
        expect(deviceBatch(id, record)).toBe(batch);
      }
    }
    expect(seen.size).toBe(20_000);
    // Every batch 0…n-1 is written (gaps empty), and only those with devices are queued.
    expect(world.deliveries.written).toBe(record.batches);
    const queued = world.queue.take(DELIVER_PUSH).map((b) => b.batch);
    expect(queued.sort((a, b) => a - b)).toEqual([...batches].filter(([, ids]) => ids.length > 0).map(([b]) => b));
    expect(await world.deliveries.getOccurrence(TENANT, n.id, 0)).toMatchObject({
      state: 'resolved',
      recipients: 20_000,
      batches: record.batches,
      batchesWritten: record.batches,
    });
  });

  test('a re-run after a crash mid-way cuts each range as recorded: written batches stay, nobody lands in two', async () => {
    const org = organisation(20_000);
    const world = pushWorld(org);
    const { n, ref } = await send(world);
    const read = org.devices.pushableDevicesIn;
    let reads = 0;
    org.devices.pushableDevicesIn = async (tenantId, range) => {
      // The third range's read dies: the first ranges are cut and written, the rest not.
      if (++reads === 3) throw new Error('connection reset');
      return read(tenantId, range);
    };
    await expect(world.jobs.resolveNotification(ref, logger())).rejects.toThrow('connection reset');
    const partial = (await world.notifications.getNotification(TENANT, n.id))!;
    expect(partial.batches).toBeUndefined();
    const cut = partial.layout!.perRange;
    expect(cut.filter((k) => k !== undefined).length).toBeGreaterThanOrEqual(2);
    const firstQueued = world.queue.take(DELIVER_PUSH).map((b) => b.batch);
    expect(firstQueued.length).toBeGreaterThan(0);
    const before = [...(await batchesOf(world, n.id, Math.max(...firstQueued) + 1))].filter(([, ids]) => ids.length > 0);
    expect(before.map(([b]) => b).sort((a, b) => a - b)).toEqual(firstQueued.sort((a, b) => a - b));

    // Between the crash and the re-run 2,000 more devices register, in every range: a fresh cut would differ.
    for (let i = 0; i < 2_000; i++) org.devices.add(device(idOf(i, 'late'), `u${i}`));
    await world.jobs.resolveNotification(ref, logger());

    const record = (await world.notifications.getNotification(TENANT, n.id))!;
    expect(record.layout!.ranges).toBe(partial.layout!.ranges);
    cut.forEach((k, r) => k !== undefined && expect(record.layout!.perRange[r]).toBe(k));
    const after = await batchesOf(world, n.id, record.batches!);
    for (const [batch, ids] of before) expect(after.get(batch)).toEqual(ids);
    const everyone = [...after.values()].flat();
    expect(new Set(everyone).size).toBe(everyone.length);
    for (const [batch, ids] of after) for (const id of ids) expect(deviceBatch(id, record)).toBe(batch);
    // Every device of the first run is sent once; a late one only when its batch was not written before it came.
    for (let i = 0; i < 20_000; i++) expect(after.get(deviceBatch(idOf(i), record)!)).toContain(idOf(i));
  });
});
