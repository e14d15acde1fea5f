// The actionable-message provider registry through devhost: each scope's approval (Test Users at once,
// Organization by the tenant's Providers.Approve holders with daily reminders in Teams, Global by the
// platform's reviewers and then another tenant's consent), every bad field a 400 naming it, roles, tenants
// and the status machine, the audit trail and the approved providers' export.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { teamsFeed } from './deliverySupport.js';
import { userIdOf } from './inboxSupport.js';
import { csvExport } from './reportsSupport.js';
import { as, loadDirectory, startHerald, TENANT_A, TENANT_B, type Client } from './support.js';

const PLATFORM = '33333333-3333-4333-8333-333333333333';
const ADMINS = 'a0a0a0a0-0000-4000-8000-0000000000b1';
const DAY = 24 * 60 * 60 * 1000;
const APP_ID = '0b7e3a59-5a6c-4f5c-8a51-5d4b0d1c9e01';

const rsaXml = (bits: number) => {
  const jwk = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
  const b64 = (v: string) => Buffer.from(v, 'base64url').toString('base64');
  return `<RSAKeyValue><Modulus>${b64(jwk.n!)}</Modulus><Exponent>${b64(jwk.e!)}</Exponent></RSAKeyValue>`;
};

let host: TestHost;
let ann: Client; // registers providers (tenant A)
let ada: Client; // tenant A admin
let bob: Client; // registers providers in tenant B
let bea: Client; // tenant B admin
let rex: Client; // the platform's reviewer

interface View {
  id: string;
  status: string;
  effective: boolean;
  appIdUri: string;
  comment?: string;
  approvedBy?: { upn: string };
  consent: { tenantId: string; state: string }[];
}
interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

const organization = (over: Record<string, unknown> = {}) => ({
  friendlyName: 'Expenses',
  senderAddresses: ['expenses@contoso.test'],
  targetUrls: ['https://api.expenses.test/actions'],
  entraAppId: APP_ID,
  scope: 'Organization',
  ...over,
});
const global = {
  contact: 'ops@contoso.test',
  publisher: 'Contoso Expenses, https://support.contoso.test',
  scenario: 'Managers approve expense reports from the email.',
  verification: 'A production email was sent to onboardoam@microsoft.com on 2026-12-01.',
};

async function created(client: Client, body: unknown): Promise<View> {
  const res = await client('/api/providers', { body });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as View;
}
async function post(client: Client, path: string, body?: unknown) {
  const res = await client(path, { method: 'POST', ...(body === undefined ? {} : { body }) });
  return { status: res.status, body: (await res.json()) as View & Problem };
}

beforeAll(async () => {
  host = await startHerald({
    clock: 'test',
    // Nothing here is delivered: the five-second sweep for held batches would turn each day skipped into 17,280 steps.
    env: { PLATFORM_TENANT_ID: PLATFORM },
  });
  await loadDirectory(host, TENANT_A, {
    users: ['ann', 'ada', 'abe', 'una'].map((n) => ({ userPrincipalName: `${n}@contoso.test`, displayName: n })),
    groups: [{ id: ADMINS, displayName: 'Exchange admins', members: ['ada@contoso.test', 'abe@contoso.test', 'ann@contoso.test'] }],
  });
  await loadDirectory(host, TENANT_B, {
    users: ['bob', 'bea'].map((n) => ({ userPrincipalName: `${n}@fabrikam.test`, displayName: n })),
    groups: [],
  });
  // Tokens outlive the days the test clock skips.
  ann = await as(host, TENANT_A, 'ann@contoso.test', ['Providers.Write'], '60d');
  ada = await as(host, TENANT_A, 'ada@contoso.test', ['Providers.Approve', 'Tenant.Admin'], '60d');
  bob = await as(host, TENANT_B, 'bob@fabrikam.test', ['Providers.Write'], '60d');
  bea = await as(host, TENANT_B, 'bea@fabrikam.test', ['Providers.Approve', 'Tenant.Admin'], '60d');
  rex = await as(host, PLATFORM, 'rex@herald.test', ['Providers.Review'], '60d');
  const settings = await ada('/api/tenant/settings', { method: 'PATCH', body: { providerApproversGroup: ADMINS } });
  expect(settings.status, await settings.clone().text()).toBe(200);
});
afterAll(async () => {
  await host?.stop();
});

