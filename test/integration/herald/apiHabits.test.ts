// What a client expects of an API: actions whose body is optional take none, settings take a partial
// update, a body that is not JSON is refused as such, and every error is worded by Herald.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, startHerald, TENANT_A, type Client } from './support.js';

const DAY = 86_400_000;
let host: TestHost;
let ann: Client;
let abe: Client;
let admin: Client;

beforeAll(async () => {
  host = await startHerald({ clock: 'test' });
  ann = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write'], '30d');
  abe = await as(host, TENANT_A, 'abe@contoso.test', ['Messages.Approve'], '30d');
  admin = await as(host, TENANT_A, 'ada@contoso.test', ['Tenant.Admin'], '30d');
});
afterAll(async () => {
  await host?.stop();
});

async function pending(): Promise<string> {
  const t0 = (await host.clock.now()).getTime();
  const res = await ann('/api/messages', {
    body: {
      name: 'Habits',
      objective: 'security',
      location: 'spotlight',
      template: { kind: 'custom' },
      content: { title: 'Lock your screen', body: 'Press Win+L.' },
      audience: { groups: ['11111111-2222-3333-4444-555555555555'] },
      schedule: { start: new Date(t0 + DAY).toISOString(), end: new Date(t0 + 8 * DAY).toISOString() },
    },
  });
  const { id } = (await res.json()) as { id: string };
  expect((await ann(`/api/messages/${id}/submit`, { method: 'POST' })).status).toBe(200);
  return id;
}

test('an action whose body is optional takes none: submit and approve with no body at all', async () => {
  const id = await pending();
  const approved = await abe(`/api/messages/${id}/approve`, { method: 'POST' });
  expect(approved.status, await approved.clone().text()).toBe(200);
  expect(((await approved.json()) as { status: string }).status).toBe('Scheduled');
});

test('a reject with no body says the comment is required, in Herald’s words', async () => {
  const id = await pending();
  const refused = await abe(`/api/messages/${id}/reject`, { method: 'POST' });
  expect(refused.status).toBe(400);
  const problem = (await refused.json()) as { detail: string; errors: { path: string; message: string }[] };
  expect(problem.errors).toEqual([{ path: 'comment', message: 'is required' }]);
  expect(problem.detail).not.toMatch(/Invalid input|expected string|received undefined/);
});

test('JSON sent as text/plain is refused with 415, and changes nothing', async () => {
  const res = await ann('/api/messages', { body: JSON.stringify({ name: 'sneaky' }), headers: { 'content-type': 'text/plain' } });
  expect(res.status).toBe(415);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const list = (await (await ann('/api/messages')).json()) as { items: { name?: string }[] };
  expect(list.items.some((m) => m.name === 'sneaky')).toBe(false);
});

test('zod’s own wording never reaches a client: wrong types and values are said in Herald’s words', async () => {
  const res = await ann('/api/messages', { body: { name: 42, objective: 'parties', urgent: 'yes' } });
  expect(res.status).toBe(400);
  const { errors } = (await res.json()) as { errors: { path: string; message: string }[] };
  expect(errors).toEqual(
    expect.arrayContaining([
      { path: 'name', message: 'must be a string' },
      { path: 'urgent', message: 'must be a boolean' },
      expect.objectContaining({ path: 'objective', message: expect.stringMatching(/^must be one of "announcement"/) }),
    ]),
  );
  for (const e of errors) expect(e.message).not.toMatch(/Invalid|expected|received/);
});

test('tenant settings take a partial update (JSON merge patch): the fields named change, null puts back the default', async () => {
  const put = await admin('/api/tenant/settings', { method: 'PUT', body: { licence: 'E3', timeZone: 'Europe/Paris', retentionDays: 90 } });
  expect(put.status).toBe(200);
  const patched = await admin('/api/tenant/settings', {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: { includeGuests: true, retentionDays: null },
  });
  expect(patched.status, await patched.clone().text()).toBe(200);
  expect(await patched.json()).toEqual({
    licence: 'E3',
    timeZone: 'Europe/Paris',
    includeGuests: true,
    retentionDays: 365,
    recipientReports: true,
    providerPropagationSeconds: 0,
  });
  const bad = await admin('/api/tenant/settings', { method: 'PATCH', body: { timeZone: 'Mars/Olympus', colour: 'red' } });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual(['colour', 'timeZone']);
  expect(((await (await admin('/api/tenant/settings')).json()) as { timeZone: string }).timeZone).toBe('Europe/Paris');
  expect((await ann('/api/tenant/settings', { method: 'PATCH', body: { includeGuests: false } })).status).toBe(403);
});

test('every answer says nosniff, and none may sit in a shared cache unless it says so', async () => {
  for (const res of [await ann('/api/messages'), await ann('/api/messages/0000000000000000000ff'), await host.fetch('/api/health')]) {
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBeTruthy();
  }
  expect((await ann('/api/messages')).headers.get('cache-control')).toBe('no-store');
});

test('a query parameter given twice is refused, naming it, instead of one value being picked', async () => {
  // As on Azure, the host hands the app both values joined with a comma.
  const res = await ann('/api/messages?status=Draft&status=Active');
  expect(res.status).toBe(400);
  const errors = ((await res.json()) as { errors: { path: string; message: string }[] }).errors;
  expect(errors.map((e) => e.path)).toEqual(['status']);
});
