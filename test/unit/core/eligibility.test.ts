import { describe, expect, test } from 'vitest';
import type { DirectoryUser, UsageRecord } from '../../../core/audience.js';
import {
  applyInteraction,
  candidate,
  CLICK_SUPPRESSION_MS,
  forViewer,
  inbox,
  inForce,
  needsUsage,
  occurrenceIndexAt,
  stillDue,
  URGENT_WINDOW_MS,
  type Candidate,
  type InboxSource,
  type InteractionEvent,
  type InteractionSummary,
  type Viewer,
} from '../../../core/eligibility.js';
import { USAGE_PRODUCTS, type DraftInput } from '../../../core/message.js';

const ms = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GROUP = '4d8f6a2e-0c1b-4b7e-9f3a-2e5d7c9b1a0f';
const OTHER_GROUP = '9a9a9a9a-0c1b-4b7e-9f3a-2e5d7c9b1a0f';

let serial = 0;
function message(draft: DraftInput = {}, over: Partial<InboxSource> = {}): InboxSource {
  serial++;
  return {
    id: `e00000000000000000${String(serial).padStart(3, '0')}`,
    status: 'Active',
    draft: {
      name: 'Lock your screen',
      location: 'spotlight',
      urgent: false,
      content: { title: 'Lock your screen', body: 'Press Win+L.' },
      audience: { groups: [GROUP] },
      schedule: { start: '2030-03-01T09:00:00Z', end: '2030-03-08T09:00:00Z', frequency: 'daily' },
      ...draft,
    },
    ...over,
  };
}

const urgent = (activatedAt: string, over: Partial<InboxSource> = {}) =>
  message({ location: 'taskbar', urgent: true, schedule: undefined }, { activatedAt, status: 'Delivered', ...over });

const prepared = (source: InboxSource, tz?: string): Candidate => {
  const c = candidate(source, tz);
  if (!c) throw new Error('expected a candidate');
  return c;
};

const user = (over: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id: 'u1',
  userPrincipalName: 'ann@contoso.test',
  userType: 'Member',
  accountEnabled: true,
  ...over,
});
const viewer = (over: Partial<Viewer> = {}): Viewer => ({ user: user(), groups: new Set([GROUP]), includeGuests: false, ...over });

const event = (type: InteractionEvent['type'], at: string, occurrence = 0): InteractionEvent => ({
  type,
  at: ms(at),
  channel: 'inbox',
  occurrence,
});

/** What `v` sees on `surface` at `at`, given what they did: the ids, in order. */
const shown = (cs: Candidate[], at: string, done = new Map<string, InteractionSummary>(), v = viewer(), surface = 'spotlight' as const) =>
  inbox(forViewer(inForce(cs, surface, ms(at)), v, ms(at)), done, ms(at)).map((e) => e.source.id);

describe('candidate: which messages can be on a surface at all', () => {
  test('only the three inbox locations', () => {
    expect(candidate(message({ location: 'teams' }), 'UTC')).toBeUndefined();
    expect(candidate(message({ location: 'email' }), 'UTC')).toBeUndefined();
    for (const location of ['spotlight', 'notificationCenter', 'taskbar'] as const)
      expect(candidate(message({ location }), 'UTC')?.surface).toBe(location);
  });

  test('scheduled messages only while Active', () => {
    for (const status of ['Draft', 'PendingApproval', 'Scheduled', 'Delivered', 'Expired', 'Cancelled', 'Rejected'] as const)
      expect(candidate(message({}, { status }), 'UTC'), status).toBeUndefined();
  });

  test('urgent messages while Active or Delivered, and only once sent', () => {
    expect(candidate(urgent('2030-03-01T09:00:00Z', { status: 'Active' }), 'UTC')).toBeDefined();
    expect(candidate(urgent('2030-03-01T09:00:00Z'), 'UTC')).toBeDefined();
    expect(candidate(urgent('2030-03-01T09:00:00Z', { status: 'Cancelled' }), 'UTC')).toBeUndefined();
    expect(candidate(urgent('2030-03-01T09:00:00Z', { activatedAt: undefined }), 'UTC')).toBeUndefined();
  });

  test('a message whose schedule does not parse is left out rather than breaking the inbox', () => {
    expect(candidate(message({ schedule: { start: '2030-03-01T09:00:00Z' } }), 'UTC')).toBeUndefined();
    expect(candidate(message({ schedule: { start: '2030-03-02T09:00:00Z', end: '2030-03-01T09:00:00Z' } }), 'UTC')).toBeUndefined();
  });
});

