import { expect, test } from 'vitest';
import { defaultUseMonitor, parseNcrontab } from '../../../src/triggers/ncrontab.js';

const t = (iso: string) => Date.parse(iso);

test('six fields, seconds first, next occurrence strictly after', () => {
  const s = parseNcrontab('0 */5 * * * *');
  expect(new Date(s.next(t('2026-01-01T00:00:00Z'))).toISOString()).toBe('2026-01-01T00:05:00.000Z');
  expect(new Date(s.next(t('2026-01-01T00:04:59Z'))).toISOString()).toBe('2026-01-01T00:05:00.000Z');
});

test('names for days are accepted', () => {
  const s = parseNcrontab('0 30 9 * * Mon-Fri');
  // 2026-01-03 is a Saturday: the next is Monday the 5th.
  expect(new Date(s.next(t('2026-01-03T00:00:00Z'))).toISOString()).toBe('2026-01-05T09:30:00.000Z');
});

test('a time zone moves occurrences', () => {
  const s = parseNcrontab('0 0 9 * * *', 'Europe/Berlin');
  expect(new Date(s.next(t('2026-01-01T00:00:00Z'))).toISOString()).toBe('2026-01-01T08:00:00.000Z');
});

test('five fields and TimeSpans are refused with a reason', () => {
  expect(() => parseNcrontab('*/5 * * * *')).toThrow(/six NCRONTAB fields/);
  expect(() => parseNcrontab('00:05:00')).toThrow(/TimeSpan/);
  expect(() => parseNcrontab('0 0 25 * * *')).toThrow(/schedule "0 0 25 \* \* \*"/);
});

test('the monitor is on by default only for schedules more than a minute apart', () => {
  expect(defaultUseMonitor(parseNcrontab('*/30 * * * * *'), 0)).toBe(false);
  expect(defaultUseMonitor(parseNcrontab('0 * * * * *'), 0)).toBe(false);
  expect(defaultUseMonitor(parseNcrontab('0 */5 * * * *'), 0)).toBe(true);
});
