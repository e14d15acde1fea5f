import { describe, expect, test } from 'vitest';
import { RESOLVE_AUDIENCE } from '../../../core/hops.js';
import { message, TENANT } from './fakes/records.js';
import { deliveryWorld, logger } from './fakes/worlds.js';

const DAY = 24 * 3_600_000;
const daily = { start: '2026-03-02T09:00:00Z', end: '2026-03-05T09:00:00Z', frequency: 'daily' as const };

describe('occurrences', () => {
  test('starting one queues its resolution and records when the next is due; pulled messages have none', async () => {
    const world = deliveryWorld();
    const email = message({ location: 'email', schedule: daily });
    const inbox = message({ location: 'spotlight', schedule: daily });
    world.messages.put(TENANT, email);
    world.messages.put(TENANT, inbox);

    expect(await world.jobs.startPushOccurrence(email, TENANT, 0, world.clock.now())).toBe(true);
    expect(await world.jobs.startPushOccurrence(inbox, TENANT, 0, world.clock.now())).toBe(false);

    expect(world.queue.take(RESOLVE_AUDIENCE)).toEqual([{ tenantId: TENANT, messageId: email.id, occurrence: 0 }]);
    expect(world.messages.occurrenceOf(TENANT, email.id)).toEqual({ occurrence: 0, nextAt: '2026-03-03T09:00:00.000Z' });
    expect(world.messages.occurrenceOf(TENANT, inbox.id)).toEqual({ occurrence: undefined, nextAt: undefined });
  });

  test("started from the lifecycle's activity, the resolution is handed on through its output binding, not queued", async () => {
    const world = deliveryWorld();
    const teams = message({ location: 'teams', schedule: daily });
    world.messages.put(TENANT, teams);
    const handedOn: unknown[] = [];

    expect(await world.jobs.startPushOccurrence(teams, TENANT, 0, world.clock.now(), (ref) => handedOn.push(ref))).toBe(true);

    expect(handedOn).toEqual([{ tenantId: TENANT, messageId: teams.id, occurrence: 0 }]);
    expect(world.queue.sent).toEqual([]);
    expect(world.messages.occurrenceOf(TENANT, teams.id)).toEqual({ occurrence: 0, nextAt: '2026-03-03T09:00:00.000Z' });
  });

  test('the resend timer starts the occurrence in force once, and stops at the end', async () => {
    const world = deliveryWorld();
    const m = message({ location: 'teams', schedule: daily });
    world.messages.put(TENANT, m);
    await world.jobs.startPushOccurrence(m, TENANT, 0, world.clock.now());
    world.queue.take(RESOLVE_AUDIENCE);
    const log = logger();

    // Two days on with nothing run in between: only the round in force now goes, not the one missed.
    world.clock.advance(2 * DAY + 60_000);
    await world.jobs.startDueResends(world.clock.now(), log);
    await world.jobs.startDueResends(world.clock.now(), log);

    expect(world.queue.take(RESOLVE_AUDIENCE)).toEqual([{ tenantId: TENANT, messageId: m.id, occurrence: 2 }]);
    expect(log.lines).toEqual([`message ${m.id} (tenant ${TENANT}): resend, occurrence 2`]);
    expect(world.messages.occurrenceOf(TENANT, m.id)).toEqual({ occurrence: 2, nextAt: undefined });

    world.clock.advance(DAY);
    await world.jobs.startDueResends(world.clock.now(), log);
    expect(world.queue.sent).toEqual([]);
  });
});
