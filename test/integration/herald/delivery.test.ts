// Push delivery end to end: audience resolution through the Graph stand-in (nested groups, exclusions,
// filters), Teams activity notifications and ACS email as the stand-ins received them, per-recipient
// status and progress, throttling with Retry-After.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { objectId } from '@herald/devhost/testing';
import type { TestHost } from '@herald/devhost/testing';
import { as, startHerald, type Client } from './support.js';
import {
  ALL_STAFF,
  crowd,
  delivered,
  delivery,
  newTenant,
  PARIS_SALES,
  publish,
  putDirectory,
  SALES,
  setGraphThrottling,
  status,
  teamsFeed,
  type Team,
  emailsTo,
  trackedLink,
  resetEmails,
} from './deliverySupport.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHerald({ clock: 'test', env: { TEAMS_REQUESTS_PER_SECOND: '0' } });
});
afterAll(async () => {
  await host?.stop();
});

async function team(tenant: string): Promise<Team & { admin: Client }> {
  await putDirectory(host, tenant);
  return {
    writer: await as(host, tenant, 'wendy@contoso.test', ['Messages.Write'], '400d'),
    approver: await as(host, tenant, 'abe@contoso.test', ['Messages.Approve'], '400d'),
    admin: await as(host, tenant, 'ada@contoso.test', ['Tenant.Admin'], '400d'),
  };
}

const ids = (tenant: string, names: string[]) => names.map((n) => objectId(tenant, `${n}@contoso.test`)).sort();

