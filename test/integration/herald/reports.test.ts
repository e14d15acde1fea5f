// Reports end to end: real events through the inbox and the click redirect, on the test clock across days,
// read back as a user would — the message's own figures, the activity report and its CSV, and the
// per-recipient export.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import {
  activeMessage,
  DAY,
  GROUP,
  HOUR,
  inboxOf,
  putDirectory,
  sendEvent,
  startInboxHerald,
  userIdOf,
  type Writers,
} from './inboxSupport.js';
import { activity, csvExport, dayIn, messageActivity, ZERO, type Figures } from './reportsSupport.js';
import { as, TENANT_A, TENANT_B, type Client } from './support.js';

const ZONE = 'America/New_York';
const LONG = '800d';
let host: TestHost;
let staff: Writers;
let reader: Client;
let readerB: Client;
let una: Client;
let neo: Client;
let unaId: string;
let neoId: string;
const crowd: Client[] = [];

beforeAll(async () => {
  host = await startInboxHerald();
  staff = {
    writer: await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write'], LONG),
    approver: await as(host, TENANT_A, 'abe@contoso.test', ['Messages.Approve'], LONG),
  };
  reader = await as(host, TENANT_A, 'rex@contoso.test', ['Reports.Read'], LONG);
  readerB = await as(host, TENANT_B, 'rob@fabrikam.test', ['Reports.Read'], LONG);
  const admin = await as(host, TENANT_A, 'ada@contoso.test', ['Tenant.Admin'], LONG);
  expect((await admin('/api/tenant/settings', { method: 'PUT', body: { licence: 'E5', timeZone: ZONE } })).status).toBe(200);
  [una, neo] = await Promise.all(['una', 'neo'].map((n) => as(host, TENANT_A, `${n}@contoso.test`, [], LONG)));
  [unaId, neoId] = (await Promise.all(['una', 'neo'].map((n) => userIdOf(host, TENANT_A, `${n}@contoso.test`)))) as [string, string];
  const people = Array.from({ length: 200 }, (_, i) => `p${i}@contoso.test`);
  crowd.push(...(await Promise.all(people.map((upn) => as(host, TENANT_A, upn, [], LONG)))));
  await putDirectory(
    host,
    TENANT_A,
    [
      { userPrincipalName: 'una@contoso.test' },
      { userPrincipalName: 'neo@contoso.test' },
      ...people.map((userPrincipalName) => ({ userPrincipalName })),
    ],
    [{ id: GROUP, members: ['una@contoso.test', 'neo@contoso.test', ...people] }],
  );
});
afterAll(async () => {
  await host?.stop();
});

const now = async () => (await host.clock.now()).getTime();
const ok = async (res: Promise<Response>, status = 201) => expect((await res).status).toBe(status);
const figures = (over: Partial<Figures>): Figures => ({ ...ZERO, ...over });

