import { expect, test, vi } from 'vitest';
import type { MessageRecord } from '../../../../core/records.js';

// The module keeps the apply times it saw: each test loads a fresh copy.
const load = async () => {
  vi.resetModules();
  return import('../../../../adapters/runtime/messageChanges.js');
};

test('a waiter hears a change announced for its message, and only for its message', async () => {
  const { announceChange, nextChange } = await load();
  const mine = nextChange('t', 'm1', 5_000);
  announceChange('t', { id: 'm2', version: 2 } as MessageRecord);
  announceChange('t', { id: 'm1', version: 3 } as MessageRecord);
  expect(await mine).toMatchObject({ id: 'm1', version: 3 });
  expect(await nextChange('t', 'm1', 10)).toBeUndefined();
});

test('the first re-read waits a little past the slowest recent apply (p90), within bounds; later ones back off', async () => {
  const { firstPollMs, nextPollMs, recordApplyTime, MIN_POLL_MS, MAX_POLL_MS } = await load();
  expect(firstPollMs()).toBe(MIN_POLL_MS);
  for (let i = 0; i < 10; i++) recordApplyTime(100);
  expect(firstPollMs()).toBe(MIN_POLL_MS);
  for (let i = 1; i <= 32; i++) recordApplyTime(i * 50); // 50 … 1600 ms: the older samples are forgotten
  expect(firstPollMs()).toBe(Math.round(1450 * 1.25));
  for (let i = 0; i < 32; i++) recordApplyTime(60_000);
  expect(firstPollMs()).toBe(MAX_POLL_MS);
  expect(nextPollMs(MIN_POLL_MS)).toBe(2 * MIN_POLL_MS);
  expect(nextPollMs(MAX_POLL_MS)).toBe(MAX_POLL_MS);
});
