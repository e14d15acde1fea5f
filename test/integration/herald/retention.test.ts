// Retention end to end: per-recipient events older than a tenant's `retentionDays` go with the nightly timer
// on the test clock, while the daily counters — and so the activity report — stay exactly as they were; a
// push message's recipient snapshot goes too, its delivery counts stay.
import { TableClient } from '@azure/data-tables';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, test } from 'vitest';
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
import { delivered, delivery, newTenant, publish, putDirectory as putOrg } from './deliverySupport.js';
import { as, TENANT_A, TENANT_B, type Client } from './support.js';

// Tokens are checked against the app clock, which these tests move on by days.
const LONG = '800d';
const TENANT_C = newTenant();
const DESTINATION = 'https://security.contoso.test/lock';

let host: TestHost;
let base: number; // midnight UTC starting "day 0"
const at = (day: number, hours: number) => base + day * DAY + hours * HOUR;

beforeAll(async () => {
  host = await startInboxHerald({ TEAMS_REQUESTS_PER_SECOND: '0' });
  // Day 0 starts at the next midnight UTC, so the 02:30 runs fall at known points in the story.
  const now = (await host.clock.now()).getTime();
  base = Math.floor(now / DAY) * DAY + DAY;
  await host.clock.set(at(0, 3));
});
afterAll(async () => {
  await host?.stop();
});

const tableOf = (name: string) => TableClient.fromConnectionString(host.storage, name, { allowInsecureConnection: true });

interface StoredRow {
  partitionKey: string;
  rowKey: string;
  etag: string;
  [column: string]: unknown;
}

/** Every row of `tenant` in a table, in key order. */
async function rowsOf(name: string, tenant: string): Promise<StoredRow[]> {
  const out: StoredRow[] = [];
  const filter = `PartitionKey ge '${tenant}:' and PartitionKey lt '${tenant};'`;
  for await (const row of tableOf(name).listEntities<Record<string, unknown>>({ queryOptions: { filter } })) out.push(row as StoredRow);
  return out;
}

const PER_RECIPIENT = ['counters', 'interactions', 'clicks', 'deliveries'];
/** The tenant's per-recipient tables as stored, ETags included: equal snapshots mean nothing was deleted or rewritten. */
const snapshot = async (tenant: string) =>
  Object.fromEntries(await Promise.all(PER_RECIPIENT.map(async (t) => [t, await rowsOf(t, tenant)])));

