/**
 * Report maths (docs/storage.md `counters`): what one recorded event adds to a message's counters, how the
 * counters add up into days and totals, and the activity series a report shows. Pure: times come in as
 * epoch ms and the tenant's time zone as a value.
 *
 * - Every event counts once in the channel it happened on, in the day it happened (tenant's time zone).
 * - Unique people are counted per day and per message: a person's first `seen` of a message on a day adds
 *   one viewer to that day, their first ever adds one to the message's total viewers — never summed from
 *   days, so "seen by N people" is exact.
 * - Impressions are what a person was shown: `seen` on Windows surfaces, and a delivered Teams notification
 *   or email (those channels report no views). Click-through rate is clicks ÷ impressions, 0 when nothing
 *   was shown, at most 1.
 * - A click counts once per person and message, whichever way it arrives: clicks are distinct clickers.
 */
import { DateTime } from 'luxon';
import type { Channel } from './delivery.js';
import type { InteractionType } from './eligibility.js';

export const TALLY_FIELDS = ['seen', 'clicks', 'dismissed', 'delivered', 'failed'] as const;
export type TallyField = (typeof TALLY_FIELDS)[number];
/** Events of one channel. */
export type Tally = Record<TallyField, number>;

export const PEOPLE_FIELDS = ['viewers', 'clickers', 'dismissers'] as const;
export type PeopleField = (typeof PEOPLE_FIELDS)[number];
/** Distinct people, any channel. */
export type People = Record<PeopleField, number>;

/** A day's or a message's counts: events per channel and distinct people over all channels. */
export interface Counts {
  channels: Partial<Record<Channel, Tally>>;
  people: People;
}

/** What one event or delivery sync adds: events to its channel, and people to the day and to the message. */
export interface Contribution {
  day: string;
  channel: Channel;
  tally: Partial<Tally>;
  /** New people for the day. */
  dayPeople: Partial<People>;
  /** New people for the message. */
  messagePeople: Partial<People>;
}

const FIELD_OF: Record<InteractionType, { tally: TallyField; people: PeopleField }> = {
  seen: { tally: 'seen', people: 'viewers' },
  clicked: { tally: 'clicks', people: 'clickers' },
  dismissed: { tally: 'dismissed', people: 'dismissers' },
};

/** The day (yyyy-MM-dd) `at` falls on in `timeZone`. */
export const dayOf = (at: number, timeZone: string) => DateTime.fromMillis(at, { zone: timeZone }).toISODate()!;

/** Days a person did each kind of thing with one message: what decides whether they are new for a day. */
export type ActiveDays = Partial<Record<InteractionType, string[]>>;

/**
 * What an event adds, given the days the person did the same thing before (empty: never). Returns the
 * contribution and the person's days after it.
 */
export function eventContribution(
  type: InteractionType,
  channel: Channel,
  day: string,
  before: ActiveDays | undefined,
): { contribution: Contribution; after: ActiveDays } {
  const { tally, people } = FIELD_OF[type];
  const days = before?.[type] ?? [];
  const newToday = !days.includes(day);
  // A person's click counts once per message, however it arrives (the device's event, the link it opened,
  // an email's link later): clicks are people who clicked, so the click-through rate is about people.
  const counted = type !== 'clicked' || days.length === 0;
  return {
    contribution: {
      day,
      channel,
      tally: counted ? { [tally]: 1 } : {},
      dayPeople: newToday ? { [people]: 1 } : {},
      messagePeople: days.length === 0 ? { [people]: 1 } : {},
    },
    after: newToday ? { ...before, [type]: [...days, day].sort() } : (before ?? {}),
  };
}

export const emptyTally = (): Tally => ({ seen: 0, clicks: 0, dismissed: 0, delivered: 0, failed: 0 });
export const emptyPeople = (): People => ({ viewers: 0, clickers: 0, dismissers: 0 });
export const emptyCounts = (): Counts => ({ channels: {}, people: emptyPeople() });

