import { describe, expect, test } from 'vitest';
import { published } from './fakes/published.js';
import { TENANT } from './fakes/records.js';
import { deliveryWorld, logger } from './fakes/worlds.js';

describe('occurrence progress', () => {
  test('an occurrence is delivered only when every one of its batches has an outcome for everyone', async () => {
    const world = deliveryWorld();
    const { message, job } = await published(world, 'teams', [100, 100, 100]);
    const ref = { tenantId: TENANT, messageId: message.id, occurrence: 0 };

    expect((await world.jobs.deliverBatch('teams', job(0), logger())).occurrenceDelivered).toBe(false);
    expect((await world.jobs.deliverBatch('teams', job(2), logger())).occurrenceDelivered).toBe(false);
    expect(await world.jobs.isDelivered(ref)).toBe(false);
    expect((await world.jobs.deliverBatch('teams', job(1), logger())).occurrenceDelivered).toBe(true);
    expect(await world.jobs.isDelivered(ref)).toBe(true);
  });

  test('while the audience is still being resolved, finished batches do not make it delivered', async () => {
    const world = deliveryWorld();
    const { message, job } = await published(world, 'teams', [10]);
    await world.deliveries.updateOccurrence(TENANT, message.id, 0, { state: 'resolving' });

    expect((await world.jobs.deliverBatch('teams', job(0), logger())).occurrenceDelivered).toBe(false);
    expect(await world.jobs.isDelivered({ tenantId: TENANT, messageId: message.id, occurrence: 0 })).toBe(false);
  });

  test('progress sums the batch summaries, with a rate since the start and an ETA for the rest', async () => {
    const world = deliveryWorld();
    const { message, job } = await published(world, 'teams', [100, 100]);
    world.clock.advance(10_000);
    await world.jobs.deliverBatch('teams', job(0), logger());
    const occ = (await world.deliveries.getOccurrence(TENANT, message.id, 0))!;

    const progress = await world.jobs.occurrenceProgress(occ, TENANT, message.id);

    expect(progress).toEqual({
      occurrence: 0,
      channel: 'teams',
      state: 'sending',
      startedAt: occ.startedAt,
      recipients: 200,
      sent: 100,
      failed: 0,
      throttled: 0,
      cancelled: 0,
      unconfirmed: 0,
      inFlight: 0,
      pending: 100,
      perSecond: 10,
      eta: new Date(world.clock.app + 10_000).toISOString(),
    });

    await world.jobs.deliverBatch('teams', job(1), logger());
    expect(await world.jobs.occurrenceProgress(occ, TENANT, message.id)).toMatchObject({ state: 'done', sent: 200, pending: 0 });
    expect((await world.jobs.occurrenceProgress(occ, TENANT, message.id)).eta).toBeUndefined();
  });
});