describe('inForce: the schedule window and the current occurrence', () => {
  test('start ≤ now < end, on the asked surface only', () => {
    const c = prepared(message());
    const at = (iso: string, surface: 'spotlight' | 'taskbar' = 'spotlight') => inForce([c], surface, ms(iso)).map((d) => d.occurrence);
    expect(at('2030-03-01T08:59:59.999Z')).toEqual([]);
    expect(at('2030-03-01T09:00:00Z')).toEqual([{ index: 0, start: '2030-03-01T09:00:00.000Z', until: '2030-03-02T09:00:00.000Z' }]);
    expect(at('2030-03-01T09:00:00Z', 'taskbar')).toEqual([]);
    expect(at('2030-03-04T12:00:00Z')).toEqual([{ index: 3, start: '2030-03-04T09:00:00.000Z', until: '2030-03-05T09:00:00.000Z' }]);
    expect(at('2030-03-08T08:59:59.999Z')).toEqual([{ index: 6, start: '2030-03-07T09:00:00.000Z', until: '2030-03-08T09:00:00.000Z' }]);
    expect(at('2030-03-08T09:00:00Z')).toEqual([]);
  });

  test('the same answers in any order of asking (the occurrence is remembered between calls)', () => {
    const c = prepared(message());
    const times = ['2030-03-05T10:00:00Z', '2030-03-02T10:00:00Z', '2030-03-05T08:00:00Z', '2030-03-09T00:00:00Z', '2030-03-05T09:00:00Z'];
    const indexes = times.map((t) => c.occurrenceAt(ms(t))?.index);
    expect(indexes).toEqual([4, 1, 3, undefined, 4]);
  });

  test('a once-only message has one occurrence, shown until the end', () => {
    const c = prepared(message({ schedule: { start: '2030-03-01T09:00:00Z', end: '2030-03-31T09:00:00Z', frequency: 'once' } }));
    expect(c.occurrenceAt(ms('2030-03-20T00:00:00Z'))).toEqual({
      index: 0,
      start: '2030-03-01T09:00:00.000Z',
      until: '2030-03-31T09:00:00.000Z',
    });
  });

  test('occurrences follow the message time zone, else the tenant’s, across a DST change', () => {
    // Daily at 09:00 Paris: 08:00Z before 30 March 2025, 07:00Z after.
    const schedule = { start: '2025-03-28T09:00:00+01:00', end: '2025-04-02T09:00:00+02:00', frequency: 'daily' } as const;
    const own = prepared(message({ schedule: { ...schedule, timeZone: 'Europe/Paris' } }), 'America/New_York');
    const tenants = prepared(message({ schedule }), 'Europe/Paris');
    const utc = prepared(message({ schedule }), undefined);
    const t = ms('2025-03-31T07:30:00Z');
    expect(own.occurrenceAt(t)).toMatchObject({ index: 3, start: '2025-03-31T07:00:00.000Z' });
    expect(tenants.occurrenceAt(t)).toMatchObject({ index: 3, start: '2025-03-31T07:00:00.000Z' });
    // With the start's fixed +01:00 offset the round begins at 08:00Z, so at 07:30Z it is still day 2.
    expect(utc.occurrenceAt(t)).toMatchObject({ index: 2, start: '2025-03-30T08:00:00.000Z' });
  });

  test('urgent: for 24 hours after it became Active, even once Delivered', () => {
    const c = prepared(urgent('2030-03-01T09:00:00Z'));
    expect(inForce([c], 'taskbar', ms('2030-03-01T08:59:00Z'))).toEqual([]);
    expect(inForce([c], 'taskbar', ms('2030-03-01T09:00:00Z'))[0]?.occurrence).toEqual({
      index: 0,
      start: '2030-03-01T09:00:00.000Z',
      until: '2030-03-02T09:00:00.000Z',
    });
    expect(inForce([c], 'taskbar', ms('2030-03-01T09:00:00Z') + URGENT_WINDOW_MS - 1)).toHaveLength(1);
    expect(inForce([c], 'taskbar', ms('2030-03-01T09:00:00Z') + URGENT_WINDOW_MS)).toEqual([]);
    expect(inForce([c], 'notificationCenter', ms('2030-03-01T10:00:00Z'))).toEqual([]);
  });
});

