// The rule that keeps a report copy's column equal to the counter shards added up, whichever writer brings it.
import { expect, test } from 'vitest';
import { includes, nextFigure, type Figure } from '../../../core/counterShards.js';

const swap = (sum: number, remove: number | undefined, add: number) => sum - (remove ?? 0) + add;
const stored: Figure<number> = { value: 10, versions: { '': 3, a: 2 } };

test('a figure includes another when it has every shard at the same version or later', () => {
  expect(includes({ a: 2, b: 1 }, { a: 2 })).toBe(true);
  expect(includes({ a: 2 }, { a: 2, b: 1 })).toBe(false);
  expect(includes({}, {})).toBe(true);
});

test('a shard commit trades the shard’s old value for its new one, or adds a shard the copy has not seen', () => {
  const values = new Map([[2, 4]]);
  const baseOf = (shard: string, version: number) => (shard === 'a' ? values.get(version) : undefined);
  expect(nextFigure(stored, { value: 7, versions: { a: 4 } }, baseOf, swap)).toEqual({
    kind: 'write',
    figure: { value: 13, versions: { '': 3, a: 4 } },
  });
  expect(nextFigure(stored, { value: 1, versions: { b: 1 } }, baseOf, swap)).toEqual({
    kind: 'write',
    figure: { value: 11, versions: { '': 3, a: 2, b: 1 } },
  });
});

test('what the copy holds already is left; a sum over all its shards replaces it; an unknown old value is unknown', () => {
  const none = () => undefined;
  expect(nextFigure(stored, { value: 4, versions: { a: 2 } }, none, swap)).toEqual({ kind: 'current' });
  expect(nextFigure(stored, { value: 12, versions: { '': 3, a: 3 } }, none, swap)).toEqual({
    kind: 'write',
    figure: { value: 12, versions: { '': 3, a: 3 } },
  });
  expect(nextFigure(stored, { value: 5, versions: { a: 3 } }, none, swap)).toEqual({ kind: 'unknown' });
  expect(nextFigure(undefined, { value: 5, versions: { a: 3 } }, none, swap)).toEqual({
    kind: 'write',
    figure: { value: 5, versions: { a: 3 } },
  });
});
