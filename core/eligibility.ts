/**
 * The in-product inbox (docs/delivery.md): what a device's Spotlight, Notification Center or Taskbar shows now,
 * decided on read from the active messages, the user's memberships and the user's own interactions. Pure:
 * the messages, the user and the time come in as values.
 *
 * - A message is shown while it is Active and inside an occurrence of its schedule; an urgent one for 24
 *   hours after it became Active (it turns Delivered at once, but an offline device must still get it).
 * - Only to people in its audience, judged with the same rules as push delivery.
 * - Frequency: a click silences the message for a year; a dismissal or an impression ("seen", clicked or
 *   not) silences it until the next occurrence, so a once-only message is never shown again. An urgent
 *   message is shown until the user has seen, clicked or dismissed it.
 */
import { isInAudience, targetsUsage, type AudienceRule, type DirectoryUser, type UsageRecord } from './audience.js';
import type { Channel } from './delivery.js';
import type { MessageStatus } from './lifecycle.js';
import { Audience, type DraftInput, type Location } from './message.js';
import { occurrenceAt, ScheduleError, type Occurrence } from './schedule.js';

export const SURFACES = ['spotlight', 'notificationCenter', 'taskbar'] as const satisfies readonly Location[];
export type Surface = (typeof SURFACES)[number];
export const isSurface = (location: string | undefined): location is Surface => (SURFACES as readonly string[]).includes(location ?? '');

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How long after it is sent an urgent message still reaches a device that was offline. */
export const URGENT_WINDOW_MS = 24 * HOUR;
/** How long a click keeps a message away from the person who clicked it. */
export const CLICK_SUPPRESSION_MS = 365 * DAY;

export const INTERACTION_TYPES = ['seen', 'clicked', 'dismissed'] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

/** The parts of a stored message the inbox reads. */
export interface InboxSource {
  id: string;
  status: MessageStatus;
  draft: DraftInput;
  /** When the message last became Active (ISO). */
  activatedAt?: string;
}

/** A message that may appear on a surface, prepared once so each read only compares numbers and sets. */
export interface Candidate {
  source: InboxSource;
  surface: Surface;
  urgent: boolean;
  rule: AudienceRule;
  /** The occurrence in force at `now` (epoch ms), if any; for an urgent message, its 24-hour window. */
  occurrenceAt(now: number): Occurrence | undefined;
}

/**
 * The candidate for a message, or undefined when it can never be on a surface: not an inbox location, not
 * in a status that shows, an urgent message never sent, or a schedule that does not parse.
 */
export function candidate(source: InboxSource, tenantTimeZone: string | undefined): Candidate | undefined {
  const { draft } = source;
  if (!isSurface(draft.location)) return undefined;
  const base = { source, surface: draft.location, rule: audienceRule(source) };
  if (draft.urgent) {
    if (source.status !== 'Active' && source.status !== 'Delivered') return undefined;
    const sent = Date.parse(source.activatedAt ?? '');
    if (Number.isNaN(sent)) return undefined;
    const window: Occurrence = { index: 0, start: iso(sent), until: iso(sent + URGENT_WINDOW_MS) };
    return { ...base, urgent: true, occurrenceAt: (now) => (now >= sent && now < sent + URGENT_WINDOW_MS ? window : undefined) };
  }
  const { start, end } = draft.schedule ?? {};
  if (source.status !== 'Active' || !start || !end) return undefined;
  const schedule = { ...draft.schedule, start, end };
  try {
    occurrenceAt(schedule, 0, tenantTimeZone);
  } catch (error) {
    if (error instanceof ScheduleError) return undefined;
    throw error;
  }
  // An occurrence stays in force until its `until`, so it is worked out again only when `now` leaves it:
  // every device of the tenant reads the same candidate many times a second.
  let last: { occurrence: Occurrence; from: number; to: number } | undefined;
  return {
    ...base,
    urgent: false,
    occurrenceAt(now) {
      if (last && now >= last.from && now < last.to) return last.occurrence;
      const occurrence = occurrenceAt(schedule, now, tenantTimeZone);
      if (occurrence) last = { occurrence, from: Date.parse(occurrence.start), to: Date.parse(occurrence.until) };
      return occurrence;
    },
  };
}

/** Who is asking, as the directory knows them. */
export interface Viewer {
  user: DirectoryUser;
  /** Ids (lower case) of every group the user is in, directly or through nesting. */
  groups: ReadonlySet<string>;
  /** Tenant setting. */
  includeGuests: boolean;
  /** Usage by lower-cased userPrincipalName; needed only when a candidate targets a usage segment. */
  usage?: ReadonlyMap<string, UsageRecord>;
}

export interface Due {
  candidate: Candidate;
  occurrence: Occurrence;
}

/** Candidates on `surface` in force at `now`, before audience and frequency are applied. */
export function inForce(candidates: readonly Candidate[], surface: Surface, now: number): Due[] {
  const due: Due[] = [];
  for (const c of candidates) {
    if (c.surface !== surface) continue;
    const occurrence = c.occurrenceAt(now);
    if (occurrence) due.push({ candidate: c, occurrence });
  }
  return due;
}

/** Whether deciding the audience of these needs the usage report (a segment or a usage filter is targeted). */
export const needsUsage = (due: readonly Due[]) => due.some((d) => targetsUsage(d.candidate.rule));

