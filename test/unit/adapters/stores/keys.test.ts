import { describe, expect, test } from 'vitest';
import { MESSAGE_ID, messageId } from '../../../../adapters/stores/keys.js';

describe('message ids', () => {
  test('sort newest first as strings, so a partition scan lists the newest first', () => {
    const times = [Date.parse('2024-01-01T00:00:00Z'), Date.parse('2024-01-01T00:00:00.001Z'), Date.parse('2031-06-30T12:00:00Z')];
    const ids = times.map(messageId);
    expect([...ids].sort()).toEqual([...ids].reverse());
    expect(ids.every((id) => MESSAGE_ID.test(id))).toBe(true);
  });

  test('differ within one millisecond', () => {
    const t = Date.now();
    expect(new Set(Array.from({ length: 100 }, () => messageId(t))).size).toBe(100);
  });
});
