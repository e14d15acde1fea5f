import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  batchInRange,
  batchOf,
  deviceBatch,
  idRangeBounds,
  idRangesFor,
  layoutBatches,
  rangeBatchCount,
  rangeOf,
} from '../../../core/notification.js';

/** Ids as deviceStore derives them: the first 32 hex digits of a SHA-256. */
const ids = (n: number, salt = '') =>
  Array.from({ length: n }, (_, i) => createHash('sha256').update(`${salt}${i}`).digest('hex').slice(0, 32));

describe("a group send's devices cut into batches by id range", () => {
  test('the ranges cover every id once, and a device falls in the range whose RowKey bounds hold it', () => {
    for (const ranges of [1, 3, 16, 64]) {
      const bounds = Array.from({ length: ranges }, (_, r) => idRangeBounds(r, ranges));
      expect(bounds[0]!.from).toBe('00000000');
      expect(bounds[ranges - 1]!.to).toBe('g');
      for (let r = 1; r < ranges; r++) expect(bounds[r]!.from).toBe(bounds[r - 1]!.to);
      for (const id of [...ids(500), '0'.repeat(32), 'f'.repeat(32)]) {
        const r = rangeOf(id, ranges);
        expect(id >= bounds[r]!.from && id < bounds[r]!.to).toBe(true);
      }
    }
  });

  test('a range is cut into the fewest batches that keep each within the maximum, numbered sub × ranges + r', () => {
    const ranges = 16;
    const inRange = ids(20_000).filter((id) => rangeOf(id, ranges) === 5);
    const count = rangeBatchCount(inRange, 5, ranges, 990);
    expect(count).toBeGreaterThanOrEqual(Math.ceil(inRange.length / 800));
    const sizes = new Map<number, number>();
    for (const id of inRange) {
      const batch = batchInRange(id, 5, ranges, count);
      expect(batch % ranges).toBe(5);
      expect(Math.floor(batch / ranges)).toBeLessThan(count);
      sizes.set(batch, (sizes.get(batch) ?? 0) + 1);
    }
    expect(Math.max(...sizes.values())).toBeLessThanOrEqual(990);
    expect(rangeBatchCount([], 5, ranges, 990)).toBe(1);
    expect(rangeBatchCount(inRange, 5, ranges, 100)).toBeGreaterThan(count);
  });

  test('about 6,250 people a range, 1 to 64 ranges', () => {
    expect([0, 3, 6_250, 6_251, 100_000, 10_000_000].map(idRangesFor)).toEqual([1, 1, 1, 2, 16, 64]);
  });

  test("a device's batch follows from its id and the notification's layout; without one, from batchOf among its batches", () => {
    const layout = { ranges: 4, perRange: [2, 3, undefined, 1] };
    expect(layoutBatches({ ranges: 4, perRange: [2, 3, 1, 1] })).toBe(12);
    const [id] = ids(1);
    const r = rangeOf(id!, 4);
    const expected = layout.perRange[r] === undefined ? undefined : batchInRange(id!, r, 4, layout.perRange[r]!);
    expect(deviceBatch(id!, { layout })).toBe(expected);
    expect(deviceBatch('8'.repeat(32), { layout })).toBeUndefined(); // range 2, not cut yet
    expect(deviceBatch(id!, { batches: 7 })).toBe(batchOf(id!, 7));
    expect(deviceBatch(id!, {})).toBeUndefined();
  });
});
