import { describe, expect, test } from 'vitest';
import { DELIVER_EMAIL, DELIVER_TEAMS, RESOLVE_AUDIENCE, type ResolutionRef } from '../../../core/hops.js';
import { DateTime } from 'luxon';
import { BATCH_SIZE, type Recipient } from '../../../core/delivery.js';
import { CLICK_SUPPRESSION_MS } from '../../../core/eligibility.js';
import { FakeDirectory } from './fakes/directory.js';
import { message, TENANT } from './fakes/records.js';
import { deliveryWorld, logger, user } from './fakes/worlds.js';

const A = '0b0b0b0b-0000-4000-8000-00000000000a';
const B = '0b0b0b0b-0000-4000-8000-00000000000b';
const C = '0b0b0b0b-0000-4000-8000-00000000000c';

const DAY = 86_400_000;
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `u${String(from + i).padStart(4, '0')}`);
const index = (id: string) => Number(id.slice(1));

// 2,400 people: every tenth in Engineering, and a sprinkling without a mailbox, guests and disabled accounts.
const people = ids(0, 2400).map((id) => {
  const i = index(id);
  return user(id, {
    department: i % 10 === 0 ? 'Engineering' : 'Sales',
    ...(i % 37 === 0 ? { mail: null } : {}),
    ...(i % 41 === 0 ? { userType: 'Guest' } : {}),
    ...(i % 43 === 0 ? { accountEnabled: false } : {}),
  });
});
// A and B overlap on 1200–1599; B holds C, whose people are in A too.
const groups = { [A]: ids(0, 1600), [B]: [...ids(1200, 2400), C], [C]: [...ids(0, 100), ...ids(2300, 2400)] };
const salesWithMail = ids(0, 2400).filter((id) => {
  const i = index(id);
  return i % 10 !== 0 && i % 37 !== 0 && i % 41 !== 0 && i % 43 !== 0;
});

async function snapshot(world: ReturnType<typeof deliveryWorld>, messageId: string, occurrence = 0) {
  const batches: Recipient[][] = [];
  for (const batch of world.deliveries.batchesOf(TENANT, messageId, occurrence))
    batches.push(await world.deliveries.rows({ tenantId: TENANT, messageId, occurrence, batch }));
  return batches;
}

/**
 * A resolution as the resolve-audience trigger runs it: the first run's hand-ons queued as its output
 * bindings would, then the rest run; the last run's `delivered`.
 */
async function resolve(world: ReturnType<typeof deliveryWorld>, ref: ResolutionRef, log: ReturnType<typeof logger>) {
  const first = await world.jobs.resolveAudience(ref, log);
  for (const { hop, batch } of first.handOn.deliver) await world.queue.enqueue(hop, batch);
  if (!first.handOn.rest) return first.delivered;
  return (await world.jobs.resolveAudience(first.handOn.rest, log)).delivered;
}