describe('counting, by day in the tenant’s time zone', () => {
  let id: string;
  let d0: string;
  let d1: string;

  test('every event counts once in the day it happened, people once per day and once per message', async () => {
    id = await activeMessage(host, staff, {
      name: 'Screen lock',
      content: { title: 'Lock your screen', body: 'Win+L', callToAction: { label: 'How', url: 'https://it.contoso.test/lock' } },
    });
    // Late evening in New York: the next UTC day has begun, the tenant's has not.
    const t = await now();
    const evening = Date.parse(`${dayIn(t + DAY, ZONE)}T23:30:00-05:00`);
    await host.clock.set(evening);
    d0 = dayIn(evening, ZONE);
    expect(new Date(evening).toISOString().slice(0, 10)).not.toBe(d0);

    const [shown] = (await inboxOf(una)).filter((m) => m.id === id);
    await ok(sendEvent(una, id, 'seen', { clientEventId: 'una-1' }));
    await ok(sendEvent(una, id, 'seen', { clientEventId: 'una-2' }));
    await ok(sendEvent(neo, id, 'seen', { clientEventId: 'neo-1' }));
    await ok(sendEvent(neo, id, 'dismissed', { clientEventId: 'neo-2' }));
    // A device resending an event it was unsure about: recorded once.
    const replay = await sendEvent(una, id, 'seen', { clientEventId: 'una-1' });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ recorded: false, duplicate: true });
    // The call to action's signed link, followed twice: one click, on the inbox channel.
    for (let i = 0; i < 2; i++) expect((await fetch(shown!.callToAction!.url, { redirect: 'manual' })).status).toBe(302);

    // Past midnight in New York: an event the device kept from 23:50 still belongs to the day before.
    await host.clock.set(evening + HOUR);
    d1 = dayIn(evening + HOUR, ZONE);
    await ok(sendEvent(neo, id, 'seen', { clientEventId: 'neo-3', occurredAt: new Date(evening + 20 * 60_000).toISOString() }));
    await ok(sendEvent(una, id, 'seen', { clientEventId: 'una-3' }));

    const report = await activity(reader, { from: d0, to: d1, messageId: id });
    expect(report).toMatchObject({ timeZone: ZONE, from: d0, to: d1, messages: 1 });
    expect(report.days).toEqual([
      {
        date: d0,
        ...figures({ impressions: 4, seen: 4, viewers: 2, clicks: 1, clickers: 1, clickThroughRate: 0.25, dismissed: 1, dismissers: 1 }),
      },
      { date: d1, ...figures({ impressions: 1, seen: 1, viewers: 1 }) },
    ]);
    // The message's own figures: people once however many days they came back.
    expect(await messageActivity(staff.writer, id)).toEqual({
      seen: 5,
      viewers: 2,
      clicks: 1,
      clickers: 1,
      clickThroughRate: 0.2,
      dismissed: 1,
      delivered: 0,
      failed: 0,
    });
  });

  test('the message list shows the same figures beside each message', async () => {
    const res = await staff.writer('/api/messages?pageSize=100');
    const { items } = (await res.json()) as { items: { id: string; activity: Record<string, number> }[] };
    expect(items.find((m) => m.id === id)!.activity).toMatchObject({ seen: 5, clicks: 1, clickThroughRate: 0.2 });
  });

  test('days without events are there as zeros, and a click-through rate with nothing seen is 0', async () => {
    const before = dayIn(Date.parse(`${d0}T12:00:00Z`) - DAY, ZONE);
    const after = dayIn(Date.parse(`${d1}T12:00:00Z`) + DAY, ZONE);
    const report = await activity(reader, { from: before, to: after });
    expect(report.days.map((d) => d.date)).toEqual([before, d0, d1, after]);
    expect(report.days[0]).toEqual({ date: before, ...ZERO });
    expect(report.days[3]).toEqual({ date: after, ...ZERO });
    expect(report.totals).toMatchObject({ impressions: 5, clicks: 1, clickThroughRate: 0.2 });
    const JSONText = JSON.stringify(report);
    expect(JSONText).not.toMatch(/NaN|null|Infinity/);
  });

  test('filters: status, location, objective and message', async () => {
    const range = { from: d0, to: d1 };
    expect((await activity(reader, { ...range, status: 'Active' })).totals.impressions).toBe(5);
    expect((await activity(reader, { ...range, location: 'spotlight', objective: 'security' })).totals.impressions).toBe(5);
    for (const filter of [{ status: 'Draft' }, { location: 'teams' }, { objective: 'training' }]) {
      const report = await activity(reader, { ...range, ...filter });
      expect(report.messages, JSON.stringify(filter)).toBe(0);
      expect(report.totals, JSON.stringify(filter)).toEqual(ZERO);
    }
  });

  test('1,000 events at once, a fifth of them replays: every new one counted, none twice', async () => {
    const before = (await activity(reader, { from: d1, to: d1, messageId: id })).days[0]!;
    const sends: Promise<Response>[] = [];
    for (let i = 0; i < 800; i++) {
      const who = crowd[i % crowd.length]!;
      sends.push(sendEvent(who, id, i % 4 === 3 ? 'dismissed' : 'seen', { clientEventId: `burst-${i}` }));
      if (i % 4 === 0) sends.push(sendEvent(who, id, 'seen', { clientEventId: `burst-${i}` }));
    }
    const statuses = (await Promise.all(sends)).map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(800);
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    const after = (await activity(reader, { from: d1, to: d1, messageId: id })).days[0]!;
    expect(after.seen - before.seen).toBe(600);
    expect(after.dismissed - before.dismissed).toBe(200);
    // Person k sends the events i ≡ k (mod 200): a quarter of the crowd only dismisses.
    expect(after.viewers - before.viewers).toBe(150);
    expect(after.dismissers - before.dismissers).toBe(50);
    expect((await messageActivity(staff.writer, id)).viewers).toBe(152);
  });

  test('the per-recipient export lists what each person did', async () => {
    const csv = await csvExport(reader, `/api/messages/${id}/recipients.csv`);
    expect(csv.text.startsWith('\ufeffuserId,')).toBe(true);
    expect(csv.text).toContain('\r\n');
    expect(csv.rows).toHaveLength(202);
    const unaRow = csv.rows.find((r) => r.userId === unaId)!;
    expect(unaRow).toMatchObject({ channel: 'inbox', timesSeen: '3', clicks: '1', dismissals: '0' });
    expect(Date.parse(unaRow.firstSeenAt!)).toBeLessThan(Date.parse(unaRow.lastSeenAt!));
    expect(csv.rows.find((r) => r.userId === neoId)).toMatchObject({ timesSeen: '2', dismissals: '1' });
  });

  test('other tenants see none of it', async () => {
    const report = await activity(readerB, { from: d0, to: d1 });
    expect(report.messages).toBe(0);
    expect(report.totals).toEqual(ZERO);
    expect((await readerB(`/api/reports/activity?messageId=${id}`)).status).toBe(404);
    expect((await readerB(`/api/messages/${id}/recipients.csv`)).status).toBe(404);
  });
});