describe('forViewer: the audience, judged on read', () => {
  const at = '2030-03-02T10:00:00Z';

  test('a member of a targeted group (directly or through nesting) sees it; anyone else does not', () => {
    const cs = [prepared(message())];
    expect(shown(cs, at)).toHaveLength(1);
    expect(shown(cs, at, undefined, viewer({ groups: new Set([OTHER_GROUP]) }))).toEqual([]);
    expect(shown(cs, at, undefined, viewer({ groups: new Set() }))).toEqual([]);
  });

  test('group ids match whatever their case', () => {
    const cs = [prepared(message({ audience: { groups: [GROUP.toUpperCase()] } }))];
    expect(shown(cs, at)).toHaveLength(1);
  });

  test('guests only when the tenant includes them; disabled accounts never', () => {
    const cs = [prepared(message())];
    const guest = { user: user({ userType: 'Guest' }) };
    expect(shown(cs, at, undefined, viewer(guest))).toEqual([]);
    expect(shown(cs, at, undefined, viewer({ ...guest, includeGuests: true }))).toHaveLength(1);
    expect(shown(cs, at, undefined, viewer({ user: user({ accountEnabled: false }), includeGuests: true }))).toEqual([]);
  });

  test('filters: department and location narrow the groups', () => {
    const cs = [prepared(message({ audience: { groups: [GROUP], departments: ['Finance'], locations: ['Paris'] } }))];
    expect(shown(cs, at, undefined, viewer({ user: user({ department: 'finance', city: 'Paris' }) }))).toHaveLength(1);
    expect(shown(cs, at, undefined, viewer({ user: user({ department: 'Sales', city: 'Paris' }) }))).toEqual([]);
    expect(shown(cs, at, undefined, viewer({ user: user({ department: 'Finance', city: 'Lyon' }) }))).toEqual([]);
  });

  test('usage segments need the usage report, and only then', () => {
    const plain = prepared(message());
    const segment = prepared(message({ audience: { groups: [], segments: ['inactiveCopilotUsers'] } }));
    const now = ms(at);
    expect(needsUsage(inForce([plain], 'spotlight', now))).toBe(false);
    expect(needsUsage(inForce([plain, segment], 'spotlight', now))).toBe(true);
    expect(needsUsage(inForce([plain, segment], 'spotlight', ms('2030-04-01T00:00:00Z')))).toBe(false);
    const never = Object.fromEntries(USAGE_PRODUCTS.map((p) => [p, null])) as UsageRecord;
    const usage = (copilot: string | null) => new Map([['ann@contoso.test', { ...never, copilot }]]);
    expect(shown([segment], at, undefined, viewer({ usage: usage('2030-03-01') }))).toEqual([]);
    expect(shown([segment], at, undefined, viewer({ usage: usage('2030-01-01') }))).toHaveLength(1);
  });
});

