import { CronExpressionParser } from 'cron-parser';

export interface Schedule {
  expression: string;
  /** The first occurrence strictly after `after`. */
  next(after: number): number;
}

/**
 * NCRONTAB as the Functions timer trigger takes it: six fields, seconds first
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`), names allowed, in UTC unless a time zone is given.
 */
export function parseNcrontab(expression: string, tz = 'UTC'): Schedule {
  const fields = expression.trim().split(/\s+/);
  if (/^\d+(\.\d+)?:\d{1,2}:\d{1,2}$/.test(expression.trim())) {
    throw new Error(`schedule "${expression}" is a TimeSpan, which only App Service plans accept; write it as six-field NCRONTAB`);
  }
  if (fields.length !== 6) {
    throw new Error(
      `schedule "${expression}" must have six NCRONTAB fields ({second} {minute} {hour} {day} {month} {day-of-week}), it has ${fields.length}`,
    );
  }
  try {
    CronExpressionParser.parse(fields.join(' '), { tz, currentDate: new Date(0) });
  } catch (error) {
    throw new Error(`schedule "${expression}": ${(error as Error).message}`);
  }
  return {
    expression,
    next(after: number): number {
      const it = CronExpressionParser.parse(fields.join(' '), { tz, currentDate: new Date(after) });
      return it.next().getTime();
    },
  };
}

/** The host's rule: a status monitor is kept by default when occurrences are more than a minute apart. */
export function defaultUseMonitor(schedule: Schedule, from: number): boolean {
  const a = schedule.next(from);
  const b = schedule.next(a);
  return b - a > 60_000;
}
