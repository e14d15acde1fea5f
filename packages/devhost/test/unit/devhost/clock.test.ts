import { expect, test } from 'vitest';
import { TestClock } from '../../../src/clock.js';

test('the test clock wakes sleepers in time order and never runs backwards', async () => {
  const clock = new TestClock(1000);
  const woke: number[] = [];
  void clock.sleepUntil(3000).then(() => woke.push(3000));
  void clock.sleepUntil(2000).then(() => woke.push(2000));
  expect(clock.nextDue()).toBe(2000);
  clock.set(2500);
  await Promise.resolve();
  expect(woke).toEqual([2000]);
  expect(clock.nextDue()).toBe(3000);
  clock.advance(500);
  await Promise.resolve();
  expect(woke).toEqual([2000, 3000]);
  expect(clock.nextDue()).toBeUndefined();
  expect(() => clock.set(10)).toThrow(/cannot move the clock back/);
});

test('an aborted sleep resolves and no longer counts as due', async () => {
  const clock = new TestClock(0);
  const abort = new AbortController();
  const sleeping = clock.sleepUntil(5000, abort.signal);
  abort.abort();
  await sleeping;
  expect(clock.nextDue()).toBeUndefined();
});