describe('applyInteraction: the per-message summary', () => {
  test('counts each kind and keeps the first and last impression, whatever order events arrive in', () => {
    let s = applyInteraction(undefined, event('seen', '2030-03-02T10:00:00Z', 1));
    s = applyInteraction(s, event('seen', '2030-03-01T10:00:00Z', 0));
    s = applyInteraction(s, { ...event('clicked', '2030-03-03T10:00:00Z', 2), channel: 'email' });
    s = applyInteraction(s, event('dismissed', '2030-03-04T10:00:00Z', 3));
    s = applyInteraction(s, event('dismissed', '2030-03-02T10:00:00Z', 1));
    expect(s).toEqual({
      firstSeenAt: '2030-03-01T10:00:00.000Z',
      lastSeenAt: '2030-03-02T10:00:00.000Z',
      seenCount: 2,
      lastSeenOccurrence: 1,
      clickedAt: '2030-03-03T10:00:00.000Z',
      clickCount: 1,
      dismissedAt: '2030-03-04T10:00:00.000Z',
      dismissCount: 2,
      lastDismissedOccurrence: 3,
      lastChannel: 'inbox',
    });
  });

  test('the click time is the latest click', () => {
    let s = applyInteraction(undefined, event('clicked', '2030-05-01T00:00:00Z'));
    s = applyInteraction(s, event('clicked', '2030-04-01T00:00:00Z'));
    expect(s).toMatchObject({ clickedAt: '2030-05-01T00:00:00.000Z', clickCount: 2, seenCount: 0, dismissCount: 0 });
  });
});

describe('stillDue: the frequency rules', () => {
  const occurrence = (index: number) => ({ index, start: '2030-03-01T09:00:00.000Z', until: '2030-03-02T09:00:00.000Z' });
  const after = (...events: InteractionEvent[]) => events.reduce<InteractionSummary | undefined>(applyInteraction, undefined);
  const now = ms('2030-03-10T00:00:00Z');

  test('nothing done yet: due', () => {
    expect(stillDue(false, occurrence(0), undefined, now)).toBe(true);
    expect(stillDue(true, occurrence(0), undefined, now)).toBe(true);
  });

  test('seen (ignored) or dismissed: not again in the same occurrence, again in the next', () => {
    for (const type of ['seen', 'dismissed'] as const) {
      const done = after(event(type, '2030-03-03T10:00:00Z', 2));
      expect(stillDue(false, occurrence(2), done, now), type).toBe(false);
      expect(stillDue(false, occurrence(1), done, now), type).toBe(false);
      expect(stillDue(false, occurrence(3), done, now), type).toBe(true);
    }
  });

  test('clicked: not again for 365 days, whatever the occurrence', () => {
    const clicked = ms('2030-03-03T10:00:00Z');
    const done = after(event('clicked', '2030-03-03T10:00:00Z', 2));
    expect(stillDue(false, occurrence(9), done, clicked + DAY)).toBe(false);
    expect(stillDue(false, occurrence(300), done, clicked + CLICK_SUPPRESSION_MS - 1)).toBe(false);
    expect(stillDue(false, occurrence(365), done, clicked + CLICK_SUPPRESSION_MS)).toBe(true);
  });

  test('urgent: due until seen, clicked or dismissed', () => {
    for (const type of ['seen', 'clicked', 'dismissed'] as const)
      expect(stillDue(true, occurrence(0), after(event(type, '2030-03-01T10:00:00Z')), now), type).toBe(false);
  });
});