test('Test Users: approved by Herald as it is submitted, and effective at once (propagation 0)', async () => {
  const p = await created(ann, organization({ scope: 'TestUsers', testUsers: 'una@contoso.test; Ann@contoso.test' }));
  expect(p.status).toBe('Draft');
  expect(p.appIdUri).toBe(`api://auth-am-${p.id}/${APP_ID}`);
  const submitted = await post(ann, `/api/providers/${p.id}/submit`);
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
  expect(submitted.body).toMatchObject({
    status: 'Approved',
    effective: true,
    approvedBy: { upn: 'herald' },
    testUsers: 'una@contoso.test;ann@contoso.test',
  });
  const audit = (await (await ann(`/api/providers/${p.id}/audit`)).json()) as { items: { action: string; by: { upn: string } }[] };
  expect(audit.items.map((e) => [e.action, e.by.upn])).toEqual([
    ['approved', 'herald'],
    ['submitted', 'ann@contoso.test'],
    ['created', 'ann@contoso.test'],
  ]);
});

describe('Organization', () => {
  test('waits for a Providers.Approve holder, who is reminded daily in Teams until one approves', async () => {
    const p = await created(ann, organization({ friendlyName: 'Leave requests' }));
    const submitted = await post(ann, `/api/providers/${p.id}/submit`);
    expect(submitted.body.status).toBe('Submitted');
    await host.idle();
    const [adaId, abeId, annId] = await Promise.all(['ada', 'abe', 'ann'].map((n) => userIdOf(host, TENANT_A, `${n}@contoso.test`)));
    const told = (await teamsFeed(host, TENANT_A)).entries.filter((e) => e.topic.value.includes('Leave requests'));
    // The submitter is in the group but is not asked to approve their own provider.
    expect(told.map((e) => e.userId).sort()).toEqual([adaId, abeId].sort());
    expect(told.map((e) => e.userId)).not.toContain(annId);
    expect(told[0]!.topic.value).toBe('approval needed for the actionable-message provider Leave requests');
    expect(told[0]!.topic.webUrl).toMatch(new RegExp(`/api/providers/${p.id}$`));

    // Nobody decides for a day: reminded, in place of the first notice.
    await host.clock.advance(DAY + 60_000);
    await host.idle();
    const reminded = (await teamsFeed(host, TENANT_A)).entries.filter((e) => e.topic.value.includes('Leave requests'));
    expect(reminded.map((e) => e.topic.value)).toEqual([
      'Reminder: approval needed for the actionable-message provider Leave requests',
      'Reminder: approval needed for the actionable-message provider Leave requests',
    ]);
    expect(reminded.every((e) => e.replaced >= 1)).toBe(true);

    // The submitter's own role cannot decide; another tenant's admin does not see it; a tenant A admin approves.
    expect((await post(ann, `/api/providers/${p.id}/approve`)).status).toBe(403);
    expect((await post(bea, `/api/providers/${p.id}/approve`)).status).toBe(404);
    const approved = await post(ada, `/api/providers/${p.id}/approve`, { comment: 'Checked with the Expenses team' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: 'Approved', effective: true, approvedBy: { upn: 'ada@contoso.test' } });
    const again = await post(ada, `/api/providers/${p.id}/approve`);
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('the provider is Approved');

    // Decided: no more reminders.
    const before = (await teamsFeed(host, TENANT_A)).entries.filter((e) => e.topic.value.includes('Leave requests'));
    await host.clock.advance(DAY + 60_000);
    await host.idle();
    const after = (await teamsFeed(host, TENANT_A)).entries.filter((e) => e.topic.value.includes('Leave requests'));
    expect(after.map((e) => e.replaced)).toEqual(before.map((e) => e.replaced));
  });

  test('rejected with a comment (required), withdrawn to Draft and changed again', async () => {
    const p = await created(ann, organization({ friendlyName: 'Purchase orders' }));
    await post(ann, `/api/providers/${p.id}/submit`);
    const bare = await post(ada, `/api/providers/${p.id}/reject`);
    expect(bare.status).toBe(400);
    expect(bare.body.errors).toEqual([{ path: 'comment', message: 'is required' }]);
    const rejected = await post(ada, `/api/providers/${p.id}/reject`, { comment: 'Use the shared sender address' });
    expect(rejected.body).toMatchObject({ status: 'Rejected', comment: 'Use the shared sender address' });
    const audit = (await (await ann(`/api/providers/${p.id}/audit`)).json()) as { items: { action: string; comment?: string }[] };
    expect(audit.items[0]).toMatchObject({ action: 'rejected', comment: 'Use the shared sender address' });

    const read = await ann(`/api/providers/${p.id}`);
    const patchRejected = await ann(`/api/providers/${p.id}`, {
      method: 'PATCH',
      headers: { 'if-match': read.headers.get('etag')! },
      body: { friendlyName: 'Purchase orders 2' },
    });
    expect(patchRejected.status).toBe(409);
    expect((await post(ann, `/api/providers/${p.id}/withdraw`)).body.status).toBe('Draft');
    const reread = await ann(`/api/providers/${p.id}`);
    const patched = await ann(`/api/providers/${p.id}`, {
      method: 'PATCH',
      headers: { 'if-match': reread.headers.get('etag')! },
      body: { senderAddresses: ['purchasing@contoso.test'] },
    });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect(((await patched.json()) as { senderAddresses: string[] }).senderAddresses).toEqual(['purchasing@contoso.test']);
  });
});

