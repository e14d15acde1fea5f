import { expect, test } from 'vitest';
import { CHUNK_SIZE, type SendOutcome } from '../../../core/delivery.js';
import { DELIVER_TEAMS } from '../../../core/hops.js';
import { createHeldResume } from '../../../jobs/delivery/resumeHeld.js';
import { published } from './fakes/published.js';
import { FakeTeams, SENT } from './fakes/senders.js';
import { deliveryWorld, LEASE_MS, logger } from './fakes/worlds.js';

test('a batch whose worker died is queued again once its lease lapses, once, and the new worker finishes it', async () => {
  // The first request never answers: its host was killed in the middle of it.
  const world = deliveryWorld({ teams: new FakeTeams((call) => (call === 1 ? new Promise<SendOutcome>(() => undefined) : SENT)) });
  const { message, job } = await published(world, 'teams', [200]);
  const sweep = createHeldResume({ ...world, enqueue: world.queue.enqueue });
  void world.jobs.deliverBatch('teams', job(0), logger());
  await expect.poll(() => world.teams.calls.length).toBe(1);

  // Its worker may still be alive: the lease says so.
  expect(await sweep.resumeHeld(logger())).toBe(0);
  world.clock.advance(LEASE_MS + 1);
  const log = logger();
  expect(await sweep.resumeHeld(log)).toBe(1);
  expect(world.queue.on(DELIVER_TEAMS).map((s) => s.body)).toEqual([job(0)]);
  expect(log.lines).toEqual([`message ${message.id} occurrence 0 batch 0: its worker stopped; queued again`]);
  // Queued already: the next sweeps leave it to that message.
  expect(await sweep.resumeHeld(logger())).toBe(0);

  const [again] = world.queue.take(DELIVER_TEAMS);
  await world.jobs.deliverBatch('teams', again!, logger());
  expect(await world.deliveries.batchSummary(job(0))).toMatchObject({ sent: 200 - CHUNK_SIZE, unconfirmed: CHUNK_SIZE, leaseUntil: 0 });
  expect(world.held.batches.size).toBe(0);
  expect(await sweep.resumeHeld(logger())).toBe(0);
});
