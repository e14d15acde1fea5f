// The in-product inbox end to end: devices ask `GET /api/inbox` what to show and report what the user did
// through `POST /api/inbox/{id}/events`; messages become Active through the real lifecycle on the test clock,
// and the audience is read from the Graph stand-in.
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import {
  activeMessage,
  CACHE_SETTLE_MS,
  DAY,
  GROUP,
  HOUR,
  idsIn,
  inboxOf,
  putDirectory,
  sendEvent,
  startInboxHerald,
  SUBGROUP,
  summaryRow,
  urgentMessage,
  userIdOf,
  type Writers,
} from './inboxSupport.js';
import { as, TENANT_A, TENANT_B, type Client } from './support.js';

let host: TestHost;
let staff: Writers;
let admin: Client;
let una: Client; // in GROUP
let neo: Client; // in SUBGROUP, which is in GROUP
let nia: Client; // in no group
let gus: Client; // a guest in GROUP
let dan: Client; // a disabled account in GROUP
let zed: Client; // signed in, but not in the directory
let bob: Client; // tenant B, in a group of the same id there
let staffB: Writers;

// Tokens are checked against the app clock, which these tests move on by more than a year.
const LONG = '800d';

beforeAll(async () => {
  host = await startInboxHerald();
  [staff, staffB] = (await Promise.all(
    [TENANT_A, TENANT_B].map(async (tenant) => ({
      writer: await as(host, tenant, 'ann@contoso.test', ['Messages.Write'], LONG),
      approver: await as(host, tenant, 'abe@contoso.test', ['Messages.Approve'], LONG),
    })),
  )) as [Writers, Writers];
  admin = await as(host, TENANT_A, 'ada@contoso.test', ['Tenant.Admin'], LONG);
  [una, neo, nia, gus, dan, zed] = await Promise.all(
    ['una', 'neo', 'nia', 'gus', 'dan', 'zed'].map((name) => as(host, TENANT_A, `${name}@contoso.test`, [], LONG)),
  );
  bob = await as(host, TENANT_B, 'bob@fabrikam.test', [], LONG);
  await putDirectory(
    host,
    TENANT_A,
    [
      { userPrincipalName: 'una@contoso.test' },
      { userPrincipalName: 'neo@contoso.test' },
      { userPrincipalName: 'nia@contoso.test' },
      { userPrincipalName: 'gus@contoso.test', userType: 'Guest' },
      { userPrincipalName: 'dan@contoso.test', accountEnabled: false },
    ],
    [
      { id: GROUP, members: ['una@contoso.test', 'gus@contoso.test', 'dan@contoso.test', SUBGROUP] },
      { id: SUBGROUP, members: ['neo@contoso.test'] },
    ],
  );
  await putDirectory(host, TENANT_B, [{ userPrincipalName: 'bob@fabrikam.test' }], [{ id: GROUP, members: ['bob@fabrikam.test'] }]);
});
const savedStorage = process.env.AzureWebJobsStorage;
afterAll(async () => {
  await host?.stop();
  if (savedStorage === undefined) delete process.env.AzureWebJobsStorage;
  else process.env.AzureWebJobsStorage = savedStorage;
});

const start = async () => (await host.clock.now()).getTime();