test('Global: reviewed by the platform’s reviewer, then consented to by another tenant’s admin', async () => {
  const p = await created(ann, organization({ friendlyName: 'Travel', scope: 'Global', global, publicKey: rsaXml(2048) }));
  expect((await post(ann, `/api/providers/${p.id}/submit`)).body.status).toBe('Submitted');

  // The tenant's own admin does not decide a Global submission; a reviewer outside the operator's tenant is no reviewer.
  expect((await post(ada, `/api/providers/${p.id}/approve`)).status).toBe(403);
  const outsider = await as(host, TENANT_B, 'bea@fabrikam.test', ['Providers.Review'], '60d');
  expect((await outsider('/api/providers/reviews')).status).toBe(403);
  expect((await post(outsider, `/api/providers/${p.id}/approve`)).status).toBe(404);

  const queue = (await (await rex('/api/providers/reviews')).json()) as { items: View[] };
  expect(queue.items.map((i) => i.id)).toContain(p.id);
  const approved = await post(rex, `/api/providers/${p.id}/approve`);
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  expect(approved.body).toMatchObject({ status: 'Approved', approvedBy: { upn: 'rex@herald.test' } });

  // Tenant B takes an hour to take consent in.
  expect((await bea('/api/tenant/settings', { method: 'PATCH', body: { providerPropagationSeconds: 3600 } })).status).toBe(200);
  const listed = (await (await bea('/api/providers/consent')).json()) as { items: { id: string; consentState: string }[] };
  expect(listed.items.find((i) => i.id === p.id)?.consentState).toBe('NotConsented');
  expect((await post(bob, `/api/providers/${p.id}/consent`)).status).toBe(403);
  const consenting = await post(bea, `/api/providers/${p.id}/consent`);
  expect(consenting.status, JSON.stringify(consenting.body)).toBe(200);
  expect(consenting.body).toMatchObject({ consentState: 'Consenting' });
  await host.clock.advance(3600_000 + 1000);
  const later = (await (await bea('/api/providers/consent')).json()) as { items: { id: string; consentState: string }[] };
  expect(later.items.find((i) => i.id === p.id)?.consentState).toBe('Consented');
  const own = (await (await ann(`/api/providers/${p.id}`)).json()) as View;
  expect(own.consent).toEqual([expect.objectContaining({ tenantId: TENANT_B, state: 'Consented' })]);
  const audit = (await (await ann(`/api/providers/${p.id}/audit`)).json()) as { items: { action: string; tenantId?: string }[] };
  expect(audit.items[0]).toMatchObject({ action: 'consented', tenantId: TENANT_B });
  // Its own tenant needs no consent.
  expect((await post(ada, `/api/providers/${p.id}/consent`)).status).toBe(409);
});

test('an approval takes effect after the tenant’s propagation delay', async () => {
  expect((await bea('/api/tenant/settings', { method: 'PATCH', body: { providerPropagationSeconds: 7200 } })).status).toBe(200);
  const p = await created(bob, organization({ scope: 'TestUsers', senderAddresses: ['hr@fabrikam.test'], testUsers: 'bea@fabrikam.test' }));
  const approved = (await post(bob, `/api/providers/${p.id}/submit`)).body as View & { approvedAt: string; effectiveAt: string };
  expect(approved).toMatchObject({ status: 'Approved', effective: false });
  expect(Date.parse(approved.effectiveAt) - Date.parse(approved.approvedAt)).toBe(7200_000);
  await host.clock.advance(7200_000 + 1000);
  expect(((await (await bob(`/api/providers/${p.id}`)).json()) as View).effective).toBe(true);
});