describe('audience resolution', () => {
  test('email: batches of at most 990, each person once, filters, guests, disabled and no-mailbox people left out', async () => {
    const world = deliveryWorld({ directory: new FakeDirectory(people, groups, 999) });
    const m = message({ location: 'email', audience: { groups: [A, B], departments: ['sales'] } });
    world.messages.put(TENANT, m);
    const log = logger();

    const delivered = await resolve(world, { tenantId: TENANT, messageId: m.id, occurrence: 0 }, log);

    expect(delivered).toBe(false);
    const batches = await snapshot(world, m.id);
    expect(batches.map((b) => b.length)).toEqual([BATCH_SIZE, BATCH_SIZE, salesWithMail.length - 2 * BATCH_SIZE]);
    expect(batches.flat().map((r) => r.userId)).toEqual(salesWithMail);
    expect(batches.flat().every((r) => r.mail === `${r.userId}@contoso.test`)).toBe(true);
    expect(world.queue.take(DELIVER_EMAIL)).toEqual(
      batches.map((_, batch) => ({ tenantId: TENANT, messageId: m.id, occurrence: 0, batch })),
    );
    expect(await world.deliveries.getOccurrence(TENANT, m.id, 0)).toMatchObject({
      state: 'resolved',
      channel: 'email',
      recipients: salesWithMail.length,
      batches: 3,
      batchesWritten: 3,
    });
    expect(log.lines).toEqual([
      `message ${m.id}: occurrence 0: batch 0 written, handing on the rest`,
      `message ${m.id}: occurrence 0 resolved to ${salesWithMail.length} recipients in 3 batches`,
    ]);
  });

  test('the first run writes batch 0 and hands it on with the rest; the rest counts it without writing or queuing it again', async () => {
    const world = deliveryWorld({ directory: new FakeDirectory(people, groups, 999) });
    const m = message({ location: 'teams', audience: { groups: [A, B] } });
    world.messages.put(TENANT, m);
    const ref = { tenantId: TENANT, messageId: m.id, occurrence: 0 };

    const first = await world.jobs.resolveAudience(ref, logger());

    expect(first).toEqual({
      delivered: false,
      handOn: { deliver: [{ hop: DELIVER_TEAMS, batch: { ...ref, batch: 0 } }], rest: { ...ref, from: 1 } },
    });
    expect(world.queue.sent).toEqual([]);
    expect(world.deliveries.written).toBe(1);
    expect((await world.deliveries.getOccurrence(TENANT, m.id, 0))?.state).toBe('resolving');

    const rest = await world.jobs.resolveAudience({ ...ref, from: 1 }, logger());

    expect(rest.handOn).toEqual({ deliver: [] });
    const batches = await snapshot(world, m.id);
    expect(world.deliveries.written).toBe(batches.length);
    expect(world.queue.take(DELIVER_TEAMS).map((b) => b.batch)).toEqual(batches.slice(1).map((_, i) => i + 1));
    expect(world.queue.on(RESOLVE_AUDIENCE)).toEqual([]);
    const total = batches.flat().length;
    expect(await world.deliveries.getOccurrence(TENANT, m.id, 0)).toMatchObject({
      state: 'resolved',
      recipients: total,
      batches: batches.length,
    });
  });

  test('an audience that fits in batch 0 is resolved by the first run, with nothing handed on but the batch', async () => {
    const world = deliveryWorld({ directory: new FakeDirectory(people, groups, 999) });
    const m = message({ location: 'teams', audience: { groups: [C] } });
    world.messages.put(TENANT, m);
    const ref = { tenantId: TENANT, messageId: m.id, occurrence: 0 };

    const first = await world.jobs.resolveAudience(ref, logger());

    expect(first.handOn).toEqual({ deliver: [{ hop: DELIVER_TEAMS, batch: { ...ref, batch: 0 } }] });
    expect(world.queue.sent).toEqual([]);
    expect(await world.deliveries.getOccurrence(TENANT, m.id, 0)).toMatchObject({ state: 'resolved', batches: 1 });
  });

  test('Teams reaches people without a mailbox, and the tenant setting brings guests in', async () => {
    const world = deliveryWorld({
      directory: new FakeDirectory(people.slice(0, 100), groups),
      settings: { [TENANT]: { includeGuests: true } },
    });
    const m = message({ location: 'teams', audience: {} });
    world.messages.put(TENANT, m);

    await resolve(world, { tenantId: TENANT, messageId: m.id, occurrence: 0 }, logger());

    const expected = ids(0, 100).filter((id) => index(id) % 43 !== 0);
    expect((await snapshot(world, m.id)).flat().map((r) => r.userId)).toEqual(expected);
    expect(world.queue.on(DELIVER_TEAMS)).toHaveLength(1);
  });

  test('a resend leaves out whoever clicked; the first occurrence does not look', async () => {
    const clicked = ['u0001', 'u0002', 'u0050'];
    const world = deliveryWorld({ directory: new FakeDirectory(people.slice(0, 60), groups) });
    for (const id of clicked) world.clicked.set(id, world.clock.now() - DAY);
    const m = message({ location: 'teams', audience: { groups: [A] } });
    world.messages.put(TENANT, m);
    const reachable = ids(0, 60).filter((id) => index(id) % 41 !== 0 && index(id) % 43 !== 0);

    await resolve(world, { tenantId: TENANT, messageId: m.id, occurrence: 0 }, logger());
    await resolve(world, { tenantId: TENANT, messageId: m.id, occurrence: 1 }, logger());

    expect((await snapshot(world, m.id, 0)).flat().map((r) => r.userId)).toEqual(reachable);
    expect((await snapshot(world, m.id, 1)).flat().map((r) => r.userId)).toEqual(reachable.filter((id) => !clicked.includes(id)));
  });

  test('"If the user does select the message, the message doesn’t reappear again for a year": a resend reaches who clicked 13 months ago, not who clicked 11 months ago', async () => {
    const world = deliveryWorld({ directory: new FakeDirectory(people.slice(0, 10), groups) });
    const now = world.clock.now();
    const monthsAgo = (months: number) => DateTime.fromMillis(now, { zone: 'UTC' }).minus({ months }).toMillis();
    world.clicked.set('u0001', monthsAgo(13));
    world.clicked.set('u0002', monthsAgo(11));
    // The year is the inbox's: a click exactly that long before the occurrence no longer silences it.
    world.clicked.set('u0003', now - CLICK_SUPPRESSION_MS);
    world.clicked.set('u0004', now - CLICK_SUPPRESSION_MS + 1);
    const m = message({ location: 'teams', audience: { groups: [A] } });
    world.messages.put(TENANT, m);

    await resolve(world, { tenantId: TENANT, messageId: m.id, occurrence: 12 }, logger());

    const reachable = ids(0, 10).filter((id) => index(id) % 41 !== 0 && index(id) % 43 !== 0);
    expect((await snapshot(world, m.id, 12)).flat().map((r) => r.userId)).toEqual(
      reachable.filter((id) => id !== 'u0002' && id !== 'u0004'),
    );
  });

  test('run again after a crash it writes nothing twice and ends with the same batches', async () => {
    const directory = new FakeDirectory(people, groups, 500);
    const world = deliveryWorld({ directory });
    const m = message({ location: 'email', audience: { groups: [A, B], departments: ['Sales'] } });
    world.messages.put(TENANT, m);
    const ref = { tenantId: TENANT, messageId: m.id, occurrence: 0 };

    directory.failAfterPages = 4;
    await expect(resolve(world, ref, logger())).rejects.toThrow(/503/);
    const before = await snapshot(world, m.id);
    expect(before.length).toBeGreaterThan(0);
    expect((await world.deliveries.getOccurrence(TENANT, m.id, 0))?.state).toBe('resolving');

    directory.failAfterPages = Infinity;
    await resolve(world, ref, logger());

    const after = await snapshot(world, m.id);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.flat().map((r) => r.userId)).toEqual(salesWithMail);
    expect(world.deliveries.written).toBe(3);
    expect(world.deliveries.refused).toBe(before.length);

    // Once resolved, a third run only asks whether it is delivered.
    const pages = directory.pagesServed;
    const queued = world.queue.sent.length;
    expect(await resolve(world, ref, logger())).toBe(false);
    expect(directory.pagesServed).toBe(pages);
    expect(world.queue.sent).toHaveLength(queued);
    expect(world.deliveries.written).toBe(3);
  });

  test('an empty audience is delivered at once', async () => {
    const world = deliveryWorld({ directory: new FakeDirectory(people.slice(0, 10), groups) });
    const m = message({ location: 'teams', audience: { departments: ['Legal'] } });
    world.messages.put(TENANT, m);

    expect(await resolve(world, { tenantId: TENANT, messageId: m.id, occurrence: 0 }, logger())).toBe(true);
    expect(await world.deliveries.getOccurrence(TENANT, m.id, 0)).toMatchObject({ state: 'resolved', recipients: 0, batches: 0 });
    expect(world.queue.sent).toEqual([]);
  });

  test('a message that is no longer Active, or pulled by devices, is not resolved', async () => {
    const world = deliveryWorld({ directory: new FakeDirectory(people.slice(0, 10), groups) });
    const cancelled = message({ location: 'teams' }, 'Cancelled');
    const inbox = message({ location: 'spotlight' });
    world.messages.put(TENANT, cancelled);
    world.messages.put(TENANT, inbox);
    const log = logger();

    expect(await resolve(world, { tenantId: TENANT, messageId: cancelled.id, occurrence: 0 }, log)).toBe(false);
    expect(await resolve(world, { tenantId: TENANT, messageId: inbox.id, occurrence: 0 }, log)).toBe(false);
    expect(log.lines).toEqual([`message ${cancelled.id}: not resolving occurrence 0, the message is Cancelled`]);
    expect(world.deliveries.occurrences.size).toBe(0);
    expect(world.queue.sent).toEqual([]);
  });

  test('a group the directory no longer has fails the occurrence at once, with why: no retry, nothing thrown', async () => {
    const world = deliveryWorld({ directory: new FakeDirectory(people, groups, 999) });
    const gone = '0b0b0b0b-0000-4000-8000-0000000000ff';
    const m = message({ location: 'teams', audience: { groups: [gone] } });
    world.messages.put(TENANT, m);
    const log = logger();

    expect(await resolve(world, { tenantId: TENANT, messageId: m.id, occurrence: 0 }, log)).toBe(false);

    expect(await world.deliveries.getOccurrence(TENANT, m.id, 0)).toMatchObject({
      state: 'failed',
      reason: `group ${gone} is not in the organisation's directory`,
    });
    expect(world.queue.sent).toEqual([]);
    expect(log.lines.at(-1)).toBe(`message ${m.id}: occurrence 0 failed: group ${gone} is not in the organisation's directory`);
  });

  test('the poison queue records the occurrence as failed, with why', async () => {
    const world = deliveryWorld();
    const m = message({ location: 'email' });
    world.messages.put(TENANT, m);

    await world.jobs.failResolution({ tenantId: TENANT, messageId: m.id, occurrence: 0 }, 'the directory kept failing', logger());

    expect(await world.deliveries.getOccurrence(TENANT, m.id, 0)).toMatchObject({
      state: 'failed',
      reason: 'the directory kept failing',
      channel: 'email',
    });
  });
});
