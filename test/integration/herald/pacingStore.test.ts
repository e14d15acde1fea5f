// The shared pacing schedule straight against Azurite: claims racing from many callers (as many instances
// would) each get slots of their own, and together the slots are evenly spaced with no gap and no overlap.
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { claimSlots, pauseUntil } from '../../../adapters/stores/pacingStore.js';
import { storesOnOwnAzurite } from './storeSupport.js';

storesOnOwnAzurite();

test('30 claims of 3 slots at once: 90 distinct slots, exactly 500 ms apart from the first', async () => {
  const key = `email:${randomUUID()}`;
  const now = Date.now();
  const claims = await Promise.all(Array.from({ length: 30 }, () => claimSlots(key, 3, 500, now)));
  for (const slots of claims) expect(slots[1]! - slots[0]!).toBe(500);
  const all = claims.flat().sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: 90 }, (_, i) => now + i * 500));
});

test('a pause holds every later claim until it ends; an earlier schedule is not moved back', async () => {
  const key = `teams:${randomUUID()}`;
  const now = Date.now();
  await pauseUntil(key, now + 60_000);
  expect(await claimSlots(key, 2, 510, now)).toEqual([now + 60_000, now + 60_510]);
  await pauseUntil(key, now + 1_000);
  expect(await claimSlots(key, 1, 510, now)).toEqual([now + 61_020]);
});
