import { describe, expect, test } from 'vitest';
import { CHUNK_SIZE, MAX_ATTEMPTS, retryDelayMs, type SendOutcome } from '../../../core/delivery.js';
import { DELIVER_EMAIL, DELIVER_TEAMS } from '../../../core/hops.js';
import { CONFIRM_BUDGET_MS } from '../../../jobs/delivery/messageSenders.js';
import { published, recipient } from './fakes/published.js';
import { TENANT } from './fakes/records.js';
import { FakeEmail, FakeTeams, SENT } from './fakes/senders.js';
import { deliveryWorld, LEASE_MS, logger } from './fakes/worlds.js';

const transient = (reason: string): SendOutcome => ({ status: 'failed', reason, permanent: false });
const throttled = (retryAfterMs: number): SendOutcome => ({ status: 'throttled', retryAfterMs, reason: 'Graph answered 429' });
const statuses = (rows: { status: string }[]) =>
  rows.reduce<Record<string, number>>((n, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {});

describe('the batch worker', () => {
  test('Teams: a batch goes chunk by chunk, each chunk committed before the next is sent', async () => {
    const sentBefore: number[] = [];
    const world = deliveryWorld({
      teams: new FakeTeams(async () => {
        sentBefore.push((await world.deliveries.batchSummary(job(0)))!.sent);
        return SENT;
      }),
    });
    const teams = world.teams;
    const { message, job } = await published(world, 'teams', [250]);
    const log = logger();

    const result = await world.jobs.deliverBatch('teams', job(0), log);

    expect(teams.calls.map((c) => c.userIds.length)).toEqual([CHUNK_SIZE, CHUNK_SIZE, 250 - 2 * CHUNK_SIZE]);
    expect(sentBefore).toEqual([0, CHUNK_SIZE, 2 * CHUNK_SIZE]);
    expect(teams.recipients).toEqual(Array.from({ length: 250 }, (_, i) => `u${i}`));
    // One notification for the occurrence: a resend of a chunk replaces it rather than adding one.
    expect(new Set(teams.calls.map((c) => c.notification.chainId)).size).toBe(1);
    expect(teams.calls[0]!.notification).toMatchObject({ topic: 'Security training', previewText: 'Take the course by Friday.' });
    expect(teams.calls[0]!.notification.webUrl).toBe(`https://herald.test/api/r/teams.${message.id}.0.`);

    const rows = await world.deliveries.rows(job(0));
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1 && r.sentAt === new Date(world.clock.app).toISOString())).toBe(true);
    expect(await world.deliveries.batchSummary(job(0))).toMatchObject({ total: 250, sent: 250, leaseUntil: 0 });
    expect(world.counters.totals(TENANT, message.id)).toEqual({ delivered: 250, failed: 0 });
    expect(result.occurrenceDelivered).toBe(true);
    expect(world.queue.sent).toEqual([]);
    expect(log.lines).toEqual([`message ${message.id} occurrence 0 batch 0: 250 sent, 0 failed, 0 cancelled of 250`]);
  });

  test('email: one email each, with their own link and language; a permanent failure is recorded, not retried', async () => {
    const email = new FakeEmail((e) =>
      e.to.address === 'u3@contoso.test' ? { status: 'failed', reason: 'the address is suppressed', permanent: true } : SENT,
    );
    const world = deliveryWorld({ email });
    const { message, job } = await published(world, 'email', [5], {}, (i) => ({
      ...recipient(i),
      ...(i === 2 ? { language: 'fr-FR' } : {}),
    }));

    const result = await world.jobs.deliverBatch('email', job(0), logger());

    expect(email.sent.map((e) => e.operationId).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${message.id}:0:u${i}`));
    const toU2 = email.sent.find((e) => e.to.address === 'u2@contoso.test')!;
    expect(toU2).toMatchObject({ to: { displayName: 'User 2' }, plainText: `https://herald.test/api/r/email.${message.id}.0.u2` });
    const rows = await world.deliveries.rows(job(0));
    expect(rows.find((r) => r.userId === 'u3')).toMatchObject({ status: 'failed', attempts: 1, reason: 'the address is suppressed' });
    expect(statuses(rows)).toEqual({ sent: 4, failed: 1 });
    expect(world.counters.totals(TENANT, message.id)).toEqual({ delivered: 4, failed: 1 });
    expect(world.queue.sent).toEqual([]);
    expect(result.occurrenceDelivered).toBe(true);
  });

  test('a message cancelled mid-batch: the rest is marked cancelled and nobody else is sent to', async () => {
    const world = deliveryWorld({
      teams: new FakeTeams(() => {
        world.messages.setStatus(TENANT, message.id, 'Cancelled');
        // The request took a while: the worker's view of the message is due to be read again.
        world.clock.advance(1500);
        return SENT;
      }),
    });
    const teams = world.teams;
    const { message, job } = await published(world, 'teams', [300]);
    const log = logger();

    const result = await world.jobs.deliverBatch('teams', job(0), log);

    expect(teams.calls).toHaveLength(1);
    const rows = await world.deliveries.rows(job(0));
    expect(statuses(rows)).toEqual({ sent: CHUNK_SIZE, cancelled: 300 - CHUNK_SIZE });
    expect(rows.filter((r) => r.status === 'cancelled').every((r) => r.reason === 'message cancelled before delivery')).toBe(true);
    expect(await world.deliveries.batchSummary(job(0))).toMatchObject({ sent: CHUNK_SIZE, cancelled: 300 - CHUNK_SIZE, leaseUntil: 0 });
    expect(log.lines[0]).toBe(`message ${message.id} batch 0: ${300 - CHUNK_SIZE} not sent, message cancelled before delivery`);
    expect(result.occurrenceDelivered).toBe(true);
  });

  test('a message deleted before its batch runs sends nothing', async () => {
    const teams = new FakeTeams();
    const world = deliveryWorld({ teams });
    const { message, job } = await published(world, 'teams', [10]);
    world.messages.setStatus(TENANT, message.id, 'Expired');

    await world.jobs.deliverBatch('teams', job(0), logger());

    expect(teams.calls).toEqual([]);
    expect(
      (await world.deliveries.rows(job(0))).every((r) => r.status === 'cancelled' && r.reason === 'message expired before delivery'),
    ).toBe(true);
  });

  test('a long Retry-After gives the worker back: the rest is re-queued with notBefore, and the next run finishes it', async () => {
    const teams = new FakeTeams((call) => (call === 1 ? throttled(30_000) : SENT));
    const world = deliveryWorld({ teams });
    const { message, job } = await published(world, 'teams', [150]);
    const log = logger();
    const start = world.clock.real;

    expect((await world.jobs.deliverBatch('teams', job(0), log)).occurrenceDelivered).toBe(false);

    expect(teams.calls).toHaveLength(1);
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ throttled: CHUNK_SIZE, pending: 150 - CHUNK_SIZE });
    expect(await world.deliveries.batchSummary(job(0))).toMatchObject({ throttled: CHUNK_SIZE, leaseUntil: 0 });
    expect(world.queue.on(DELIVER_TEAMS)).toEqual([
      { queue: DELIVER_TEAMS.name, body: { ...job(0), notBefore: start + 30_000 }, delayMs: 30_000 },
    ]);
    expect(log.lines).toEqual([
      `message ${message.id} occurrence 0 batch 0: 150 left; resuming at ${new Date(start + 30_000).toISOString()}`,
    ]);

    world.clock.advance(30_000);
    const [again] = world.queue.take(DELIVER_TEAMS);
    expect((await world.jobs.deliverBatch('teams', again!, logger())).occurrenceDelivered).toBe(true);

    expect(teams.calls.map((c) => c.userIds.length)).toEqual([CHUNK_SIZE, CHUNK_SIZE, 150 - CHUNK_SIZE]);
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ sent: 150 });
    expect(world.queue.sent).toEqual([]);
  });

  test('a short Retry-After is waited out in place, the whole channel pausing with it', async () => {
    const teams = new FakeTeams((call) => (call === 1 ? throttled(2_000) : SENT));
    const world = deliveryWorld({ teams });
    const { job } = await published(world, 'teams', [40]);
    const start = world.clock.real;

    expect((await world.jobs.deliverBatch('teams', job(0), logger())).occurrenceDelivered).toBe(true);

    expect(teams.calls).toHaveLength(2);
    expect(world.clock.real - start).toBe(2_000);
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ sent: 40 });
    expect(world.queue.sent).toEqual([]);
  });

  test('email over the ACS quota is re-queued for after its Retry-After', async () => {
    let quotaUntil = 0;
    const world = deliveryWorld({
      email: new FakeEmail(() => (world.clock.real < quotaUntil ? throttled(60_000) : SENT)),
    });
    const { job } = await published(world, 'email', [6]);
    quotaUntil = world.clock.real + 60_000;

    await world.jobs.deliverBatch('email', job(0), logger());

    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ throttled: 6 });
    const [queued] = world.queue.on(DELIVER_EMAIL);
    expect(queued).toMatchObject({ body: { notBefore: quotaUntil }, delayMs: 60_000 });

    world.clock.advance(60_000);
    await world.jobs.deliverBatch('email', world.queue.take(DELIVER_EMAIL)[0]!, logger());
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ sent: 6 });
  });

  test('transient failures are retried with growing back-off, then recorded as failed', async () => {
    const teams = new FakeTeams(() => transient('Graph answered 500'));
    const world = deliveryWorld({ teams });
    const { message, job } = await published(world, 'teams', [10]);

    const delays: number[] = [];
    let result = await world.jobs.deliverBatch('teams', job(0), logger());
    for (let next = world.queue.take(DELIVER_TEAMS); next.length > 0; next = world.queue.take(DELIVER_TEAMS)) {
      const waited = next[0]!.notBefore! - world.clock.real;
      delays.push(waited);
      world.clock.advance(waited);
      result = await world.jobs.deliverBatch('teams', next[0]!, logger());
    }

    expect(teams.calls).toHaveLength(MAX_ATTEMPTS);
    expect(delays).toEqual([1, 2, 3, 4].map(retryDelayMs));
    const rows = await world.deliveries.rows(job(0));
    expect(rows.every((r) => r.status === 'failed' && r.attempts === MAX_ATTEMPTS)).toBe(true);
    expect(rows[0]!.reason).toBe(`gave up after ${MAX_ATTEMPTS} attempts: Graph answered 500`);
    expect(world.counters.totals(TENANT, message.id)).toEqual({ delivered: 0, failed: 10 });
    expect(result.occurrenceDelivered).toBe(true);
  });

  test('a transient failure that clears is sent on the retry', async () => {
    const teams = new FakeTeams((call) => (call <= 2 ? transient('Graph answered 503') : SENT));
    const world = deliveryWorld({ teams });
    const { job } = await published(world, 'teams', [10]);

    await world.jobs.deliverBatch('teams', job(0), logger());
    for (let next = world.queue.take(DELIVER_TEAMS); next.length > 0; next = world.queue.take(DELIVER_TEAMS)) {
      world.clock.advance(next[0]!.notBefore! - world.clock.real);
      await world.jobs.deliverBatch('teams', next[0]!, logger());
    }

    expect(teams.calls).toHaveLength(3);
    expect((await world.deliveries.rows(job(0))).every((r) => r.status === 'sent' && r.attempts === 3 && !r.reason)).toBe(true);
  });

  test('the poison queue records everyone still open as failed, with the last error, and keeps what was sent', async () => {
    const teams = new FakeTeams((call) => (call === 1 ? SENT : transient('Graph answered 503')));
    const world = deliveryWorld({ teams });
    const { message, job } = await published(world, 'teams', [150]);
    await world.jobs.deliverBatch('teams', job(0), logger());
    const log = logger();

    const result = await world.jobs.failBatch('teams', job(0), 'delivery kept failing and was given up (poison queue)', log);

    const rows = await world.deliveries.rows(job(0));
    expect(statuses(rows)).toEqual({ sent: CHUNK_SIZE, failed: 150 - CHUNK_SIZE });
    expect(rows.at(-1)!.reason).toBe('delivery kept failing and was given up (poison queue); last error: Graph answered 503');
    expect(world.counters.totals(TENANT, message.id)).toEqual({ delivered: CHUNK_SIZE, failed: 150 - CHUNK_SIZE });
    expect(await world.deliveries.batchSummary(job(0))).toMatchObject({ leaseUntil: 0 });
    expect(result.occurrenceDelivered).toBe(true);
    expect(log.lines).toEqual([
      `message ${message.id} occurrence 0 batch 0: ${150 - CHUNK_SIZE} recorded as failed (delivery kept failing and was given up (poison queue))`,
    ]);
  });

  test('a batch another worker holds is looked at again just after its lease ends', async () => {
    const teams = new FakeTeams();
    const world = deliveryWorld({ teams });
    const { job } = await published(world, 'teams', [50]);
    const other = (await world.deliveries.readBatch(job(0)))!;
    const theirLease = world.clock.real + 60_000;
    await world.deliveries.commitBatch(job(0), other, [], theirLease, world.clock.now());
    const log = logger();

    expect((await world.jobs.deliverBatch('teams', job(0), log)).occurrenceDelivered).toBe(false);

    expect(teams.calls).toEqual([]);
    expect(world.queue.on(DELIVER_TEAMS)).toEqual([
      { queue: DELIVER_TEAMS.name, body: { ...job(0), notBefore: theirLease + 1000 }, delayMs: 61_000 },
    ]);
    expect(log.lines[0]).toMatch(/another worker holds it; looking again at/);
  });

  test('a worker whose lease was taken over mid-batch stops and comes back instead of recording over the other', async () => {
    const world = deliveryWorld({
      teams: new FakeTeams(async () => {
        // The request hung past the lease, and a second copy of the queue message took the batch.
        world.clock.advance(LEASE_MS + 1);
        const other = (await world.deliveries.readBatch(ref))!;
        await world.deliveries.commitBatch(ref, other, [], world.clock.real + LEASE_MS, world.clock.now());
        return SENT;
      }),
    });
    const teams = world.teams;
    const { job } = await published(world, 'teams', [150]);
    const ref = job(0);
    const log = logger();

    expect((await world.jobs.deliverBatch('teams', ref, log)).occurrenceDelivered).toBe(false);

    expect(teams.calls).toHaveLength(1);
    // The chunk it sent stays in flight as recorded before the call: the worker that took over decides it.
    expect(statuses(await world.deliveries.rows(ref))).toEqual({ sending: CHUNK_SIZE, pending: 150 - CHUNK_SIZE });
    expect(world.queue.on(DELIVER_TEAMS)).toHaveLength(1);
    expect(log.lines[0]).toMatch(/was taken by another worker; looking again at/);
  });

  test('a repeated queue message for a finished batch sends nothing and counts nothing twice', async () => {
    const teams = new FakeTeams();
    const world = deliveryWorld({ teams });
    const { message, job } = await published(world, 'teams', [20]);
    await world.jobs.deliverBatch('teams', job(0), logger());

    expect((await world.jobs.deliverBatch('teams', job(0), logger())).occurrenceDelivered).toBe(true);

    expect(teams.calls).toHaveLength(1);
    expect(world.counters.totals(TENANT, message.id)).toEqual({ delivered: 20, failed: 0 });
  });

  test('a batch that does not exist is logged and left', async () => {
    const world = deliveryWorld();
    const { message, job } = await published(world, 'teams', [1]);
    const log = logger();

    expect(await world.jobs.deliverBatch('teams', job(7), log)).toEqual({ occurrenceDelivered: false });
    expect(log.lines).toEqual([`message ${message.id} occurrence 0 batch 7: no such batch; nothing to deliver`]);
  });

  test('Teams: a worker that dies during a bulk request leaves its chunk in flight; the next one marks it unconfirmed and never sends it again', async () => {
    const world = deliveryWorld({
      // The first request never answers: its host was killed in the middle of it.
      teams: new FakeTeams((call) => (call === 1 ? new Promise<SendOutcome>(() => undefined) : SENT)),
    });
    const teams = world.teams;
    const { message, job } = await published(world, 'teams', [250]);
    void world.jobs.deliverBatch('teams', job(0), logger());
    await expect.poll(() => teams.calls.length).toBe(1);
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ sending: CHUNK_SIZE, pending: 250 - CHUNK_SIZE });
    expect(world.held.batches.size).toBe(1);
    world.clock.advance(LEASE_MS + 1);
    const log = logger();

    const result = await world.jobs.deliverBatch('teams', job(0), log);

    const first = teams.calls[0]!.userIds;
    expect(teams.calls.slice(1).flatMap((c) => c.userIds)).toEqual(
      Array.from({ length: 250 - CHUNK_SIZE }, (_, i) => `u${i + CHUNK_SIZE}`),
    );
    const rows = await world.deliveries.rows(job(0));
    expect(rows.filter((r) => r.status === 'unconfirmed').map((r) => r.userId)).toEqual(first);
    expect(statuses(rows)).toEqual({ unconfirmed: CHUNK_SIZE, sent: 250 - CHUNK_SIZE });
    expect(await world.deliveries.batchSummary(job(0))).toMatchObject({
      sent: 250 - CHUNK_SIZE,
      unconfirmed: CHUNK_SIZE,
      sending: 0,
      leaseUntil: 0,
    });
    expect(log.lines[0]).toBe(`message ${message.id} batch 0: ${CHUNK_SIZE} in flight when a worker stopped, unconfirmed`);
    // Unconfirmed is an outcome: the occurrence is delivered, and only confirmed sends are counted delivered.
    expect(result.occurrenceDelivered).toBe(true);
    expect(world.counters.totals(TENANT, message.id)).toEqual({ delivered: 250 - CHUNK_SIZE, failed: 0 });
    expect(world.held.batches.size).toBe(0);
  });

  test('email: a row in flight when its worker died is sent again under the same Operation-Id, which ACS answers once', async () => {
    const world = deliveryWorld();
    const { message, job } = await published(world, 'email', [3]);
    const state = (await world.deliveries.readBatch(job(0)))!;
    await world.deliveries.commitBatch(job(0), state, [{ ...state.rows.get('u1')!, status: 'sending' }], 0, world.clock.now());

    await world.jobs.deliverBatch('email', job(0), logger());

    expect(world.email.sent.map((e) => e.operationId).sort()).toEqual([0, 1, 2].map((i) => `${message.id}:0:u${i}`));
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ sent: 3 });
  });

  test('email: a chunk is posted whole, then confirmed; an address ACS accepts and then fails is failed, counted once', async () => {
    const order: string[] = [];
    const email = new FakeEmail(() => (order.push('post'), SENT));
    email.endsAs = (e) =>
      e.to.address === 'u2@contoso.test' ? { status: 'failed', reason: 'Failed: suppressed', permanent: true } : undefined;
    email.runningPolls = 2;
    const status = email.emailStatus;
    email.emailStatus = (tenantId, operationId) => (order.push('poll'), status(tenantId, operationId));
    const world = deliveryWorld({ email });
    const { message, job } = await published(world, 'email', [120]);

    const result = await world.jobs.deliverBatch('email', job(0), logger());

    // Each chunk's 99 (then 21) posts come before any of its polls: no send waits on its own.
    expect(order.slice(0, CHUNK_SIZE + 1)).toEqual([...Array<string>(CHUNK_SIZE).fill('post'), 'poll']);
    expect(email.sent).toHaveLength(120);
    // Running twice, then the end: three status reads each.
    expect(email.polls).toHaveLength(3 * 120);
    const rows = await world.deliveries.rows(job(0));
    expect(rows.find((r) => r.userId === 'u2')).toMatchObject({ status: 'failed', attempts: 1, reason: 'Failed: suppressed' });
    expect(statuses(rows)).toEqual({ sent: 119, failed: 1 });
    expect(world.counters.totals(TENANT, message.id)).toEqual({ delivered: 119, failed: 1 });
    expect(result.occurrenceDelivered).toBe(true);
  });

  test('email: a worker that dies while confirming leaves the chunk in flight; the next one confirms it at ACS and posts nothing twice', async () => {
    const email = new FakeEmail();
    email.stalled = true;
    const world = deliveryWorld({ email });
    const { message, job } = await published(world, 'email', [150]);
    void world.jobs.deliverBatch('email', job(0), logger());
    await expect.poll(() => email.polls.length).toBeGreaterThan(0);
    expect(email.sent).toHaveLength(CHUNK_SIZE);
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ sending: CHUNK_SIZE, pending: 150 - CHUNK_SIZE });
    // Accepted, not yet confirmed: in flight, still pending, not sent.
    const occ = (await world.deliveries.getOccurrence(TENANT, message.id, 0))!;
    expect(await world.jobs.occurrenceProgress(occ, TENANT, message.id)).toMatchObject({ sent: 0, pending: 150, inFlight: CHUNK_SIZE });
    email.stalled = false;
    world.clock.advance(LEASE_MS + 1);
    const log = logger();

    const result = await world.jobs.deliverBatch('email', job(0), log);

    expect(email.sent.map((e) => e.operationId).sort()).toEqual(Array.from({ length: 150 }, (_, i) => `${message.id}:0:u${i}`).sort());
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ sent: 150 });
    expect(world.counters.totals(TENANT, message.id)).toEqual({ delivered: 150, failed: 0 });
    expect(log.lines[0]).toBe(`message ${message.id} batch 0: ${CHUNK_SIZE} in flight when a worker stopped, sent again`);
    expect(result.occurrenceDelivered).toBe(true);
  });

  test('email: a status that cannot be read is asked again, and the send is not posted twice', async () => {
    const email = new FakeEmail();
    let unreadable = 3;
    const status = email.emailStatus;
    email.emailStatus = async (tenantId, operationId) =>
      operationId.endsWith(':u1') && unreadable-- > 0
        ? { status: 'failed', reason: '503: busy', permanent: false }
        : status(tenantId, operationId);
    const world = deliveryWorld({ email });
    const { job } = await published(world, 'email', [3]);

    await world.jobs.deliverBatch('email', job(0), logger());

    expect(email.sent).toHaveLength(3);
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ sent: 3 });
  });

  test('email: sends ACS still runs after the confirmation budget are retried later under the same Operation-Id, never sent twice', async () => {
    const email = new FakeEmail();
    email.runningPolls = Number.POSITIVE_INFINITY;
    const world = deliveryWorld({ email });
    const { message, job } = await published(world, 'email', [3]);
    const started = world.clock.real;

    await world.jobs.deliverBatch('email', job(0), logger());

    // The worker gave the chunk back once the budget was spent, not after ACS finished.
    expect(world.clock.real - started).toBeGreaterThanOrEqual(CONFIRM_BUDGET_MS);
    expect(world.clock.real - started).toBeLessThan(CONFIRM_BUDGET_MS + 2_000);
    const rows = await world.deliveries.rows(job(0));
    expect(statuses(rows)).toEqual({ pending: 3 });
    expect(rows[0]).toMatchObject({ attempts: 1, reason: expect.stringContaining('ACS was still running the send after 120 s') });
    expect(world.queue.on(DELIVER_EMAIL)).toMatchObject([{ delayMs: retryDelayMs(1) }]);
    const [retry] = world.queue.take(DELIVER_EMAIL);

    email.runningPolls = 0;
    world.clock.advance(retryDelayMs(1));
    await world.jobs.deliverBatch('email', retry!, logger());

    expect(email.sent.map((e) => e.operationId).sort()).toEqual([0, 1, 2].map((i) => `${message.id}:0:u${i}`));
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ sent: 3 });
    expect(world.counters.totals(TENANT, message.id)).toEqual({ delivered: 3, failed: 0 });
  });

  test('a cancel accepted while an email chunk is being sent stops it before the next email, before the lifecycle has applied it', async () => {
    const email = new FakeEmail(() => {
      if (email.sent.length === 20) {
        world.stops.set(message.id, world.clock.real);
        world.clock.advance(1500);
      }
      return SENT;
    });
    const world = deliveryWorld({ email });
    const { message, job } = await published(world, 'email', [300]);

    const result = await world.jobs.deliverBatch('email', job(0), logger());

    // Those already on their way when the cancel came may finish (one per concurrent send); nobody after them.
    expect(email.sent.length).toBeLessThanOrEqual(20 + 16);
    const rows = await world.deliveries.rows(job(0));
    expect(statuses(rows)).toEqual({ sent: email.sent.length, cancelled: 300 - email.sent.length });
    expect(rows.filter((r) => r.status === 'cancelled').every((r) => r.reason === 'message cancelled before delivery')).toBe(true);
    expect(result.occurrenceDelivered).toBe(true);
  });

  test('rows in flight when a stopped message is picked up again are unconfirmed, even on email', async () => {
    const world = deliveryWorld();
    const { message, job } = await published(world, 'email', [3]);
    const state = (await world.deliveries.readBatch(job(0)))!;
    await world.deliveries.commitBatch(job(0), state, [{ ...state.rows.get('u1')!, status: 'sending' }], 0, world.clock.now());
    world.stops.set(message.id, world.clock.real);

    await world.jobs.deliverBatch('email', job(0), logger());

    expect(world.email.sent).toEqual([]);
    expect(statuses(await world.deliveries.rows(job(0)))).toEqual({ unconfirmed: 1, cancelled: 2 });
  });
});