describe('GET /api/inbox', () => {
  test('shows a message to the people in its audience, judged on read', async () => {
    const id = await activeMessage(host, staff, {
      content: {
        title: 'Lock your screen',
        body: 'Press Win+L.',
        callToAction: { label: 'How to', url: 'https://intranet.contoso.test/lock' },
      },
    });
    const now = await start();
    const [shown] = (await inboxOf(una)).filter((m) => m.id === id);
    expect(shown).toEqual({
      id,
      title: 'Lock your screen',
      body: 'Press Win+L.',
      language: 'en',
      callToAction: { label: 'How to', url: expect.stringMatching(new RegExp(`^${host.url}/api/r/[\\w-]+\\.[\\w-]+\\.[\\w-]+$`)) },
      urgent: false,
      occurrence: 0,
      showUntil: new Date(now - CACHE_SETTLE_MS + DAY).toISOString(),
    });
    expect(await idsIn(neo)).toContain(id); // through the nested group
    for (const outsider of [nia, gus, dan, bob]) expect(await idsIn(outsider)).not.toContain(id);
    expect(await inboxOf(zed)).toEqual([]); // unknown to the directory: nothing at all
    expect(await idsIn(una, 'taskbar')).not.toContain(id);
    expect(await idsIn(una, 'notificationCenter')).not.toContain(id);

    const include = (includeGuests: boolean) =>
      admin('/api/tenant/settings', { method: 'PUT', body: { licence: 'E5', timeZone: 'UTC', includeGuests } });
    expect((await include(true)).status).toBe(200);
    await host.clock.advance(CACHE_SETTLE_MS);
    expect(await idsIn(gus)).toContain(id);
    expect(await idsIn(dan)).not.toContain(id);
    expect((await include(false)).status).toBe(200);
    await host.clock.advance(CACHE_SETTLE_MS);
    expect(await idsIn(gus)).not.toContain(id);
  });

  test('the surface is required and must be an in-product one; a token is required', async () => {
    for (const query of ['', '?surface=teams', '?surface=Spotlight']) {
      const res = await una(`/api/inbox${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as { errors: { path: string; message: string }[] };
      expect(problem.errors).toEqual([{ path: 'surface', message: 'must be one of spotlight, notificationCenter, taskbar' }]);
    }
    const anonymous = await host.fetch('/api/inbox?surface=spotlight');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  });

  test('daily: seen → back at the next occurrence, dismissed → the same, clicked → not again; gone after the end', async () => {
    const id = await activeMessage(host, staff, { schedule: { frequency: 'daily' } });
    const first = await start();
    const occurrenceOf = async (client: Client) => (await inboxOf(client)).find((m) => m.id === id)?.occurrence;
    expect(await occurrenceOf(una)).toBe(0);
    expect((await sendEvent(una, id, 'seen')).status).toBe(201);
    expect(await occurrenceOf(una)).toBeUndefined();
    expect(await occurrenceOf(neo)).toBe(0); // one person's impression is theirs alone

    await host.clock.advance(DAY);
    expect(await occurrenceOf(una)).toBe(1);
    expect((await sendEvent(una, id, 'dismissed')).status).toBe(201);
    expect(await occurrenceOf(una)).toBeUndefined();
    await host.clock.advance(DAY - HOUR);
    expect(await occurrenceOf(una)).toBeUndefined(); // still the dismissed day's round

    await host.clock.advance(HOUR);
    expect(await occurrenceOf(una)).toBe(2);
    expect((await sendEvent(una, id, 'clicked')).status).toBe(201);
    expect(await occurrenceOf(una)).toBeUndefined();
    await host.clock.advance(DAY);
    expect(await occurrenceOf(una)).toBeUndefined();
    expect(await occurrenceOf(neo)).toBe(3);

    // The message ends 8 days after its start (less the settling time already spent).
    await host.clock.set(first - CACHE_SETTLE_MS + 8 * DAY);
    await host.idle();
    await host.clock.advance(CACHE_SETTLE_MS);
    expect(await occurrenceOf(neo)).toBeUndefined();
  });

  test('once-only: seen → never again; monthly: dismissed → back next month', async () => {
    const once = await activeMessage(host, staff, {
      schedule: { frequency: 'once', end: new Date((await start()) + 90 * DAY).toISOString() },
    });
    const monthly = await activeMessage(host, staff, {
      schedule: { frequency: 'monthly', end: new Date((await start()) + 100 * DAY).toISOString() },
    });
    const monthlyStart = (await start()) - CACHE_SETTLE_MS;
    expect(await idsIn(una)).toEqual(expect.arrayContaining([once, monthly]));
    expect((await sendEvent(una, once, 'seen')).status).toBe(201);
    expect((await sendEvent(una, monthly, 'dismissed')).status).toBe(201);
    expect(await idsIn(una)).not.toContain(once);
    expect(await idsIn(una)).not.toContain(monthly);

    await host.clock.advance(20 * DAY);
    const later = await idsIn(una);
    expect(later).not.toContain(once);
    expect(later).not.toContain(monthly);

    // Calendar months as the schedule counts them (the tenant's time zone is UTC): the 31st is followed by the 30th.
    const nextMonth = DateTime.fromMillis(monthlyStart, { zone: 'utc' }).plus({ months: 1 }).toMillis();
    await host.clock.set(nextMonth + HOUR);
    const [shown] = (await inboxOf(una)).filter((m) => m.id === monthly);
    expect(shown?.occurrence).toBe(1);
    expect(await idsIn(una)).not.toContain(once);
    expect(await idsIn(neo)).toContain(once); // neo never saw it
  });

  test('a click keeps a message away for a year while its schedule runs, then it comes back', async () => {
    const id = await activeMessage(host, staff, {
      schedule: { frequency: 'weekly', end: new Date((await start()) + 2 * 365 * DAY).toISOString() },
    });
    expect((await sendEvent(una, id, 'clicked')).status).toBe(201);
    await host.clock.advance(364 * DAY);
    expect(await idsIn(una)).not.toContain(id);
    expect(await idsIn(neo)).toContain(id);
    await host.clock.advance(2 * DAY);
    expect(await idsIn(una)).toContain(id);
  });

  test('urgent: on the Taskbar for its groups for 24 hours, until each person has acted on it', async () => {
    const id = await urgentMessage(host, staff);
    const sent = (await start()) - CACHE_SETTLE_MS;
    expect(((await (await staff.writer(`/api/messages/${id}`)).json()) as { status: string }).status).toBe('Delivered');
    const [shown] = (await inboxOf(una, 'taskbar')).filter((m) => m.id === id);
    expect(shown).toMatchObject({ urgent: true, occurrence: 0 });
    expect(Date.parse(shown!.showUntil)).toBeGreaterThanOrEqual(sent + DAY - 60_000);
    expect(Date.parse(shown!.showUntil)).toBeLessThanOrEqual(sent + DAY);
    expect(await idsIn(nia, 'taskbar')).not.toContain(id);
    expect(await idsIn(una, 'spotlight')).not.toContain(id);

    expect((await sendEvent(una, id, 'seen')).status).toBe(201);
    expect(await idsIn(una, 'taskbar')).not.toContain(id);
    // neo's device was off: it still gets the message when it comes back within the day.
    await host.clock.advance(23 * HOUR);
    expect(await idsIn(neo, 'taskbar')).toContain(id);
    await host.clock.advance(HOUR);
    expect(await idsIn(neo, 'taskbar')).not.toContain(id);
  });

  test('tenants are isolated: the same group id in another tenant is another group', async () => {
    const id = await urgentMessage(host, staffB, { location: 'notificationCenter' });
    expect(await idsIn(bob, 'notificationCenter')).toContain(id);
    expect(await idsIn(una, 'notificationCenter')).not.toContain(id);
    expect((await sendEvent(una, id, 'seen')).status).toBe(404);
    expect((await sendEvent(bob, id, 'seen')).status).toBe(201);
  });

  test('what a person did is seen at once when recorded here, within a few seconds when another instance recorded it', async () => {
    const id = await activeMessage(host, staff, {});
    // Every surface's poll reads (and caches) the person's interactions first.
    expect(await idsIn(neo)).toContain(id);
    expect(await idsIn(neo, 'taskbar')).not.toContain(id);
    // Another instance over the same storage: the app's own store, from this process.
    process.env.AzureWebJobsStorage = host.storage; // restored after all
    const { recordInteraction } = await import('../../../adapters/stores/interactionStore.js');
    const neoId = await userIdOf(host, TENANT_A, 'neo@contoso.test');
    const at = await start();
    await recordInteraction(TENANT_A, neoId, id, {
      type: 'seen',
      clientEventId: 'elsewhere',
      at,
      channel: 'inbox',
      occurrence: 0,
      timeZone: 'UTC',
    });
    await host.clock.advance(CACHE_SETTLE_MS);
    expect(await idsIn(neo)).not.toContain(id);

    const other = await activeMessage(host, staff, {});
    expect(await idsIn(una)).toContain(other);
    expect((await sendEvent(una, other, 'dismissed')).status).toBe(201);
    expect(await idsIn(una)).not.toContain(other);
  });
});

describe('POST /api/inbox/{id}/events', () => {
  test('the same clientEventId twice records once', async () => {
    const id = await activeMessage(host, staff, {});
    const event = { type: 'seen', clientEventId: 'device-42:impression:1' };
    const first = await una(`/api/inbox/${id}/events`, { body: event });
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ recorded: true, duplicate: false });
    const again = await una(`/api/inbox/${id}/events`, { body: event });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ recorded: false, duplicate: true });
    // The same id from another person, or for another kind of event, is another event.
    expect((await neo(`/api/inbox/${id}/events`, { body: event })).status).toBe(201);
    expect((await una(`/api/inbox/${id}/events`, { body: { ...event, type: 'dismissed' } })).status).toBe(200);
    const row = await summaryRow(host, TENANT_A, await userIdOf(host, TENANT_A, 'una@contoso.test'), id);
    expect(row).toMatchObject({ seenCount: 1, dismissCount: 0, clickCount: 0, lastSeenOccurrence: 0, lastChannel: 'inbox' });
  });

  test('50 concurrent events for one person and message are all counted', async () => {
    const id = await activeMessage(host, staff, {});
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => sendEvent(neo, id, i % 5 === 0 ? 'dismissed' : 'seen')));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(201));
    const row = await summaryRow(host, TENANT_A, await userIdOf(host, TENANT_A, 'neo@contoso.test'), id);
    expect(row).toMatchObject({ seenCount: 40, dismissCount: 10 });
  });

  test('404 for a message the caller was not sent', async () => {
    const id = await activeMessage(host, staff, {});
    const draft = (await (await staff.writer('/api/messages', { body: { name: 'Never sent', location: 'spotlight' } })).json()) as {
      id: string;
    };
    const teams = await activeMessage(host, staff, { location: 'teams' });
    for (const [client, messageId] of [
      [una, 'e0000000000000000000f'],
      [una, 'not-an-id'],
      [una, draft.id],
      [una, teams],
      [nia, id],
      [zed, id],
      [bob, id],
    ] as const) {
      const res = await sendEvent(client, messageId, 'seen');
      expect(res.status, messageId).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  test('400 naming the field for a bad event; a device clock a little ahead is fine', async () => {
    const id = await activeMessage(host, staff, {});
    const now = await start();
    const post = (body: unknown) => una(`/api/inbox/${id}/events`, { body });
    const cases: [unknown, string][] = [
      [{ type: 'liked', clientEventId: 'a' }, 'type'],
      [{ type: 'seen' }, 'clientEventId'],
      [{ type: 'seen', clientEventId: '' }, 'clientEventId'],
      [{ type: 'seen', clientEventId: 'x'.repeat(129) }, 'clientEventId'],
      [{ type: 'seen', clientEventId: 'a', occurredAt: 'yesterday' }, 'occurredAt'],
      [{ type: 'seen', clientEventId: 'a', occurredAt: new Date(now + 6 * 60_000).toISOString() }, 'occurredAt'],
      [{ type: 'seen', clientEventId: 'a', colour: 'red' }, 'colour'],
    ];
    for (const [body, path] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([path]);
    }
    expect((await post('{not json')).status).toBe(400);
    expect((await host.fetch(`/api/inbox/${id}/events`, { method: 'POST', body: '{}' })).status).toBe(401);
    const ahead = await post({ type: 'seen', clientEventId: 'ahead', occurredAt: new Date(now + 4 * 60_000).toISOString() });
    expect(ahead.status).toBe(201);
    // An event reported late (the device was offline) counts for the round it happened in.
    expect((await post({ type: 'seen', clientEventId: 'late', occurredAt: new Date(now - 60_000).toISOString() })).status).toBe(201);
  });
});
