// "Custom urgent content goes through approval — fast: approvers are notified at once." The tenant's
// approvers group hears of every message that waits for it, in Teams, the moment it waits; never its author.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { teamsFeed } from './deliverySupport.js';
import { userIdOf } from './inboxSupport.js';
import { as, loadDirectory, startHerald, TENANT_A, type Client } from './support.js';

const APPROVERS = 'a0a0a0a0-0000-4000-8000-0000000000a1';
const STAFF = 'a0a0a0a0-0000-4000-8000-0000000000a2';
let host: TestHost;
let ann: Client;

beforeAll(async () => {
  host = await startHerald({ clock: 'test' });
  await loadDirectory(host, TENANT_A, {
    users: ['ann', 'abe', 'amy', 'una'].map((n) => ({ userPrincipalName: `${n}@contoso.test`, displayName: n })),
    groups: [
      { id: APPROVERS, displayName: 'Approvers', members: ['ann@contoso.test', 'abe@contoso.test', 'amy@contoso.test'] },
      { id: STAFF, displayName: 'Staff', members: ['una@contoso.test'] },
    ],
  });
  const admin = await as(host, TENANT_A, 'ada@contoso.test', ['Tenant.Admin'], '30d');
  const put = await admin('/api/tenant/settings', { method: 'PATCH', body: { approversGroup: APPROVERS } });
  expect(put.status, await put.clone().text()).toBe(200);
  ann = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write', 'Messages.Approve'], '30d');
});
afterAll(async () => {
  await host?.stop();
});

test('an urgent custom message sent for approval reaches every approver in Teams at once, but not its author', async () => {
  const created = await ann('/api/messages', {
    body: {
      name: 'Building closed today',
      objective: 'announcement',
      location: 'taskbar',
      urgent: true,
      template: { kind: 'custom' },
      content: { title: 'Building closed', body: 'Work from home today.' },
      audience: { groups: [STAFF] },
    },
  });
  const { id } = (await created.json()) as { id: string };
  const sent = await ann(`/api/messages/${id}/send`, { method: 'POST' });
  expect(((await sent.json()) as { status: string }).status).toBe('PendingApproval');
  await host.idle();

  const { entries } = await teamsFeed(host, TENANT_A);
  const [abe, amy, self] = await Promise.all(['abe', 'amy', 'ann'].map((n) => userIdOf(host, TENANT_A, `${n}@contoso.test`)));
  expect(entries.map((e) => e.userId).sort()).toEqual([abe, amy].sort());
  expect(entries.map((e) => e.userId)).not.toContain(self);
  expect(entries[0]!.topic.value).toBe('Urgent: approval needed for Building closed today');
  expect(entries[0]!.topic.webUrl).toMatch(new RegExp(`/api/messages/${id}$`));
});

test('a tenant setting names the approvers group (an Entra group id)', async () => {
  const admin = await as(host, TENANT_A, 'ada@contoso.test', ['Tenant.Admin'], '30d');
  const bad = await admin('/api/tenant/settings', { method: 'PATCH', body: { approversGroup: 'approvers' } });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { errors: { path: string; message: string }[] }).errors).toEqual([
    { path: 'approversGroup', message: 'must be an Entra group object id (a GUID)' },
  ]);
});