describe('every bad field is a 400 naming it, and nothing is created', () => {
  test.each([
    ['publicKey', { publicKey: '<RSAKeyValue><Modulus>AQAB' }, 'must be an <RSAKeyValue> element'],
    ['publicKey', { publicKey: rsaXml(1024) }, 'the key has 1024 bits; at least 2048 are required'],
    [
      'publicKey',
      { publicKey: '<RSAKeyValue><Modulus>*not base64*</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>' },
      '<Modulus> is not base64',
    ],
    ['targetUrls[0]', { targetUrls: ['http://api.expenses.test'] }, 'must use https'],
    ['senderAddresses[0]', { senderAddresses: ['expenses@fabrikam.test'] }, "must be in one of the tenant's domains (contoso.test)"],
    ['testUsers[0]', { scope: 'TestUsers', testUsers: 'bob@fabrikam.test' }, "must be in one of the tenant's domains (contoso.test)"],
    ['entraAppId', { entraAppId: 'expenses' }, 'must be an Entra application id (a GUID)'],
  ])('%s: %s', async (path, over, message) => {
    const before = ((await (await ann('/api/providers')).json()) as { items: unknown[] }).items.length;
    const res = await ann('/api/providers', { body: organization(over) });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as Problem).errors).toEqual([{ path, message }]);
    expect(((await (await ann('/api/providers')).json()) as { items: unknown[] }).items.length).toBe(before);
  });

  test('submitting names what a Global submission lacks', async () => {
    const p = await created(ann, organization({ scope: 'Global' }));
    const res = await post(ann, `/api/providers/${p.id}/submit`);
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.path)).toEqual(['global.contact', 'global.publisher', 'global.scenario', 'global.verification']);
    expect(((await (await ann(`/api/providers/${p.id}`)).json()) as View).status).toBe('Draft');
  });
});

test('roles, tenants and the status machine', async () => {
  const p = await created(ann, organization({ friendlyName: 'Timesheets' }));
  // Wrong role: an admin does not register, an owner does not decide or export.
  expect((await ada('/api/providers', { body: organization() })).status).toBe(403);
  expect((await post(ann, `/api/providers/${p.id}/suspend`, { comment: 'x' })).status).toBe(403);
  expect((await ann('/api/providers/export', { redirect: 'manual' })).status).toBe(403);
  // Another tenant: as if it did not exist.
  expect((await bob(`/api/providers/${p.id}`)).status).toBe(404);
  expect((await post(bob, `/api/providers/${p.id}/submit`)).status).toBe(404);
  expect((await bob(`/api/providers/${p.id}/audit`)).status).toBe(404);
  // The status machine.
  expect((await post(ada, `/api/providers/${p.id}/suspend`, { comment: 'x' })).status).toBe(409);
  expect((await post(ann, `/api/providers/${p.id}/withdraw`)).status).toBe(409);
  expect((await post(ann, `/api/providers/${p.id}/submit`)).body.status).toBe('Submitted');
  const twice = await post(ann, `/api/providers/${p.id}/submit`);
  expect(twice.status).toBe(409);
  expect(twice.body.detail).toBe('only a Draft provider can be submitted; the provider is Submitted');
  expect((await post(ada, `/api/providers/${p.id}/approve`)).body.status).toBe('Approved');
  const suspended = await post(ada, `/api/providers/${p.id}/suspend`, { comment: 'Sends to the wrong people' });
  expect(suspended.body).toMatchObject({ status: 'Suspended', effective: false, comment: 'Sends to the wrong people' });
  expect((await post(ada, `/api/providers/${p.id}/approve`)).status).toBe(409);
});

test('the tenant’s approved providers export as CSV, each with its token type', async () => {
  const file = await csvExport(ada, '/api/providers/export');
  expect(file.header).toEqual([
    'providerId',
    'friendlyName',
    'scope',
    'status',
    'tokenType',
    'senderAddresses',
    'targetUrls',
    'entraAppId',
    'appIdUri',
    'approvedBy',
    'approvedAt',
    'effectiveAt',
  ]);
  const listed = ((await (await ada('/api/providers?status=Approved')).json()) as { items: View[] }).items;
  expect(file.rows.map((r) => r.providerId).sort()).toEqual(listed.map((p) => p.id).sort());
  expect(file.rows.length).toBeGreaterThan(0);
  expect(file.rows.every((r) => r.status === 'Approved' && r.tokenType === 'Entra')).toBe(true);
  // Tenant B's export holds tenant B's providers only.
  const own = ((await (await bea('/api/providers?status=Approved')).json()) as { items: View[] }).items.map((p) => p.id);
  expect(own.length).toBeGreaterThan(0);
  expect((await csvExport(bea, '/api/providers/export')).rows.map((r) => r.providerId).sort()).toEqual(own.sort());
});
