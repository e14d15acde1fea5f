/**
 * When a message is delivered: its occurrences (delivery rounds) — the first at `start`, then one per
 * frequency interval while before `end` (exclusive). Intervals are counted on the wall clock of the
 * message's time zone, else the tenant's, else the UTC offset written in `start`, so "daily at 09:00
 * Europe/Paris" stays at 09:00 local across DST changes. Pure: every instant comes in as a value.
 *
 * Calendar rules (luxon's `plus`, applied to the first occurrence, never chained, so a clamped month
 * does not shorten the months after it):
 * - monthly keeps the day of month, clamped to the month's last day: Jan 31 → Feb 28/29 → Mar 31.
 * - a wall time that does not exist (the spring-forward gap) moves forward by the gap's length:
 *   02:30 on the day Paris jumps 02:00 → 03:00 is delivered at 03:30 local, and at 02:30 again the
 *   next day.
 * - a wall time that happens twice (fall back) is delivered once, at the instant whose UTC offset is
 *   the start's own offset when that offset fits (a start in summer time takes the first 02:30).
 */
import { DateTime, FixedOffsetZone, IANAZone, type Zone } from 'luxon';
import type { z } from 'zod';
import { Schedule, type Problem } from './message.js';

export type ScheduleInput = z.input<typeof Schedule>;

export interface Occurrence {
  /** 0 for the first send at `start`, then 1, 2, … per frequency interval. */
  index: number;
  /** ISO 8601 UTC instant the occurrence begins. */
  start: string;
  /** ISO 8601 UTC instant it gives way: the next occurrence's start, or the schedule's end. */
  until: string;
}

export const DEFAULT_OCCURRENCE_LIMIT = 1000;

export class ScheduleError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => `${p.path} ${p.message}`).join('; '));
    this.name = 'ScheduleError';
  }
}

const TIME_ZONE_MESSAGE = 'must be an IANA time zone such as Europe/Paris';
const STEP = { daily: 'days', weekly: 'weeks', monthly: 'months' } as const;
type Step = (typeof STEP)[keyof typeof STEP];

/** Problems with a schedule (paths as in `submitProblems`), and with the tenant's default time zone. */
export function scheduleProblems(schedule: unknown, timeZone?: string): Problem[] {
  const parsed = Schedule.safeParse(schedule);
  const problems: Problem[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ path: ['schedule', ...i.path.map(String)].join('.'), message: i.message }));
  if (timeZone !== undefined && !IANAZone.isValidZone(timeZone)) problems.push({ path: 'timeZone', message: TIME_ZONE_MESSAGE });
  if (parsed.success) {
    const start = DateTime.fromISO(parsed.data.start, { setZone: true });
    const end = DateTime.fromISO(parsed.data.end, { setZone: true });
    if (!start.isValid) problems.push({ path: 'schedule.start', message: 'must be an ISO 8601 date-time' });
    if (!end.isValid) problems.push({ path: 'schedule.end', message: 'must be an ISO 8601 date-time' });
    if (start.isValid && end.isValid && end.toMillis() <= start.toMillis())
      problems.push({ path: 'schedule.end', message: 'must be after the start' });
  }
  return problems;
}

interface Plan {
  first: DateTime;
  step: Step | undefined;
  endMs: number;
}

function plan(schedule: ScheduleInput, timeZone: string | undefined): Plan {
  const problems = scheduleProblems(schedule, timeZone);
  if (problems.length > 0) throw new ScheduleError(problems);
  const s = Schedule.parse(schedule);
  // fromISO with setZone keeps the written offset, so parsing never consults the current time.
  const start = DateTime.fromISO(s.start, { setZone: true });
  const name = s.timeZone ?? timeZone;
  const zone: Zone = name === undefined ? FixedOffsetZone.instance(start.offset) : IANAZone.create(name);
  return {
    first: start.setZone(zone),
    step: s.frequency === 'once' ? undefined : STEP[s.frequency],
    endMs: DateTime.fromISO(s.end, { setZone: true }).toMillis(),
  };
}

const startOf = (p: Plan, index: number): number =>
  index === 0 ? p.first.toMillis() : p.step === undefined ? Infinity : p.first.plus({ [p.step]: index }).toMillis();

const iso = (ms: number) => new Date(ms).toISOString();

const occurrence = (p: Plan, index: number): Occurrence => ({
  index,
  start: iso(startOf(p, index)),
  until: iso(Math.min(startOf(p, index + 1), p.endMs)),
});

/** Index of the last occurrence starting at or before `t` (t ≥ the first start), found without walking from 0. */
function indexAt(p: Plan, t: number): number {
  if (p.step === undefined) return 0;
  const estimate = DateTime.fromMillis(t, { zone: p.first.zone }).diff(p.first, p.step).as(p.step);
  let index = Math.max(0, Math.floor(estimate));
  while (index > 0 && startOf(p, index) > t) index--;
  while (startOf(p, index + 1) <= t) index++;
  return index;
}

/** The occurrences' start instants (ISO UTC), at most `limit` of them. */
export function occurrences(schedule: ScheduleInput, options: { timeZone?: string; limit?: number } = {}): string[] {
  const { timeZone, limit = DEFAULT_OCCURRENCE_LIMIT } = options;
  if (!Number.isInteger(limit) || limit < 0) throw new ScheduleError([{ path: 'limit', message: 'must be a whole number, 0 or more' }]);
  const p = plan(schedule, timeZone);
  const starts: string[] = [];
  for (let index = 0; starts.length < limit; index++) {
    const ms = startOf(p, index);
    if (ms >= p.endMs) break;
    starts.push(iso(ms));
  }
  return starts;
}

/** The occurrence in force at `now` (epoch ms); none before the start or from the end on. */
export function occurrenceAt(schedule: ScheduleInput, now: number, timeZone?: string): Occurrence | undefined {
  const p = plan(schedule, timeZone);
  if (now < p.first.toMillis() || now >= p.endMs) return undefined;
  return occurrence(p, indexAt(p, now));
}

/** The first occurrence starting strictly after `after` (epoch ms); none once the schedule has no more. */
export function nextOccurrence(schedule: ScheduleInput, after: number, timeZone?: string): Occurrence | undefined {
  const p = plan(schedule, timeZone);
  const index = after < p.first.toMillis() ? 0 : indexAt(p, after) + 1;
  return startOf(p, index) < p.endMs ? occurrence(p, index) : undefined;
}
