import { expect, test } from 'vitest';
import { admit, allowance } from '../../../core/notification.js';

const HOUR = 3_600_000;

test('the allowance shown is what admit would still let through, and frees when the oldest send leaves the hour', () => {
  expect(allowance([], 10 * HOUR, 25)).toEqual({ remaining: 25 });
  const sends = [9 * HOUR + 1_000, 9 * HOUR + 5_000, 9 * HOUR + 9_000];
  expect(allowance(sends, 9.5 * HOUR, 3)).toEqual({ remaining: 0, freesAt: 10 * HOUR + 1_000 });
  expect(admit(sends, 9.5 * HOUR, 3).admitted).toBe(false);
  // A send older than an hour no longer counts, for either.
  expect(allowance(sends, 10 * HOUR + 1_000, 3)).toEqual({ remaining: 1, freesAt: 10 * HOUR + 5_000 });
  expect(admit(sends, 10 * HOUR + 1_000, 3).admitted).toBe(true);
});
