import { describe, expect, test } from 'vitest';
import {
  DEFAULT_OCCURRENCE_LIMIT,
  ScheduleError,
  nextOccurrence,
  occurrenceAt,
  occurrences,
  scheduleProblems,
  type ScheduleInput,
} from '../../../core/schedule.js';

const ms = (iso: string) => Date.parse(iso);

describe('occurrences', () => {
  test('once: exactly one, at the start, however long the message runs', () => {
    const s = { start: '2025-05-01T09:00:00+02:00', end: '2026-05-01T09:00:00+02:00', frequency: 'once' } as const;
    expect(occurrences(s)).toEqual(['2025-05-01T07:00:00.000Z']);
    // frequency defaults to once, as in the message schema
    expect(occurrences({ start: s.start, end: s.end })).toEqual(['2025-05-01T07:00:00.000Z']);
  });

  test('daily at 09:00 Europe/Paris stays at 09:00 local across spring forward (30 March 2025)', () => {
    const s: ScheduleInput = {
      start: '2025-03-28T09:00:00+01:00',
      end: '2025-04-01T00:00:00+02:00',
      frequency: 'daily',
      timeZone: 'Europe/Paris',
    };
    expect(occurrences(s)).toEqual([
      '2025-03-28T08:00:00.000Z',
      '2025-03-29T08:00:00.000Z',
      '2025-03-30T07:00:00.000Z',
      '2025-03-31T07:00:00.000Z',
    ]);
  });

  test('daily at 09:00 Europe/Paris stays at 09:00 local across fall back (26 October 2025)', () => {
    const s: ScheduleInput = {
      start: '2025-10-24T09:00:00+02:00',
      end: '2025-10-28T00:00:00+01:00',
      frequency: 'daily',
      timeZone: 'Europe/Paris',
    };
    expect(occurrences(s)).toEqual([
      '2025-10-24T07:00:00.000Z',
      '2025-10-25T07:00:00.000Z',
      '2025-10-26T08:00:00.000Z',
      '2025-10-27T08:00:00.000Z',
    ]);
  });

  test('daily at 09:00 America/New_York across spring forward (9 March) and fall back (2 November 2025)', () => {
    const spring: ScheduleInput = { start: '2025-03-07T09:00:00-05:00', end: '2025-03-11T00:00:00-04:00', frequency: 'daily' };
    expect(occurrences(spring, { timeZone: 'America/New_York' })).toEqual([
      '2025-03-07T14:00:00.000Z',
      '2025-03-08T14:00:00.000Z',
      '2025-03-09T13:00:00.000Z',
      '2025-03-10T13:00:00.000Z',
    ]);
    const fall: ScheduleInput = { start: '2025-10-31T09:00:00-04:00', end: '2025-11-04T00:00:00-05:00', frequency: 'daily' };
    expect(occurrences(fall, { timeZone: 'America/New_York' })).toEqual([
      '2025-10-31T13:00:00.000Z',
      '2025-11-01T13:00:00.000Z',
      '2025-11-02T14:00:00.000Z',
      '2025-11-03T14:00:00.000Z',
    ]);
  });

  // Rule (luxon's): a wall time inside the spring-forward gap moves forward by the gap's length, so
  // 02:30 becomes 03:30 local that day only; the next day is back at 02:30.
  test('a wall time that does not exist on the spring-forward day moves forward by the gap', () => {
    const paris: ScheduleInput = {
      start: '2025-03-29T02:30:00+01:00',
      end: '2025-04-01T00:00:00+02:00',
      frequency: 'daily',
      timeZone: 'Europe/Paris',
    };
    expect(occurrences(paris)).toEqual([
      '2025-03-29T01:30:00.000Z', // 02:30 CET
      '2025-03-30T01:30:00.000Z', // 03:30 CEST: 02:30 does not exist
      '2025-03-31T00:30:00.000Z', // 02:30 CEST
    ]);
    const newYork: ScheduleInput = {
      start: '2025-03-08T02:30:00-05:00',
      end: '2025-03-11T00:00:00-04:00',
      frequency: 'daily',
      timeZone: 'America/New_York',
    };
    expect(occurrences(newYork)).toEqual(['2025-03-08T07:30:00.000Z', '2025-03-09T07:30:00.000Z', '2025-03-10T06:30:00.000Z']);
  });

  // A wall time that happens twice on the fall-back day is delivered once, at the instant that keeps the
  // start's UTC offset: this start is in summer time, so the first 02:30 (CEST).
  test('a wall time that happens twice on the fall-back day is delivered once', () => {
    const s: ScheduleInput = {
      start: '2025-10-25T02:30:00+02:00',
      end: '2025-10-28T00:00:00+01:00',
      frequency: 'daily',
      timeZone: 'Europe/Paris',
    };
    expect(occurrences(s)).toEqual(['2025-10-25T00:30:00.000Z', '2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);
  });

  test('weekly keeps the weekday and the local time across DST', () => {
    const s: ScheduleInput = {
      start: '2025-03-24T10:00:00+01:00', // a Monday
      end: '2025-04-08T00:00:00+02:00',
      frequency: 'weekly',
      timeZone: 'Europe/Paris',
    };
    const starts = occurrences(s);
    expect(starts).toEqual(['2025-03-24T09:00:00.000Z', '2025-03-31T08:00:00.000Z', '2025-04-07T08:00:00.000Z']);
    expect(starts.map((t) => new Date(t).getUTCDay())).toEqual([1, 1, 1]);
  });

  test('monthly clamps to the month end and returns to the original day when the month allows', () => {
    const leap: ScheduleInput = {
      start: '2024-01-31T09:00:00+01:00',
      end: '2024-06-01T00:00:00+02:00',
      frequency: 'monthly',
      timeZone: 'Europe/Paris',
    };
    expect(occurrences(leap)).toEqual([
      '2024-01-31T08:00:00.000Z',
      '2024-02-29T08:00:00.000Z',
      '2024-03-31T07:00:00.000Z', // the day Paris springs forward: still 09:00 local
      '2024-04-30T07:00:00.000Z',
      '2024-05-31T07:00:00.000Z',
    ]);
    const common: ScheduleInput = { ...leap, start: '2025-01-31T09:00:00+01:00', end: '2025-04-01T00:00:00+02:00' };
    expect(occurrences(common)).toEqual(['2025-01-31T08:00:00.000Z', '2025-02-28T08:00:00.000Z', '2025-03-31T07:00:00.000Z']);
  });

  test('the end is exclusive', () => {
    const s: ScheduleInput = { start: '2025-01-01T09:00:00Z', end: '2025-01-04T09:00:00Z', frequency: 'daily', timeZone: 'UTC' };
    expect(occurrences(s)).toHaveLength(3);
    expect(occurrences({ ...s, end: '2025-01-04T09:00:00.001Z' })).toHaveLength(4);
  });

  test('never more than the limit (1000 unless told)', () => {
    const tenYears: ScheduleInput = { start: '2025-01-01T09:00:00Z', end: '2035-01-01T00:00:00Z', frequency: 'daily', timeZone: 'UTC' };
    expect(occurrences(tenYears)).toHaveLength(DEFAULT_OCCURRENCE_LIMIT);
    expect(DEFAULT_OCCURRENCE_LIMIT).toBe(1000);
    expect(occurrences(tenYears, { limit: 5 })).toHaveLength(5);
    expect(occurrences(tenYears, { limit: 0 })).toEqual([]);
  });

  test("time zone: the message's wins, then the tenant's, then the offset written in the start", () => {
    const s: ScheduleInput = { start: '2025-03-29T09:00:00+01:00', end: '2025-03-31T00:00:00+02:00', frequency: 'daily' };
    const paris = ['2025-03-29T08:00:00.000Z', '2025-03-30T07:00:00.000Z'];
    const fixed = ['2025-03-29T08:00:00.000Z', '2025-03-30T08:00:00.000Z'];
    expect(occurrences({ ...s, timeZone: 'Europe/Paris' }, { timeZone: 'UTC' })).toEqual(paris);
    expect(occurrences(s, { timeZone: 'Europe/Paris' })).toEqual(paris);
    expect(occurrences(s)).toEqual(fixed);
    // the written offset, not UTC, decides the day: 00:30+01:00 on the 31st is the 30th in UTC
    const monthly: ScheduleInput = { start: '2025-01-31T00:30:00+01:00', end: '2025-03-31T12:00:00+01:00', frequency: 'monthly' };
    expect(occurrences(monthly)).toEqual(['2025-01-30T23:30:00.000Z', '2025-02-27T23:30:00.000Z', '2025-03-30T23:30:00.000Z']);
  });
});

describe('occurrenceAt and nextOccurrence', () => {
  const daily: ScheduleInput = {
    start: '2025-03-28T09:00:00+01:00',
    end: '2025-03-31T12:00:00+02:00',
    frequency: 'daily',
    timeZone: 'Europe/Paris',
  };

  test('none before the start, from the end on, or after it', () => {
    expect(occurrenceAt(daily, ms('2025-03-28T07:59:59.999Z'))).toBeUndefined();
    expect(occurrenceAt(daily, ms('2025-03-31T10:00:00Z'))).toBeUndefined();
    expect(occurrenceAt(daily, ms('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  test('within: the occurrence in force, until the next begins or the schedule ends', () => {
    expect(occurrenceAt(daily, ms('2025-03-28T08:00:00Z'))).toEqual({
      index: 0,
      start: '2025-03-28T08:00:00.000Z',
      until: '2025-03-29T08:00:00.000Z',
    });
    expect(occurrenceAt(daily, ms('2025-03-30T06:59:59Z'))).toMatchObject({ index: 1, until: '2025-03-30T07:00:00.000Z' });
    expect(occurrenceAt(daily, ms('2025-03-30T07:00:00Z'))).toMatchObject({ index: 2, start: '2025-03-30T07:00:00.000Z' });
    expect(occurrenceAt(daily, ms('2025-03-31T09:59:59Z'))).toEqual({
      index: 3,
      start: '2025-03-31T07:00:00.000Z',
      until: '2025-03-31T10:00:00.000Z',
    });
  });

  test('once is in force from start to end', () => {
    const once: ScheduleInput = { start: '2025-05-01T09:00:00Z', end: '2025-06-01T00:00:00Z' };
    expect(occurrenceAt(once, ms('2025-05-20T00:00:00Z'))).toEqual({
      index: 0,
      start: '2025-05-01T09:00:00.000Z',
      until: '2025-06-01T00:00:00.000Z',
    });
    expect(nextOccurrence(once, ms('2025-04-01T00:00:00Z'))?.index).toBe(0);
    expect(nextOccurrence(once, ms('2025-05-01T09:00:00Z'))).toBeUndefined();
  });

  test('monthly: a date between a clamped occurrence and the next', () => {
    const monthly: ScheduleInput = {
      start: '2025-01-31T09:00:00+01:00',
      end: '2025-12-31T00:00:00+01:00',
      frequency: 'monthly',
      timeZone: 'Europe/Paris',
    };
    expect(occurrenceAt(monthly, ms('2025-03-15T00:00:00Z'))).toEqual({
      index: 1,
      start: '2025-02-28T08:00:00.000Z',
      until: '2025-03-31T07:00:00.000Z',
    });
  });

  test('next: strictly after the given instant, none once the schedule has no more', () => {
    expect(nextOccurrence(daily, ms('2025-01-01T00:00:00Z'))).toMatchObject({ index: 0, start: '2025-03-28T08:00:00.000Z' });
    expect(nextOccurrence(daily, ms('2025-03-28T08:00:00Z'))).toMatchObject({ index: 1, start: '2025-03-29T08:00:00.000Z' });
    expect(nextOccurrence(daily, ms('2025-03-29T20:00:00Z'))).toMatchObject({ index: 2, start: '2025-03-30T07:00:00.000Z' });
    expect(nextOccurrence(daily, ms('2025-03-31T07:00:00Z'))).toBeUndefined();
    expect(nextOccurrence(daily, ms('2027-01-01T00:00:00Z'))).toBeUndefined();
  });

  test.each(['daily', 'weekly', 'monthly'] as const)('%s: agrees with the full list at every instant, over years and DST', (frequency) => {
    const s: ScheduleInput = {
      start: '2024-01-31T02:30:00-05:00',
      end: '2026-03-09T03:00:00-04:00',
      frequency,
      timeZone: 'America/New_York',
    };
    const starts = occurrences(s).map(ms);
    for (let t = ms('2024-01-30T00:00:00Z'); t < ms('2026-03-12T00:00:00Z'); t += 29 * 3_600_000 + 1234) {
      const expected = starts.findLastIndex((st) => st <= t);
      const inForce = t < ms(s.end) ? expected : -1;
      expect(occurrenceAt(s, t)?.index ?? -1, new Date(t).toISOString()).toBe(inForce);
      const next = starts.findIndex((st) => st > t);
      expect(nextOccurrence(s, t)?.index ?? -1, new Date(t).toISOString()).toBe(next);
    }
  });
});

describe('bad input', () => {
  const ok: ScheduleInput = { start: '2025-01-01T09:00:00Z', end: '2025-02-01T09:00:00Z', frequency: 'daily' };

  test('a valid schedule has no problems', () => {
    expect(scheduleProblems(ok, 'Europe/Paris')).toEqual([]);
  });

  test('end at or before start', () => {
    expect(scheduleProblems({ ...ok, end: ok.start })).toEqual([{ path: 'schedule.end', message: 'must be after the start' }]);
    expect(scheduleProblems({ ...ok, end: '2025-01-01T10:00:00+02:00' })).toEqual([
      { path: 'schedule.end', message: 'must be after the start' },
    ]);
    expect(() => occurrences({ ...ok, end: ok.start })).toThrow(ScheduleError);
    expect(() => occurrenceAt({ ...ok, end: ok.start }, 0)).toThrow(/schedule\.end must be after the start/);
  });

  test('unknown time zones, in the schedule or the tenant default', () => {
    expect(scheduleProblems({ ...ok, timeZone: 'Mars/Olympus' })).toEqual([
      { path: 'schedule.timeZone', message: 'must be an IANA time zone such as Europe/Paris' },
    ]);
    expect(scheduleProblems(ok, 'Mars/Olympus')).toEqual([{ path: 'timeZone', message: 'must be an IANA time zone such as Europe/Paris' }]);
    expect(() => nextOccurrence(ok, 0, 'Mars/Olympus')).toThrow(/^timeZone /);
    // luxon's non-IANA names ("system" reads the host's zone) are refused too
    expect(scheduleProblems(ok, 'system').map((p) => p.path)).toEqual(['timeZone']);
  });

  test('malformed dates and frequencies name their field', () => {
    const problems = scheduleProblems({ start: 'tomorrow', end: '2025-02-01T09:00:00', frequency: 'hourly' });
    expect(problems.map((p) => p.path).sort()).toEqual(['schedule.end', 'schedule.frequency', 'schedule.start']);
    try {
      occurrences({ ...ok, start: '2025-01-01' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScheduleError);
      expect((e as ScheduleError).problems).toEqual([{ path: 'schedule.start', message: 'must be an ISO 8601 date-time' }]);
    }
  });

  test('a limit that is not a whole number', () => {
    expect(() => occurrences(ok, { limit: -1 })).toThrow(/^limit /);
    expect(() => occurrences(ok, { limit: 1.5 })).toThrow(/^limit /);
  });
});
