import { describe, expect, test } from 'vitest';
import {
  activity,
  addDays,
  addTo,
  clickThroughRate,
  dayOf,
  daysBetween,
  emptyCounts,
  eventContribution,
  figures,
  mergeCounts,
  type Counts,
} from '../../../core/reportMath.js';
import { safeCell } from '../../../core/spreadsheet.js';

describe('dayOf', () => {
  test('buckets an instant in the tenant’s zone, not UTC', () => {
    const at = Date.parse('2026-11-24T03:30:00Z');
    expect(dayOf(at, 'UTC')).toBe('2026-11-24');
    expect(dayOf(at, 'America/New_York')).toBe('2026-11-23');
    expect(dayOf(at, 'Asia/Tokyo')).toBe('2026-11-24');
    expect(dayOf(Date.parse('2026-11-23T15:30:00Z'), 'Asia/Tokyo')).toBe('2026-11-24');
  });
});

describe('eventContribution', () => {
  test('a person is new for the message once and new for each day once', () => {
    const first = eventContribution('seen', 'inbox', '2026-11-23', undefined);
    expect(first.contribution).toEqual({
      day: '2026-11-23',
      channel: 'inbox',
      tally: { seen: 1 },
      dayPeople: { viewers: 1 },
      messagePeople: { viewers: 1 },
    });
    const again = eventContribution('seen', 'inbox', '2026-11-23', first.after);
    expect(again.contribution).toMatchObject({ tally: { seen: 1 }, dayPeople: {}, messagePeople: {} });
    const nextDay = eventContribution('seen', 'inbox', '2026-11-24', again.after);
    expect(nextDay.contribution).toMatchObject({ dayPeople: { viewers: 1 }, messagePeople: {} });
    expect(nextDay.after).toEqual({ seen: ['2026-11-23', '2026-11-24'] });
  });

  test('kinds are counted apart: the first click of a person who saw it makes a new clicker', () => {
    const seen = eventContribution('seen', 'inbox', '2026-11-23', undefined).after;
    const click = eventContribution('clicked', 'email', '2026-11-23', seen);
    expect(click.contribution).toMatchObject({
      channel: 'email',
      tally: { clicks: 1 },
      dayPeople: { clickers: 1 },
      messagePeople: { clickers: 1 },
    });
    const dismiss = eventContribution('dismissed', 'inbox', '2026-11-23', click.after);
    expect(dismiss.contribution).toMatchObject({ tally: { dismissed: 1 }, dayPeople: { dismissers: 1 } });
  });

  test("one person's click counts once however it arrives: the device's event, then the link it opened, then an email's link", () => {
    const device = eventContribution('clicked', 'inbox', '2026-11-23', undefined);
    expect(device.contribution).toMatchObject({ tally: { clicks: 1 }, messagePeople: { clickers: 1 } });
    const link = eventContribution('clicked', 'inbox', '2026-11-23', device.after);
    expect(link.contribution).toMatchObject({ tally: {}, dayPeople: {}, messagePeople: {} });
    const nextDay = eventContribution('clicked', 'email', '2026-11-24', link.after);
    // Still one click of the message; the person is among the next day's clickers too.
    expect(nextDay.contribution).toMatchObject({ tally: {}, dayPeople: { clickers: 1 }, messagePeople: {} });
  });

  test('an event arriving late for an earlier day still counts its person once for that day', () => {
    const today = eventContribution('seen', 'inbox', '2026-11-24', undefined).after;
    const late = eventContribution('seen', 'inbox', '2026-11-23', today);
    expect(late.contribution).toMatchObject({ dayPeople: { viewers: 1 }, messagePeople: {} });
    expect(late.after.seen).toEqual(['2026-11-23', '2026-11-24']);
  });
});

describe('clickThroughRate', () => {
  test('clicks per impression, four decimals, 0 when nothing was shown', () => {
    expect(clickThroughRate(1, 3)).toBe(0.3333);
    expect(clickThroughRate(0, 0)).toBe(0);
    expect(clickThroughRate(5, 0)).toBe(0);
    expect(Number.isFinite(clickThroughRate(1, 0))).toBe(true);
    // A click can arrive without its view: never above 100 %.
    expect(clickThroughRate(3, 2)).toBe(1);
  });
});

describe('figures and activity', () => {
  const counts = (over: Partial<Record<'seen' | 'clicks' | 'delivered', number>>, channel: 'inbox' | 'teams' = 'inbox'): Counts =>
    addTo(emptyCounts(), channel, over, { viewers: over.seen ? 1 : 0 });

  test('impressions are seen plus delivered, across channels', () => {
    const c = mergeCounts(counts({ seen: 3, clicks: 1 }), counts({ delivered: 5, clicks: 1 }, 'teams'));
    expect(figures(c)).toMatchObject({ impressions: 8, seen: 3, delivered: 5, clicks: 2, clickThroughRate: 0.25, viewers: 1 });
    expect(figures(undefined)).toMatchObject({ impressions: 0, clickThroughRate: 0 });
  });

  test('every day in the range is present, zero when empty; days outside are left out', () => {
    const days = daysBetween('2026-10-30', '2026-11-02');
    expect(days).toEqual(['2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02']);
    const a = new Map([
      ['2026-10-31', counts({ seen: 2, clicks: 1 })],
      ['2026-11-05', counts({ seen: 100 })],
    ]);
    const b = new Map([['2026-10-31', counts({ seen: 2 })]]);
    const result = activity([a, b], days);
    expect(result.days.map((d) => [d.date, d.seen, d.clickThroughRate])).toEqual([
      ['2026-10-30', 0, 0],
      ['2026-10-31', 4, 0.25],
      ['2026-11-01', 0, 0],
      ['2026-11-02', 0, 0],
    ]);
    expect(result.totals).toMatchObject({ seen: 4, clicks: 1, viewers: 2, clickThroughRate: 0.25 });
  });

  test('addDays adds a copy’s change into a rollup in place: new days in, old days out', () => {
    const rollup = { '2026-11-01': counts({ seen: 5 }), '2026-11-02': counts({ seen: 1 }) };
    const before = { '2026-11-01': counts({ seen: 2 }) };
    const after = { '2026-11-01': counts({ seen: 3, clicks: 1 }), '2026-11-03': counts({ delivered: 4 }, 'teams') };
    addDays(rollup, after);
    addDays(rollup, before, -1);
    expect(figures(rollup['2026-11-01'])).toMatchObject({ seen: 6, clicks: 1, viewers: 1 });
    expect(figures(rollup['2026-11-02'])).toMatchObject({ seen: 1 });
    expect(figures(rollup['2026-11-03'])).toMatchObject({ delivered: 4, viewers: 0 });
    expect(before['2026-11-01']).toEqual(counts({ seen: 2 }));
  });

  test('daysBetween crosses a daylight-saving change without skipping or repeating a day', () => {
    expect(daysBetween('2026-03-28', '2026-03-30')).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
  });
});

describe('safeCell', () => {
  test('text a spreadsheet would run as a formula starts with an apostrophe; numbers and plain text pass', () => {
    for (const text of ['=1+1', '+33 1 23', '-x', '@SUM(A1)', '\tcmd', '\rcmd']) expect(safeCell(text)).toBe(`'${text}`);
    expect(safeCell('Plain, text')).toBe('Plain, text');
    expect(safeCell(-3)).toBe(-3);
    expect(safeCell(undefined)).toBe('');
  });
});