describe('inbox over simulated days and months', () => {
  test('daily: ignored today → back tomorrow; dismissed → back the day after; clicked → gone for good', () => {
    const c = prepared(message());
    const done = new Map<string, InteractionSummary>();
    const act = (type: InteractionEvent['type'], at: string) => {
      const occurrence = occurrenceIndexAt(c.source, ms(at), undefined);
      done.set(c.source.id, applyInteraction(done.get(c.source.id), event(type, at, occurrence)));
    };
    const day = (d: number, time = '10:00') => `2030-03-0${d}T${time}:00Z`;
    expect(shown([c], day(1), done)).toEqual([c.source.id]);
    act('seen', day(1));
    expect(shown([c], day(1, '23:00'), done)).toEqual([]);
    expect(shown([c], day(2, '08:00'), done)).toEqual([]); // the day-1 round lasts until 09:00
    expect(shown([c], day(2), done)).toEqual([c.source.id]);
    act('dismissed', day(2));
    expect(shown([c], day(2, '20:00'), done)).toEqual([]);
    expect(shown([c], day(3), done)).toEqual([c.source.id]);
    act('clicked', day(3));
    for (const d of [3, 4, 5, 6, 7]) expect(shown([c], day(d, '12:00'), done), `day ${d}`).toEqual([]);
  });

  test('monthly: dismissed in January → back on 28 February; once-only: never again', () => {
    const monthly = prepared(
      message(
        { schedule: { start: '2030-01-28T09:00:00Z', end: '2030-06-01T00:00:00Z', frequency: 'monthly' } },
        { id: 'e00000000000000000m01' },
      ),
    );
    const once = prepared(
      message(
        { schedule: { start: '2030-01-28T09:00:00Z', end: '2030-06-01T00:00:00Z', frequency: 'once' } },
        { id: 'e00000000000000000o01' },
      ),
    );
    const done = new Map<string, InteractionSummary>([
      [monthly.source.id, applyInteraction(undefined, event('dismissed', '2030-01-29T10:00:00Z', 0))],
      [once.source.id, applyInteraction(undefined, event('seen', '2030-01-29T10:00:00Z', 0))],
    ]);
    expect(shown([monthly, once], '2030-02-27T10:00:00Z', done)).toEqual([]);
    expect(shown([monthly, once], '2030-02-28T10:00:00Z', done)).toEqual([monthly.source.id]);
    expect(shown([monthly, once], '2030-05-30T10:00:00Z', done)).toEqual([monthly.source.id]);
  });

  test('a click silences the message for a year of a long-running schedule, then it comes back', () => {
    const c = prepared(message({ schedule: { start: '2030-01-01T09:00:00Z', end: '2032-01-01T00:00:00Z', frequency: 'weekly' } }));
    const done = new Map([[c.source.id, applyInteraction(undefined, event('clicked', '2030-01-02T09:00:00Z', 0))]]);
    expect(shown([c], '2030-06-01T10:00:00Z', done)).toEqual([]);
    expect(shown([c], '2031-01-01T10:00:00Z', done)).toEqual([]);
    expect(shown([c], '2031-01-02T10:00:00Z', done)).toEqual([c.source.id]);
  });

  test('urgent: until acted on, within its 24 hours', () => {
    const c = prepared(urgent('2030-03-01T09:00:00Z'));
    const taskbar = (at: string, done = new Map<string, InteractionSummary>()) =>
      inbox(forViewer(inForce([c], 'taskbar', ms(at)), viewer(), ms(at)), done, ms(at));
    expect(taskbar('2030-03-02T08:00:00Z')).toEqual([
      { source: c.source, urgent: true, occurrence: 0, showUntil: '2030-03-02T09:00:00.000Z' },
    ]);
    expect(taskbar('2030-03-02T09:00:00Z')).toEqual([]);
    const seen = new Map([[c.source.id, applyInteraction(undefined, event('seen', '2030-03-01T09:05:00Z'))]]);
    expect(taskbar('2030-03-01T10:00:00Z', seen)).toEqual([]);
  });

  test('newest occurrence first, then the newest message', () => {
    const older = prepared(message({}, { id: 'e00000000000000000b02' }));
    const newer = prepared(message({}, { id: 'e00000000000000000b01' }));
    const later = prepared(
      message(
        { schedule: { start: '2030-03-01T12:00:00Z', end: '2030-03-08T09:00:00Z', frequency: 'daily' } },
        { id: 'e00000000000000000b03' },
      ),
    );
    expect(shown([older, later, newer], '2030-03-02T13:00:00Z')).toEqual([later.source.id, newer.source.id, older.source.id]);
  });
});

describe('occurrenceIndexAt: which round an event belongs to', () => {
  const source = message();
  test('the round in force, else the nearest one', () => {
    expect(occurrenceIndexAt(source, ms('2030-03-04T12:00:00Z'), undefined)).toBe(3);
    expect(occurrenceIndexAt(source, ms('2030-02-01T00:00:00Z'), undefined)).toBe(0);
    expect(occurrenceIndexAt(source, ms('2030-04-01T00:00:00Z'), undefined)).toBe(6);
    expect(occurrenceIndexAt(urgent('2030-03-01T09:00:00Z'), ms('2030-03-01T12:00:00Z'), undefined)).toBe(0);
  });
});