test('Teams: nested groups resolve once each, guests and disabled accounts are left out, and each person gets one notification', async () => {
  const tenant = newTenant();
  const t = await team(tenant);
  const id = await publish(host, t, { audience: { groups: [ALL_STAFF, SALES] } });
  const done = await delivered(t.writer, id);
  expect(done).toMatchObject({ recipients: 6, sent: 6, failed: 0, pending: 0, cancelled: 0 });
  expect(await status(t.writer, id)).toBe('Delivered');

  const feed = await teamsFeed(host, tenant);
  expect(feed.entries.map((e) => e.userId).sort()).toEqual(ids(tenant, ['amelie', 'bruno', 'sally', 'erin', 'ed', 'nomail']));
  expect(new Set(feed.entries.map((e) => e.chainId)).size).toBe(1);
  expect(feed.entries[0]).toMatchObject({
    topic: { value: 'Lock your screen' },
    previewText: { content: 'Press Win+L when you step away.' },
  });
  // The link is Herald's click redirect, not the call to action itself.
  expect(feed.entries[0]!.topic.webUrl).toMatch(/\/api\/r\//);
  const click = await fetch(feed.entries[0]!.topic.webUrl!, { redirect: 'manual' });
  expect(click.status).toBe(302);
  expect(click.headers.get('location')).toBe('https://intranet.contoso.test/lock');
  expect(feed.stats.requests.bulk).toBe(1);

  // Per-recipient status, paged.
  const first = await t.writer(`/api/messages/${id}/delivery/recipients?pageSize=4`);
  const page1 = (await first.json()) as { items: { userId: string; status: string; sentAt: string }[]; continuation?: string };
  expect(page1.items).toHaveLength(4);
  expect(page1.items.every((r) => r.status === 'sent' && r.sentAt)).toBe(true);
  const second = (await (
    await t.writer(`/api/messages/${id}/delivery/recipients?pageSize=4&continuation=${page1.continuation}`)
  ).json()) as {
    items: { userId: string }[];
  };
  expect([...page1.items, ...second.items].map((r) => r.userId).sort()).toEqual(
    ids(tenant, ['amelie', 'bruno', 'sally', 'erin', 'ed', 'nomail']),
  );
});

test('the tenant setting includeGuests brings guests in', async () => {
  const tenant = newTenant();
  const t = await team(tenant);
  expect(
    (await t.admin('/api/tenant/settings', { method: 'PUT', body: { licence: 'E5', timeZone: 'UTC', includeGuests: true } })).status,
  ).toBe(200);
  const id = await publish(host, t, { audience: { groups: [SALES] } });
  expect(await delivered(t.writer, id)).toMatchObject({ recipients: 4, sent: 4 });
  expect((await teamsFeed(host, tenant)).entries.map((e) => e.userId).sort()).toEqual(ids(tenant, ['amelie', 'bruno', 'sally', 'gail']));
});

test('delivery and recipients: bad parameters are 400 problems naming the field, other tenants get 404, readers need a role', async () => {
  const tenant = newTenant();
  const t = await team(tenant);
  const id = await publish(host, t, { audience: { groups: [PARIS_SALES] } });
  await delivered(t.writer, id);
  const bad = await t.writer(`/api/messages/${id}/delivery/recipients?pageSize=0&status=lost`);
  expect(bad.status).toBe(400);
  expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual(['pageSize', 'status']);
  const stranger = await as(host, newTenant(), 'wendy@contoso.test', ['Messages.Write'], '400d');
  expect((await stranger(`/api/messages/${id}/delivery`)).status).toBe(404);
  const nobody = await as(host, tenant, 'nora@contoso.test', ['Notifications.Send.Device'], '400d');
  expect((await nobody(`/api/messages/${id}/delivery`)).status).toBe(403);
  const reader = await as(host, tenant, 'rita@contoso.test', ['Reports.Read'], '400d');
  expect((await delivery(reader, id)).occurrences[0]).toMatchObject({ recipients: 3, sent: 3 });
});

test('throttled by Graph (Teams bulk limit of 2 requests/s): Retry-After is honoured and everyone still gets exactly one', async () => {
  const tenant = newTenant();
  const t = await crowd(host, tenant, 600);
  await setGraphThrottling(host, { teams: true });
  try {
    const id = await publish(host, t, {});
    expect(await delivered(t.writer, id)).toMatchObject({ recipients: 600, sent: 600, failed: 0 });
    const feed = await teamsFeed(host, tenant);
    expect(feed.stats.throttled).toBeGreaterThan(0);
    expect(feed.entries).toHaveLength(600);
    expect(new Set(feed.entries.map((e) => e.userId)).size).toBe(600);
  } finally {
    await setGraphThrottling(host, { teams: false });
  }
});

test('email: department and location filters over every user, no mailbox no email, per-recipient language, tracked link, suppressed address recorded as failed', async () => {
  await resetEmails(host);
  const tenant = newTenant();
  const t = await team(tenant);
  const id = await publish(host, t, {
    location: 'email',
    template: { kind: 'premade', id: 'email-welcome-assistant' },
    audience: { departments: ['sales'], locations: ['Paris'] },
  });
  const done = await delivered(t.writer, id);
  expect(done).toMatchObject({ recipients: 3, sent: 2, failed: 1, pending: 0 });
  expect(await status(t.writer, id)).toBe('Delivered');

  const [amelie] = await emailsTo(host, 'amelie@contoso.test');
  expect(amelie!.subject).toBe('Découvrez votre assistant IA au travail');
  expect((await emailsTo(host, 'sally@contoso.test')).length).toBe(0); // London
  expect((await emailsTo(host, 'gail@contoso.test')).length).toBe(0); // guest
  expect((await emailsTo(host, 'dan@contoso.test')).length).toBe(0); // disabled

  const link = trackedLink(amelie!);
  expect(link).toBeDefined();
  expect(amelie!.plainText).toContain(link);
  const click = await fetch(link!, { redirect: 'manual' });
  expect(click.status).toBe(302);
  expect(click.headers.get('location')).toBe('https://intranet.contoso.test/lock');

  const failed = (await (await t.writer(`/api/messages/${id}/delivery/recipients?status=failed`)).json()) as {
    items: { upn: string; reason: string }[];
  };
  expect(failed.items).toEqual([
    expect.objectContaining({ upn: 'failfred@contoso.test', reason: expect.stringMatching(/EmailDroppedAllRecipientsSuppressed/) }),
  ]);
});

test('email: a company filter, and English for a recipient whose language the template lacks', async () => {
  await resetEmails(host);
  const tenant = newTenant();
  const t = await team(tenant);
  const id = await publish(host, t, {
    location: 'email',
    template: { kind: 'premade', id: 'email-journey-meetings' },
    audience: { companies: ['Contoso Ltd'] },
  });
  expect(await delivered(t.writer, id)).toMatchObject({ recipients: 2, sent: 2 });
  expect((await emailsTo(host, 'erin@contoso.test'))[0]!.subject).toBe('Never take meeting notes again');
  expect((await emailsTo(host, 'sally@contoso.test')).length).toBe(1);
  expect((await emailsTo(host, 'ed@contoso.test')).length).toBe(0);
});