/** A message's audience rule with its defaults filled in (a draft may leave parts out). */
export const audienceRule = (source: InboxSource): AudienceRule => Audience.parse(source.draft.audience ?? {});

export const inAudience = (rule: AudienceRule, viewer: Viewer, now: number) =>
  isInAudience(viewer.user, viewer.groups, rule, { includeGuests: viewer.includeGuests, now, usage: viewer.usage });

/** The due candidates whose audience the viewer is in. */
export const forViewer = (due: readonly Due[], viewer: Viewer, now: number) => due.filter((d) => inAudience(d.candidate.rule, viewer, now));

/** What one recipient did with one message (the `interactions` row, docs/storage.md). Times are ISO. */
export interface InteractionSummary {
  firstSeenAt?: string;
  lastSeenAt?: string;
  seenCount: number;
  lastSeenOccurrence?: number;
  /** The latest click: the year of silence counts from it. */
  clickedAt?: string;
  clickCount: number;
  dismissedAt?: string;
  dismissCount: number;
  lastDismissedOccurrence?: number;
  lastChannel?: Channel;
}

export interface InteractionEvent {
  type: InteractionType;
  /** When it happened, epoch ms. */
  at: number;
  channel: Channel;
  occurrence: number;
}

const later = (a: string | undefined, b: string) => (a !== undefined && Date.parse(a) >= Date.parse(b) ? a : b);
const earlier = (a: string | undefined, b: string) => (a !== undefined && Date.parse(a) <= Date.parse(b) ? a : b);
const highest = (a: number | undefined, b: number) => (a !== undefined && a >= b ? a : b);
const iso = (ms: number) => new Date(ms).toISOString();

/** The summary after one more event (events may arrive out of order: times and occurrences only move forward). */
export function applyInteraction(current: InteractionSummary | undefined, event: InteractionEvent): InteractionSummary {
  const s: InteractionSummary = { seenCount: 0, clickCount: 0, dismissCount: 0, ...current, lastChannel: event.channel };
  const at = iso(event.at);
  switch (event.type) {
    case 'seen':
      return {
        ...s,
        firstSeenAt: earlier(s.firstSeenAt, at),
        lastSeenAt: later(s.lastSeenAt, at),
        seenCount: s.seenCount + 1,
        lastSeenOccurrence: highest(s.lastSeenOccurrence, event.occurrence),
      };
    case 'clicked':
      return { ...s, clickedAt: later(s.clickedAt, at), clickCount: s.clickCount + 1 };
    case 'dismissed':
      return {
        ...s,
        dismissedAt: later(s.dismissedAt, at),
        dismissCount: s.dismissCount + 1,
        lastDismissedOccurrence: highest(s.lastDismissedOccurrence, event.occurrence),
      };
  }
}

/** The frequency rules: whether `occurrence` of the message should still be shown to someone who did `done`. */
export function stillDue(urgent: boolean, occurrence: Occurrence, done: InteractionSummary | undefined, now: number): boolean {
  if (!done) return true;
  if (urgent) return done.seenCount === 0 && done.clickCount === 0 && done.dismissCount === 0;
  if (done.clickedAt !== undefined && now < Date.parse(done.clickedAt) + CLICK_SUPPRESSION_MS) return false;
  if (done.lastSeenOccurrence !== undefined && done.lastSeenOccurrence >= occurrence.index) return false;
  if (done.lastDismissedOccurrence !== undefined && done.lastDismissedOccurrence >= occurrence.index) return false;
  return true;
}

export interface InboxEntry {
  source: InboxSource;
  urgent: boolean;
  occurrence: number;
  /** When the device should stop showing it (ISO): the occurrence's end, or the urgent window's. */
  showUntil: string;
}

/**
 * What to show of the due messages (already narrowed to the viewer's audience) given what the viewer did:
 * those the frequency rules still allow, newest occurrence first (then newest message first).
 */
export function inbox(due: readonly Due[], interactions: ReadonlyMap<string, InteractionSummary>, now: number): InboxEntry[] {
  return due
    .filter((d) => stillDue(d.candidate.urgent, d.occurrence, interactions.get(d.candidate.source.id), now))
    .sort((a, b) => b.occurrence.start.localeCompare(a.occurrence.start) || a.candidate.source.id.localeCompare(b.candidate.source.id))
    .map((d) => ({
      source: d.candidate.source,
      urgent: d.candidate.urgent,
      occurrence: d.occurrence.index,
      showUntil: d.occurrence.until,
    }));
}

/**
 * The occurrence an event at `at` belongs to: the one in force then, else the nearest (an event reported
 * after the schedule ended belongs to the last occurrence). Urgent messages have one occurrence, 0.
 */
export function occurrenceIndexAt(source: InboxSource, at: number, tenantTimeZone: string | undefined): number {
  const { start, end } = source.draft.schedule ?? {};
  if (source.draft.urgent || !start || !end) return 0;
  const within = Math.min(Math.max(at, Date.parse(start)), Date.parse(end) - 1);
  try {
    return occurrenceAt({ ...source.draft.schedule, start, end }, within, tenantTimeZone)?.index ?? 0;
  } catch (error) {
    if (error instanceof ScheduleError) return 0;
    throw error;
  }
}
