// The shared pacer as two instances of the app would run it: both take their slots from one schedule (here
// in memory, with the storage schedule's rule), so together they never go faster than the rate, and a pause
// one of them hears from the provider holds the other too.
import { expect, test } from 'vitest';
import { SharedPacer, type PacingSchedule } from '../../../../adapters/runtime/rateLimiter.js';

/** The schedule's rule (adapters/stores/pacingStore.ts) over one in-memory row per key. */
function memorySchedule() {
  const rows = new Map<string, { nextAt: number; pausedUntil: number }>();
  const handedOut: number[] = [];
  let claims = 0;
  const schedule: PacingSchedule = {
    async claimSlots(key, count, intervalMs, now) {
      claims++;
      const row = rows.get(key) ?? { nextAt: 0, pausedUntil: 0 };
      const first = Math.max(row.nextAt, row.pausedUntil, now);
      const slots = Array.from({ length: count }, (_, i) => first + i * intervalMs);
      rows.set(key, { ...row, nextAt: first + count * intervalMs });
      handedOut.push(...slots);
      return slots;
    },
    async pauseUntil(key, until) {
      const row = rows.get(key) ?? { nextAt: 0, pausedUntil: 0 };
      rows.set(key, { nextAt: Math.max(row.nextAt, until), pausedUntil: Math.max(row.pausedUntil, until) });
    },
  };
  return { schedule, handedOut, claims: () => claims };
}

const RATE = { perSecond: 100, claim: 5 };

test('two instances sending at once share one pace: every send has its own slot, slots 10 ms apart, one claim per five sends', async () => {
  const { schedule, handedOut, claims } = memorySchedule();
  const a = new SharedPacer(() => RATE, schedule);
  const b = new SharedPacer(() => RATE, schedule);
  const sent: { at: number; instance: string }[] = [];
  const send = async (pacer: SharedPacer, instance: string) => {
    expect(await pacer.acquire('email:t1', 60_000)).toBe(0);
    sent.push({ at: Date.now(), instance });
  };
  await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? send(a, 'a') : send(b, 'b'))));

  expect(sent).toHaveLength(40);
  const slots = [...handedOut].sort((x, y) => x - y);
  for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBeCloseTo(10, 6);
  // Every send waited for a slot of its own: the nth send is no earlier than the nth slot.
  const times = sent.map((s) => s.at).sort((x, y) => x - y);
  // Less a millisecond: a timer may wake up to a millisecond before its time by Date.now().
  times.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(Math.floor(slots[i]!) - 1));
  expect(claims()).toBe(8);
});

test('a wait longer than the caller allows is answered, not slept; another key is not held up', async () => {
  const { schedule } = memorySchedule();
  const pacer = new SharedPacer(() => ({ perSecond: 1, claim: 1 }), schedule);
  expect(await pacer.acquire('teams:t1', 5_000)).toBe(0);
  const wait = await pacer.acquire('teams:t1', 100);
  expect(wait).toBeGreaterThan(100);
  expect(wait).toBeLessThanOrEqual(1000);
  expect(await pacer.acquire('teams:t2', 100)).toBe(0);
});

test("a provider's pause, heard by one instance, holds the other: its next slot is after the pause", async () => {
  const { schedule } = memorySchedule();
  const a = new SharedPacer(() => RATE, schedule);
  const b = new SharedPacer(() => RATE, schedule);
  a.pause('teams:t1', 30_000);
  await Promise.resolve();
  const wait = await b.acquire('teams:t1', 1_000);
  expect(wait).toBeGreaterThan(25_000);
  expect(await a.acquire('teams:t1', 1_000)).toBeGreaterThan(25_000);
});

test('no rate: no wait and no claim', async () => {
  const { schedule, claims } = memorySchedule();
  const pacer = new SharedPacer(() => ({ perSecond: 0, claim: 1 }), schedule);
  expect(await pacer.acquire('email:t1', 0)).toBe(0);
  expect(claims()).toBe(0);
});
