// Tenant settings: read by any role, changed only by a Tenant.Admin, validated, isolated per tenant, and the
// licence tier gating custom messages and advanced targeting at submission (seed: E3/E5 for advanced features).
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, startHerald, TENANT_A, TENANT_B, type Client } from './support.js';

let host: TestHost;
let admin: Client;
let ann: Client;
let otherAdmin: Client;
beforeAll(async () => {
  host = await startHerald();
  admin = await as(host, TENANT_A, 'root@contoso.test', ['Tenant.Admin']);
  ann = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write']);
  otherAdmin = await as(host, TENANT_B, 'root@fabrikam.test', ['Tenant.Admin']);
});
afterAll(async () => {
  await host?.stop();
});

test('defaults, admin-only changes, validation and isolation', async () => {
  expect(await (await ann('/api/tenant/settings')).json()).toEqual({
    licence: 'E5',
    timeZone: 'UTC',
    includeGuests: false,
    retentionDays: 365,
    recipientReports: true,
    providerPropagationSeconds: 0,
  });
  expect((await ann('/api/tenant/settings', { method: 'PUT', body: { licence: 'basic', timeZone: 'UTC' } })).status).toBe(403);
  const bad = await admin('/api/tenant/settings', {
    method: 'PUT',
    body: { licence: 'E7', timeZone: 'Mars/Olympus', includeGuests: 'yes' },
  });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual([
    'includeGuests',
    'licence',
    'timeZone',
  ]);
  const ok = await admin('/api/tenant/settings', { method: 'PUT', body: { licence: 'basic', timeZone: 'Europe/Paris' } });
  expect(await ok.json()).toEqual({
    licence: 'basic',
    timeZone: 'Europe/Paris',
    includeGuests: false,
    retentionDays: 365,
    recipientReports: true,
    providerPropagationSeconds: 0,
  });
  const slow = await admin('/api/tenant/settings', { method: 'PATCH', body: { providerPropagationSeconds: -1 } });
  expect(slow.status).toBe(400);
  expect(((await slow.json()) as { errors: unknown[] }).errors).toEqual([
    { path: 'providerPropagationSeconds', message: 'must be 0 to 604800 seconds (a week)' },
  ]);
  expect(await (await otherAdmin('/api/tenant/settings')).json()).toEqual({
    licence: 'E5',
    timeZone: 'UTC',
    includeGuests: false,
    retentionDays: 365,
    recipientReports: true,
    providerPropagationSeconds: 0,
  });
});

test('without E3/E5 only pre-made messages targeted at groups can be submitted', async () => {
  await admin('/api/tenant/settings', { method: 'PUT', body: { licence: 'basic', timeZone: 'UTC' } });
  const now = (await host.clock.now()).getTime();
  const res = await ann('/api/messages', {
    body: {
      name: 'Custom one',
      objective: 'security',
      location: 'spotlight',
      template: { kind: 'custom' },
      content: { title: 't', body: 'b' },
      audience: { departments: ['Sales'] },
      schedule: { start: new Date(now + 3600_000).toISOString(), end: new Date(now + 86_400_000).toISOString() },
    },
  });
  const { id } = (await res.json()) as { id: string };
  const refused = await ann(`/api/messages/${id}/submit`, { body: {} });
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['template', 'audience']);
});