test('a tenant in another zone counts in its own days: 20:00 UTC is already tomorrow in Kolkata', async () => {
  const writers = {
    writer: await as(host, TENANT_B, 'bea@fabrikam.test', ['Messages.Write'], LONG),
    approver: await as(host, TENANT_B, 'bert@fabrikam.test', ['Messages.Approve'], LONG),
  };
  const adminB = await as(host, TENANT_B, 'bo@fabrikam.test', ['Tenant.Admin'], LONG);
  expect((await adminB('/api/tenant/settings', { method: 'PUT', body: { licence: 'E5', timeZone: 'Asia/Kolkata' } })).status).toBe(200);
  await putDirectory(host, TENANT_B, [{ userPrincipalName: 'kim@fabrikam.test' }], [{ id: GROUP, members: ['kim@fabrikam.test'] }]);
  const kim = await as(host, TENANT_B, 'kim@fabrikam.test', [], LONG);
  const id = await activeMessage(host, writers, {});
  const t = await now();
  const utcEvening = Date.parse(`${new Date(t + DAY).toISOString().slice(0, 10)}T20:00:00Z`);
  await host.clock.set(utcEvening);
  await ok(sendEvent(kim, id, 'seen', { clientEventId: 'kim-1' }));
  const utcDay = new Date(utcEvening).toISOString().slice(0, 10);
  const kolkataDay = dayIn(utcEvening, 'Asia/Kolkata');
  expect(kolkataDay > utcDay).toBe(true);
  const report = await activity(readerB, { from: utcDay, to: kolkataDay });
  expect(report.timeZone).toBe('Asia/Kolkata');
  expect(report.days.map((d) => [d.date, d.seen])).toEqual([
    [utcDay, 0],
    [kolkataDay, 1],
  ]);
});

describe('bad requests change nothing and say why', () => {
  test.each([
    ['from=2026-13-01', 'from'],
    ['to=yesterday', 'to'],
    ['from=2026-11-10&to=2026-11-01', 'from'],
    ['from=2024-01-01&to=2026-01-01', 'from'],
    ['status=Shipped', 'status'],
    ['messageId=nope', 'messageId'],
    ['colour=red', 'colour'],
  ])('%s → 400 naming %s', async (query, field) => {
    const res = await reader(`/api/reports/activity?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path)).toContain(field);
  });

  test('the document: writers have the "Review activity" experience; Reports.Read is for report-only readers; nobody else', async () => {
    for (const path of ['/api/reports/activity', '/api/reports/activity.csv']) expect((await staff.writer(path)).status).not.toBe(403);
    for (const path of ['/api/reports/activity', '/api/reports/activity.csv']) expect((await staff.approver(path)).status).toBe(403);
    expect((await una('/api/reports/activity')).status).toBe(403);
  });
});