/** `counts` with `tally` added to `channel` and `people` added (a new object; the input is left alone). */
export function addTo(counts: Counts | undefined, channel: Channel, tally: Partial<Tally>, people: Partial<People>): Counts {
  const base = counts ?? emptyCounts();
  const current = base.channels[channel] ?? emptyTally();
  const nextTally = { ...current };
  for (const f of TALLY_FIELDS) nextTally[f] += tally[f] ?? 0;
  const nextPeople = { ...base.people };
  for (const f of PEOPLE_FIELDS) nextPeople[f] += people[f] ?? 0;
  return { channels: { ...base.channels, [channel]: nextTally }, people: nextPeople };
}

/** The events of every channel together. */
export function allChannels(counts: Counts | undefined): Tally {
  const sum = emptyTally();
  for (const t of Object.values(counts?.channels ?? {})) for (const f of TALLY_FIELDS) sum[f] += t[f];
  return sum;
}

/** Seen on Windows surfaces plus delivered on push channels: each is a time the message was put in front of someone. */
export const impressions = (t: Tally) => t.seen + t.delivered;

/**
 * Clicks per impression, 0 when there were none (never NaN or Infinity), never above 1: a person's click can
 * arrive without their view (a device offline when it saw the message, a link opened from an email). Four decimals.
 */
export const clickThroughRate = (clicks: number, shown: number) =>
  shown > 0 ? Math.round(Math.min(1, clicks / shown) * 10_000) / 10_000 : 0;

/** The figures a message list or a report shows for some counts. */
export interface Figures extends Tally, People {
  impressions: number;
  clickThroughRate: number;
}

export function figures(counts: Counts | undefined): Figures {
  const t = allChannels(counts);
  const shown = impressions(t);
  return { ...t, ...(counts?.people ?? emptyPeople()), impressions: shown, clickThroughRate: clickThroughRate(t.clicks, shown) };
}

/** Every day from `from` to `to` inclusive (yyyy-MM-dd), in calendar order. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = DateTime.fromISO(from, { zone: 'UTC' }), end = DateTime.fromISO(to, { zone: 'UTC' }); d <= end; d = d.plus({ days: 1 }))
    out.push(d.toISODate()!);
  return out;
}

export interface DayFigures extends Figures {
  date: string;
}

export interface Activity {
  /** Events summed over the days; people are summed from the days too (a person active on two days counts twice). */
  totals: Figures;
  days: DayFigures[];
}

/** Adds `sign` × `from` into `into`, in place: an accumulator, no new objects per addition. */
export function addInto(into: Counts, from: Counts, sign: 1 | -1 = 1): void {
  for (const [channel, t] of Object.entries(from.channels) as [Channel, Tally][]) {
    const sum = (into.channels[channel] ??= emptyTally());
    for (const f of TALLY_FIELDS) sum[f] += sign * t[f];
  }
  for (const f of PEOPLE_FIELDS) into.people[f] += sign * from.people[f];
}

/** Counts by day (yyyy-MM-dd): a month of a message's counts, or of a tenant's. */
export type DayCounts = Record<string, Counts>;

/** Adds `sign` × each day of `from` into the same day of `into`, in place (a rollup takes a copy's change so). */
export function addDays(into: DayCounts, from: Readonly<DayCounts>, sign: 1 | -1 = 1): void {
  for (const [day, counts] of Object.entries(from)) addInto((into[day] ??= emptyCounts()), counts, sign);
}

/**
 * The activity of some messages over `days` (every day present, zero when nothing happened): each message's
 * counts by day (or a tenant's, already summed), summed.
 */
export function activity(messages: Iterable<ReadonlyMap<string, Counts>>, days: readonly string[]): Activity {
  const summed = new Map<string, Counts>(days.map((d) => [d, emptyCounts()]));
  for (const byDay of messages)
    for (const [day, counts] of byDay) {
      const into = summed.get(day);
      if (into) addInto(into, counts);
    }
  const total = emptyCounts();
  const out: DayFigures[] = [];
  for (const day of days) {
    const c = summed.get(day)!;
    addInto(total, c);
    out.push({ date: day, ...figures(c) });
  }
  return { totals: figures(total), days: out };
}

export function mergeCounts(a: Counts, b: Counts): Counts {
  const sum: Counts = { channels: {}, people: emptyPeople() };
  addInto(sum, a);
  addInto(sum, b);
  return sum;
}