async function activityOf(reader: Client, from: string, to: string) {
  const res = await reader(`/api/reports/activity?from=${from}&to=${to}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { messages: number; totals: Record<string, number>; days: ({ date: string } & Record<string, number>)[] };
}

/** The recipients export as a user gets it: the 303's link, fetched and parsed (BOM, CRLF). */
async function recipientsCsv(reader: Client, id: string) {
  const res = await reader(`/api/messages/${id}/recipients.csv`, { redirect: 'manual' });
  expect(res.status, await res.clone().text()).toBe(303);
  const link = res.headers.get('location')!;
  const file = await fetch(link);
  expect(file.status).toBe(200);
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await file.arrayBuffer());
  expect(text.startsWith('\uFEFF')).toBe(true);
  const [header = [], ...body] = parse(text, { bom: true, record_delimiter: '\r\n' }) as string[][];
  return { link, rows: body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}

test('a tenant’s retention purges old per-recipient events, keeps recent ones, other tenants’ and the counters', async () => {
  // Tenant A keeps per-recipient data 2 days; tenant B never said (365); tenant C, 2 days, sends by Teams.
  const adminA = await as(host, TENANT_A, 'ada@contoso.test', ['Tenant.Admin'], LONG);
  const adminC = await as(host, TENANT_C, 'ada@contoso.test', ['Tenant.Admin'], LONG);
  for (const admin of [adminA, adminC]) {
    const res = await admin('/api/tenant/settings', { method: 'PUT', body: { licence: 'E5', timeZone: 'UTC', retentionDays: 2 } });
    expect(res.status, await res.clone().text()).toBe(200);
  }
  const staff = async (tenant: string): Promise<Writers> => ({
    writer: await as(host, tenant, 'ann@contoso.test', ['Messages.Write'], LONG),
    approver: await as(host, tenant, 'abe@contoso.test', ['Messages.Approve'], LONG),
  });
  const readerA = await as(host, TENANT_A, 'rex@contoso.test', ['Reports.Read'], LONG);
  const readerB = await as(host, TENANT_B, 'rex@fabrikam.test', ['Reports.Read'], LONG);
  const readerC = await as(host, TENANT_C, 'rex@contoso.test', ['Reports.Read'], LONG);
  const [una, nia] = await Promise.all(['una', 'nia'].map((n) => as(host, TENANT_A, `${n}@contoso.test`, [], LONG)));
  const bob = await as(host, TENANT_B, 'bob@fabrikam.test', [], LONG);
  const [unaId, niaId] = await Promise.all(['una', 'nia'].map((n) => userIdOf(host, TENANT_A, `${n}@contoso.test`)));
  await putDirectory(
    host,
    TENANT_A,
    [{ userPrincipalName: 'una@contoso.test' }, { userPrincipalName: 'nia@contoso.test' }],
    [{ id: GROUP, members: ['una@contoso.test', 'nia@contoso.test'] }],
  );
  await putDirectory(host, TENANT_B, [{ userPrincipalName: 'bob@fabrikam.test' }], [{ id: GROUP, members: ['bob@fabrikam.test'] }]);
  await putOrg(host, TENANT_C);

  // Day 0. C's Teams notification goes to its six reachable people.
  const teams = await publish(host, await staff(TENANT_C), {});
  const sent = await delivered(readerC, teams);
  expect(sent).toMatchObject({ recipients: 6, sent: 6, pending: 0 });
  const content = { title: 'Lock your screen', body: 'Press Win+L.', callToAction: { label: 'How to', url: DESTINATION } };
  const staffA = await staff(TENANT_A);
  const id = await activeMessage(host, staffA, { content });
  // A second message of A runs on through the purge: Una's click on it keeps it out of her inbox all along.
  const running = await activeMessage(host, staffA, {
    content,
    name: 'Still running',
    schedule: { end: new Date(at(30, 0)).toISOString() },
  });
  const runningShown = (await inboxOf(una)).find((m) => m.id === running)!;
  expect((await fetch(runningShown.callToAction!.url, { redirect: 'manual' })).status).toBe(302);
  const idB = await activeMessage(host, await staff(TENANT_B), { content });
  // Una and Nia both follow the call to action and see the message; Una dismisses it too. So does Bob in B.
  for (const user of [una, nia, bob]) {
    const message = (await inboxOf(user)).find((m) => m.id === (user === bob ? idB : id))!;
    expect((await fetch(message.callToAction!.url, { redirect: 'manual' })).status).toBe(302);
    expect((await sendEvent(user, user === bob ? idB : id, 'seen')).status).toBe(201);
  }
  expect((await sendEvent(una, id, 'dismissed')).status).toBe(201);
  expect((await sendEvent(bob, idB, 'dismissed')).status).toBe(201);

  // Day 2 (the 02:30 runs of days 1 and 2 keep everything: nothing is 2 days old yet). Nia comes back.
  await host.clock.set(at(2, 5));
  await host.idle();
  expect((await sendEvent(nia, id, 'seen')).status).toBe(201);
  expect((await sendEvent(nia, id, 'clicked')).status).toBe(201);
  // The first message ends; the second runs on.
  expect((await staffA.writer(`/api/messages/${id}/cancel`, { body: {} })).status).toBe(200);
  const day2 = new Date(at(2, 0)).toISOString().slice(0, 10);
  const from = new Date(at(-1, 0)).toISOString().slice(0, 10);
  const to = new Date(at(4, 0)).toISOString().slice(0, 10);

  const reportA = await activityOf(readerA, from, to);
  // Nia's two clicks on the first message are one person's click: three clicks in all.
  expect(reportA.totals).toMatchObject({ seen: 3, clicks: 3, dismissed: 1 });
  const reportB = await activityOf(readerB, from, to);
  const reportC = await activityOf(readerC, from, to);
  expect(reportC.totals).toMatchObject({ delivered: 6 });
  const before = await recipientsCsv(readerA, id);
  expect(before.rows.map((r) => r.userId).sort()).toEqual([unaId, niaId].sort());
  expect(before.rows.find((r) => r.userId === niaId)).toMatchObject({ timesSeen: '2', clicks: '2' });
  expect((await recipientsCsv(readerC, teams)).rows).toHaveLength(6);
  // The counts, not the rate: that one moves with the clock.
  const counts = async () =>
    (await delivery(readerC, teams)).occurrences.map(({ occurrence, state, recipients, sent, failed, pending, throttled, cancelled }) => ({
      occurrence,
      state,
      recipients,
      sent,
      failed,
      pending,
      throttled,
      cancelled,
    }));
  const progress = await counts();
  const storedA = await snapshot(TENANT_A);
  const storedB = await snapshot(TENANT_B);
  const storedC = await snapshot(TENANT_C);
  expect(storedA.counters.filter((r) => r.rowKey.startsWith('~e|')).length).toBe(8);

  // Day 3, past 02:30: everything from day 0 is more than 2 days old for A and C.
  await host.clock.set(at(3, 5));
  await host.idle();

  // The report is what it was: the counters stay.
  expect(await activityOf(readerA, from, to)).toEqual(reportA);
  expect(await activityOf(readerB, from, to)).toEqual(reportB);
  expect(await activityOf(readerC, from, to)).toEqual(reportC);

  // Per recipient, only day 2 is left: Una is gone, Nia has her day-2 events.
  const after = await recipientsCsv(readerA, id);
  expect(after.rows.map((r) => r.userId)).toEqual([niaId]);
  expect(after.rows[0]).toMatchObject({ timesSeen: '1', clicks: '1', dismissals: '0' });
  expect(after.rows[0]!.firstSeenAt.slice(0, 10)).toBe(day2);
  expect(after.rows[0]!.firstClickedAt.slice(0, 10)).toBe(day2);

  const counters = await rowsOf('counters', TENANT_A);
  const events = counters.filter((r) => r.rowKey.startsWith('~e|'));
  expect(events.map((r) => [r.userId, r.type, String(r.at).slice(0, 10)]).sort()).toEqual([
    [niaId, 'clicked', day2],
    [niaId, 'seen', day2],
  ]);
  // Totals and months stay, untouched.
  const kept = (rows: StoredRow[]) => rows.filter((r) => !r.rowKey.startsWith('~e|'));
  expect(kept(counters)).toEqual(kept(storedA.counters));

  const interactions = await rowsOf('interactions', TENANT_A);
  // Of Una only her summary of the message still running is left: it keeps the message she clicked hidden.
  expect(interactions.filter((r) => r.partitionKey === `${TENANT_A}:${unaId}`).map((r) => r.rowKey)).toEqual([running]);
  expect((await inboxOf(una)).map((m) => m.id)).not.toContain(running);
  const nias = interactions.filter((r) => r.partitionKey === `${TENANT_A}:${niaId}`);
  expect(nias.filter((r) => r.rowKey === id)).toHaveLength(1);
  const markers = nias.filter((r) => r.rowKey.startsWith('~evt|'));
  expect(markers.map((r) => [r.type, String(r.occurredAt).slice(0, 10)]).sort()).toEqual([
    ['clicked', day2],
    ['seen', day2],
  ]);
  expect((await rowsOf('clicks', TENANT_A)).map((r) => `${r.partitionKey}/${r.rowKey}`).sort()).toEqual(
    [`${TENANT_A}:${id}/${niaId}`, `${TENANT_A}:${running}/${unaId}`].sort(),
  );

  // Tenant B keeps a year: not a row changed.
  expect(await snapshot(TENANT_B)).toEqual(storedB);
  expect((await recipientsCsv(readerB, idB)).rows).toHaveLength(1);

  // C's batch keeps its summary (the progress counts) and loses who was in it.
  const deliveries = await rowsOf('deliveries', TENANT_C);
  const recipients = await Promise.all(
    ['amelie', 'bruno', 'sally', 'erin', 'ed', 'nomail'].map((n) => userIdOf(host, TENANT_C, `${n}@contoso.test`)),
  );
  // Who got what is in the outcome rows (each recipient's key hashed to one of ≤ 10).
  const outcomeRows = storedC.deliveries.filter((r) => r.rowKey.startsWith('~out:'));
  const outcomeKeys = outcomeRows.flatMap((r) => {
    let json = '';
    for (let i = 0; i < Number(r.parts); i++) json += String(r[`p${i}`]);
    return Object.keys(JSON.parse(json) as Record<string, unknown>);
  });
  expect(outcomeKeys.sort()).toEqual([...recipients].sort());
  expect(
    storedC.deliveries
      .filter((r) => !r.rowKey.startsWith('~out:'))
      .map((r) => r.rowKey)
      .sort(),
  ).toEqual(['~chunk:00', '~summary']);
  expect(deliveries.map((r) => r.rowKey)).toEqual(['~summary']);
  expect(await counts()).toEqual(progress);
  expect((await (await readerC(`/api/messages/${teams}/delivery/recipients`)).json()).items).toEqual([]);
  expect((await recipientsCsv(readerC, teams)).rows).toEqual([]);

  // Running again — the next night, and once more by hand — finds nothing more to do.
  const purgedA = await snapshot(TENANT_A);
  const purgedC = await snapshot(TENANT_C);
  await host.clock.set(at(4, 3));
  await host.idle();
  expect((await host.adminFetch('/admin/functions/retentionPurge', { method: 'POST', body: '{}' })).status).toBe(202);
  await host.idle();
  expect(await snapshot(TENANT_A)).toEqual(purgedA);
  expect(await snapshot(TENANT_C)).toEqual(purgedC);
  expect(await snapshot(TENANT_B)).toEqual(storedB);
  expect(await activityOf(readerA, from, to)).toEqual(reportA);
});

test('two runs at once delete each old row once, in groups of at most 100, and neither fails', async () => {
  // Written directly in the counters' layout: 250 old event rows over two messages, beside their totals.
  const tenant = newTenant();
  const admin = await as(host, tenant, 'ada@contoso.test', ['Tenant.Admin'], LONG);
  const put = await admin('/api/tenant/settings', { method: 'PUT', body: { licence: 'E5', timeZone: 'UTC', retentionDays: 1 } });
  expect(put.status, await put.clone().text()).toBe(200);
  const now = (await host.clock.now()).getTime();
  const old = new Date(now - 3 * DAY).toISOString();
  const counters = tableOf('counters');
  const partitions = [`${tenant}:${'a'.repeat(21)}`, `${tenant}:${'b'.repeat(21)}`];
  const sizes = [180, 70];
  for (const [i, pk] of partitions.entries()) {
    const rows = Array.from({ length: sizes[i]! }, (_, n) => ({
      partitionKey: pk,
      rowKey: `~e|user-${String(n).padStart(3, '0')}|k${n}`,
      userId: `user-${n}`,
      type: 'seen',
      channel: 'inbox',
      at: old,
    }));
    rows.push({ partitionKey: pk, rowKey: 'totals', userId: '', type: '', channel: '', at: old });
    for (let from = 0; from < rows.length; from += 100)
      await counters.submitTransaction(rows.slice(from, from + 100).map((row) => ['create', row] as ['create', typeof row]));
  }

  const runs = () =>
    host
      .output()
      .split('\n')
      .filter((line) => /\[retentionPurge\].*retention as of/.test(line));
  const earlier = runs().length;
  const fire = () => host.adminFetch('/admin/functions/retentionPurge', { method: 'POST', body: '{}' });
  expect((await Promise.all([fire(), fire()])).map((r) => r.status)).toEqual([202, 202]);
  await host.idle();

  expect((await rowsOf('counters', tenant)).map((r) => r.rowKey)).toEqual(['totals', 'totals']);
  const reports = runs().slice(earlier);
  expect(reports).toHaveLength(2);
  // However the two interleaved, together they deleted each row exactly once.
  const deleted = reports.map((line) => Number(/counters (\d+)/.exec(line)![1]));
  expect(deleted[0]! + deleted[1]!).toBe(250);
  expect(host.output()).not.toMatch(/\[Error\] \[retentionPurge\]/);
});
