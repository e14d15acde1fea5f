// Reports of push channels: delivered and failed counted once per recipient however often a batch's queue
// message comes back, email clicks counted per person, and the CSV exports as a spreadsheet user gets them.
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import {
  crowd,
  delivered,
  emailsTo,
  newTenant,
  publish,
  putDirectory,
  resetEmails,
  trackedLink,
  ORG,
  type Team,
} from './deliverySupport.js';
import { activity, csvExport, dayIn, messageActivity } from './reportsSupport.js';
import { as, startHerald, type Client } from './support.js';

let host: TestHost;

beforeAll(async () => {
  host = await startHerald({ clock: 'test', env: { TEAMS_REQUESTS_PER_SECOND: '0' } });
});
afterAll(async () => {
  await host?.stop();
});

const now = async () => (await host.clock.now()).getTime();

async function team(tenant: string): Promise<Team & { reader: Client; admin: Client }> {
  await putDirectory(host, tenant, ORG);
  return {
    writer: await as(host, tenant, 'wendy@contoso.test', ['Messages.Write'], '400d'),
    approver: await as(host, tenant, 'abe@contoso.test', ['Messages.Approve'], '400d'),
    reader: await as(host, tenant, 'rex@contoso.test', ['Reports.Read'], '400d'),
    admin: await as(host, tenant, 'ada@contoso.test', ['Tenant.Admin'], '400d'),
  };
}

test('Teams: every recipient delivered counts once, also when the batch’s queue message is delivered again', async () => {
  const tenant = newTenant();
  const t = await crowd(host, tenant, 250);
  const reader = await as(host, tenant, 'rex@contoso.test', ['Reports.Read'], '400d');
  const id = await publish(host, t, {});
  expect(await delivered(t.writer, id)).toMatchObject({ recipients: 250, sent: 250 });
  const day = dayIn(await now(), 'UTC');
  const first = await activity(reader, { from: day, to: day, messageId: id });
  expect(first.days[0]).toMatchObject({ impressions: 250, delivered: 250, failed: 0, clicks: 0, clickThroughRate: 0 });

  // The same batch comes back from the queue (a worker that died before deleting it): nothing is counted twice.
  const queue = new QueueClient(host.storage, 'deliver-teams');
  await queue.sendMessage(Buffer.from(JSON.stringify({ tenantId: tenant, messageId: id, occurrence: 0, batch: 0 })).toString('base64'));
  await host.idle();
  const again = await activity(reader, { from: day, to: day, messageId: id });
  expect(again.days[0]).toEqual(first.days[0]);
  expect(await messageActivity(t.writer, id)).toMatchObject({ seen: 250, delivered: 250, clicks: 0 });
});

test('email: delivered and failed counted, each person’s click counted once on the email channel, and the recipient export', async () => {
  await resetEmails(host);
  const tenant = newTenant();
  const t = await team(tenant);
  const id = await publish(host, t, {
    location: 'email',
    template: { kind: 'premade', id: 'email-welcome-assistant' },
    audience: { departments: ['sales'], locations: ['Paris'] },
  });
  expect(await delivered(t.writer, id)).toMatchObject({ recipients: 3, sent: 2, failed: 1 });
  const [amelie] = await emailsTo(host, 'amelie@contoso.test');
  const link = trackedLink(amelie!)!;
  for (let i = 0; i < 3; i++) expect((await fetch(link, { redirect: 'manual' })).status).toBe(302);

  const day = dayIn(await now(), 'UTC');
  const report = await activity(t.reader, { from: day, to: day, location: 'email' });
  expect(report.days[0]).toMatchObject({ impressions: 2, delivered: 2, failed: 1, clicks: 1, clickers: 1, clickThroughRate: 0.5 });

  const csv = await csvExport(t.reader, `/api/messages/${id}/recipients.csv`);
  expect(csv.rows).toHaveLength(3);
  const byUpn = Object.fromEntries(csv.rows.map((r) => [r.userPrincipalName, r]));
  expect(byUpn['amelie@contoso.test']).toMatchObject({ channel: 'email', deliveryStatus: 'sent', clicks: '1', occurrence: '0' });
  expect(byUpn['amelie@contoso.test']!.firstClickedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect(byUpn['bruno@contoso.test']).toMatchObject({ deliveryStatus: 'sent', clicks: '0', firstClickedAt: '' });
  expect(byUpn['failfred@contoso.test']).toMatchObject({ deliveryStatus: 'failed' });
  expect(byUpn['failfred@contoso.test']!.deliveryReason).toMatch(/Suppressed/);

  // Switched off by the tenant: the export is refused with the reason, the totals stay.
  const off = await t.admin('/api/tenant/settings', {
    method: 'PUT',
    body: { licence: 'E5', timeZone: 'UTC', recipientReports: false },
  });
  expect(off.status).toBe(200);
  const refused = await t.reader(`/api/messages/${id}/recipients.csv`, { redirect: 'manual' });
  expect(refused.status).toBe(403);
  expect(refused.headers.get('content-type')).toBe('application/problem+json');
  expect(((await refused.json()) as { detail: string }).detail).toMatch(/recipientReports/);
  expect((await activity(t.reader, { from: day, to: day })).totals.clicks).toBe(1);
});

test('the activity CSV: one row per message and day, text a spreadsheet would run neutralised, RFC 4180 quoting', async () => {
  const tenant = newTenant();
  const t = await crowd(host, tenant, 3);
  const reader = await as(host, tenant, 'rex@contoso.test', ['Reports.Read'], '400d');
  const names = [
    '=HYPERLINK("https://evil.test","Open")',
    '+1 555, "call" me',
    '-2 + 3',
    '@SUM(A1)',
    'Line one\nline two',
    'Plain, simple',
  ];
  const ids: string[] = [];
  const first = dayIn(await now(), 'UTC');
  for (const name of names) {
    const id = await publish(host, t, { name });
    await delivered(t.writer, id);
    ids.push(id);
  }
  const day = dayIn(await now(), 'UTC');
  const csv = await csvExport(reader, `/api/reports/activity.csv?from=${first}&to=${day}`);
  expect(csv.header.slice(0, 6)).toEqual(['date', 'messageId', 'messageName', 'status', 'location', 'objective']);
  expect(csv.rows).toHaveLength(names.length);
  const nameOf = Object.fromEntries(csv.rows.map((r) => [r.messageId, r.messageName]));
  expect(ids.map((id) => nameOf[id])).toEqual([
    `'=HYPERLINK("https://evil.test","Open")`,
    `'+1 555, "call" me`,
    `'-2 + 3`,
    `'@SUM(A1)`,
    'Line one\nline two',
    'Plain, simple',
  ]);
  // On the wire: quotes doubled inside a quoted field, records ended by CRLF.
  expect(csv.text).toContain(`"'+1 555, ""call"" me"`);
  expect(csv.text).toContain('"Line one\nline two"');
  expect(csv.rows.every((r) => r.delivered === '3' && r.impressions === '3' && r.date >= first && r.date <= day)).toBe(true);
  // Same filters as the report.
  const one = await csvExport(reader, `/api/reports/activity.csv?from=${first}&to=${day}&messageId=${ids[5]}`);
  expect(one.rows.map((r) => r.messageName)).toEqual(['Plain, simple']);
});
