// Delivery policies end to end: an admin keeps them at /api/policies; the inbox honours them (a surface a
// policy blocks gets nothing for the members of its groups) and the readiness list names the policy; the
// wizard's group search and audience estimate read the same directory and policies.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { activeMessage, GROUP, putDirectory, startInboxHerald, userIdOf, type Writers } from './inboxSupport.js';
import { as, TENANT_A, TENANT_B, type Client } from './support.js';

const SALES = '0a0a0a0a-2222-4222-8222-000000000005'; // shown as "Group 0005"
const MISSING = '0a0a0a0a-2222-4222-8222-0000000000ff';
const LONG = '800d';

let host: TestHost;
let messageId: string;
let admin: Client;
let adminB: Client;
let writer: Client;
let sam: Client; // in Sales
let nia: Client; // not in Sales

beforeAll(async () => {
  host = await startInboxHerald();
  const staff: Writers = {
    writer: await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write'], LONG),
    approver: await as(host, TENANT_A, 'abe@contoso.test', ['Messages.Approve'], LONG),
  };
  writer = staff.writer;
  admin = await as(host, TENANT_A, 'ada@contoso.test', ['Tenant.Admin'], LONG);
  adminB = await as(host, TENANT_B, 'bea@fabrikam.test', ['Tenant.Admin'], LONG);
  sam = await as(host, TENANT_A, 'sam@contoso.test', [], LONG);
  nia = await as(host, TENANT_A, 'nia@contoso.test', [], LONG);
  const people = ['sam', 'nia', 'ola'].map((n) => `${n}@contoso.test`);
  await putDirectory(
    host,
    TENANT_A,
    people.map((userPrincipalName) => ({ userPrincipalName, department: 'Sales' })),
    [
      { id: GROUP, members: people },
      { id: SALES, members: ['sam@contoso.test'] },
    ],
  );
  await putDirectory(host, TENANT_B, [{ userPrincipalName: 'bob@fabrikam.test' }], [{ id: SALES, members: ['bob@fabrikam.test'] }]);
  messageId = await activeMessage(host, staff, {});
});
afterAll(async () => {
  await host?.stop();
});

interface Policy {
  id: string;
  name: string;
  groups: string[];
  settings: Record<string, boolean>;
  blocks: { surface: string; setting: string; reason: string }[];
}

const NO_SPOTLIGHT = { name: 'Sales kiosks: no Spotlight', groups: [SALES], settings: { spotlightOnLockScreen: false } };
const REASON = 'delivery policy "Sales kiosks: no Spotlight" blocks Spotlight: Configure Windows Spotlight on Lock Screen is off';

async function create(client: Client, body: unknown): Promise<Policy> {
  const res = await client('/api/policies', { body });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Policy;
}

const inboxIds = async (client: Client, surface: string) => {
  const res = await client(`/api/inbox?surface=${surface}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: { id: string }[] }).messages.map((m) => m.id);
};

const blockedOf = async (client: Client, surface: string) =>
  ((await (await client(`/api/inbox?surface=${surface}`)).json()) as { blocked?: { reason: string } }).blocked;

const problemOf = async (res: Response) => {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await res.json()) as { errors?: { path: string; message: string }[] };
};

describe('/api/policies', () => {
  test('an admin creates, reads, lists, changes and deletes a policy; each answer says what it blocks', async () => {
    const made = await create(admin, { name: 'Temporary', groups: [SALES], settings: { windowsTips: false } });
    expect(made).toMatchObject({ name: 'Temporary', groups: [SALES], settings: { windowsTips: false }, updatedBy: 'ada@contoso.test' });
    expect(made.blocks).toEqual([
      { surface: 'taskbar', setting: 'windowsTips', reason: expect.stringContaining('Allow Windows Tips is off') },
    ]);
    expect(await (await admin(`/api/policies/${made.id}`)).json()).toEqual(made);
    expect(((await (await admin('/api/policies')).json()) as { items: Policy[] }).items.map((p) => p.id)).toContain(made.id);

    const changed = await admin(`/api/policies/${made.id}`, {
      method: 'PUT',
      body: { ...made, id: undefined, blocks: undefined, updatedAt: undefined, updatedBy: undefined, settings: { windowsTips: true } },
    });
    expect(changed.status, await changed.clone().text()).toBe(200);
    expect(((await changed.json()) as Policy).blocks).toEqual([]);

    expect((await admin(`/api/policies/${made.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin(`/api/policies/${made.id}`)).status).toBe(404);
    expect((await admin(`/api/policies/${made.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  test('bad input is a 400 problem naming the field and rule; a group the directory lacks is named', async () => {
    const bad = await admin('/api/policies', {
      body: { name: '', groups: ['not-a-guid'], settings: { allowSpotlight: 'no', allowCortana: true } },
    });
    expect(bad.status).toBe(400);
    const { errors } = await problemOf(bad);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'name', message: 'must be 1 to 120 characters' }),
        expect.objectContaining({ path: 'groups.0', message: 'must be an Entra group object id (a GUID)' }),
        expect.objectContaining({ path: 'settings.allowSpotlight', message: 'must be true or false' }),
      ]),
    );
    const unknown = await admin('/api/policies', { body: { name: 'Ghost', groups: [SALES, MISSING], settings: {} } });
    expect(unknown.status).toBe(400);
    expect((await problemOf(unknown)).errors).toEqual([{ path: 'groups.1', message: 'no such group in the directory' }]);
  });

  test('only a Tenant.Admin: a writer is refused with 403', async () => {
    expect((await writer('/api/policies')).status).toBe(403);
    expect((await writer('/api/policies', { body: NO_SPOTLIGHT })).status).toBe(403);
  });

  test('another tenant neither sees nor changes the policy', async () => {
    const mine = await create(admin, { name: 'Mine', groups: [SALES], settings: {} });
    expect(((await (await adminB('/api/policies')).json()) as { items: Policy[] }).items).toEqual([]);
    expect((await adminB(`/api/policies/${mine.id}`)).status).toBe(404);
    expect(
      (await adminB(`/api/policies/${mine.id}`, { method: 'PUT', body: { name: 'Taken', groups: [SALES], settings: {} } })).status,
    ).toBe(404);
    expect((await adminB(`/api/policies/${mine.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await admin(`/api/policies/${mine.id}`)).status).toBe(200);
    expect((await admin(`/api/policies/${mine.id}`, { method: 'DELETE' })).status).toBe(204);
  });
});

describe('the inbox honours the policies', () => {
  test('Spotlight blocked for Sales: a member gets no Spotlight item, a non-member does; readiness names the policy', async () => {
    expect(await inboxIds(sam, 'spotlight')).toContain(messageId);
    const policy = await create(admin, NO_SPOTLIGHT);

    expect(await inboxIds(sam, 'spotlight')).toEqual([]);
    expect(await inboxIds(nia, 'spotlight')).toContain(messageId);
    // Sam's device is told why its Spotlight stays empty; Nia's and Sam's other surfaces are not blocked.
    expect(await blockedOf(sam, 'spotlight')).toEqual({ reason: REASON });
    expect(await blockedOf(nia, 'spotlight')).toBeUndefined();
    expect(await blockedOf(sam, 'taskbar')).toBeUndefined();

    const listed = (await (await admin('/api/readiness/devices?pageSize=100')).json()) as { items: Record<string, unknown>[] };
    expect(listed.items).toEqual([
      expect.objectContaining({
        userId: await userIdOf(host, TENANT_A, 'sam@contoso.test'),
        upn: 'sam@contoso.test',
        surface: 'spotlight',
        policyId: policy.id,
        policyName: NO_SPOTLIGHT.name,
        reason: REASON,
      }),
    ]);

    // Changed to allow Spotlight: Sam leaves the list at once, and his next poll gets the message.
    const allowed = await admin(`/api/policies/${policy.id}`, {
      method: 'PUT',
      body: { ...NO_SPOTLIGHT, settings: { spotlightOnLockScreen: true } },
    });
    expect(allowed.status).toBe(200);
    expect(((await (await admin('/api/readiness/devices')).json()) as { items: unknown[] }).items).toEqual([]);
    expect(await inboxIds(sam, 'spotlight')).toContain(messageId);
    expect(((await (await admin('/api/readiness/devices')).json()) as { items: unknown[] }).items).toEqual([]);

    // Blocking again, then deleted: Sam is listed, then his next poll gets the message again and he leaves the list.
    expect((await admin(`/api/policies/${policy.id}`, { method: 'PUT', body: NO_SPOTLIGHT })).status).toBe(200);
    expect(await inboxIds(sam, 'spotlight')).toEqual([]);
    expect(((await (await admin('/api/readiness/devices')).json()) as { items: unknown[] }).items).toHaveLength(1);
    expect((await admin(`/api/policies/${policy.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await inboxIds(sam, 'spotlight')).toContain(messageId);
    expect(((await (await admin('/api/readiness/devices')).json()) as { items: unknown[] }).items).toEqual([]);
  });
});

describe('the audience step: group search and estimate', () => {
  test('groups are searched in the directory by the start of a word of their name, paged', async () => {
    const res = await writer('/api/directory/groups?search=group&pageSize=1');
    expect(res.status, await res.clone().text()).toBe(200);
    const first = (await res.json()) as { items: { id: string; displayName: string }[]; continuation?: string };
    expect(first.items).toHaveLength(1);
    expect(first.continuation).toBeDefined();
    const second = (await (
      await writer(`/api/directory/groups?search=group&pageSize=1&continuation=${first.continuation}`)
    ).json()) as typeof first;
    expect([...first.items, ...second.items].map((g) => g.id).sort()).toEqual([GROUP, SALES].sort());
    expect(((await (await writer('/api/directory/groups?search=0001')).json()) as typeof first).items.map((g) => g.id)).toEqual([GROUP]);
    expect(((await (await writer('/api/directory/groups?search=nothing')).json()) as typeof first).items).toEqual([]);
    const bad = await writer('/api/directory/groups');
    expect(bad.status).toBe(400);
    expect((await problemOf(bad)).errors).toEqual([expect.objectContaining({ path: 'search' })]);
    // Admins search too (for delivery policies); a report reader may not.
    expect((await admin('/api/directory/groups?search=group')).status).toBe(200);
    const reader = await as(host, TENANT_A, 'rea@contoso.test', ['Reports.Read'], LONG);
    expect((await reader('/api/directory/groups?search=group')).status).toBe(403);
  });

  test('the estimate counts people as the send resolves them, and who can receive on a surface and why not', async () => {
    const estimate = async (body: unknown) => {
      const res = await writer('/api/audience/estimate', { body });
      expect(res.status, await res.clone().text()).toBe(200);
      return res.json();
    };
    expect(await estimate({ audience: { groups: [GROUP] }, surface: 'spotlight' })).toEqual({ people: 3, canReceive: 3, cannot: [] });
    const policy = await create(admin, NO_SPOTLIGHT);
    expect(await estimate({ audience: { groups: [GROUP] }, surface: 'spotlight' })).toEqual({
      people: 3,
      canReceive: 2,
      cannot: [{ reason: REASON, people: 1, policyId: policy.id }],
    });
    expect(await estimate({ audience: { groups: [GROUP] }, surface: 'taskbar' })).toEqual({ people: 3, canReceive: 3, cannot: [] });
    expect(await estimate({ audience: { groups: [SALES] } })).toEqual({ people: 1, canReceive: 1, cannot: [] });
    expect((await admin(`/api/policies/${policy.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  test('a person whose device does not meet the prerequisites is counted out on a Windows surface, with the device’s reason', async () => {
    const ola = await as(host, TENANT_A, 'ola@contoso.test', [], LONG);
    expect((await ola('/api/inbox?surface=taskbar&osEdition=Windows%2011%20Pro')).status).toBe(200);
    const policy = await create(admin, NO_SPOTLIGHT);
    const res = await writer('/api/audience/estimate', { body: { audience: { groups: [GROUP] }, surface: 'spotlight' } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({
      people: 3,
      canReceive: 1,
      cannot: [
        { reason: REASON, people: 1, policyId: policy.id },
        { reason: 'Windows surfaces need Windows 11 Enterprise; this device runs Windows 11 Pro', people: 1 },
      ],
    });
    // Teams and email are not Windows surfaces: no surface, everyone can receive.
    expect(await (await writer('/api/audience/estimate', { body: { audience: { groups: [GROUP] } } })).json()).toEqual({
      people: 3,
      canReceive: 3,
      cannot: [],
    });
    expect((await admin(`/api/policies/${policy.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  test("a group id reads back as the directory's name (so pages that store ids show names); 404 when there is none", async () => {
    const found = (await (await writer('/api/directory/groups?search=group')).json()) as { items: { id: string; displayName: string }[] };
    const named = found.items.find((g) => g.id === GROUP)!;
    const res = await admin(`/api/directory/groups/${GROUP}`);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ id: GROUP, displayName: named.displayName });
    const missing = await writer(`/api/directory/groups/${MISSING}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const reader = await as(host, TENANT_A, 'rea@contoso.test', ['Reports.Read'], LONG);
    expect((await reader(`/api/directory/groups/${GROUP}`)).status).toBe(403);
  });

  test('a group search continuation Herald did not hand out is a 400 naming it', async () => {
    const res = await writer('/api/directory/groups?search=group&continuation=forged');
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toEqual([{ path: 'continuation', message: 'is not a token this API handed out' }]);
  });

  test('names the directory lacks are a 400 naming the field; a bad surface too; readers without Messages.Write get 403', async () => {
    const unknown = await writer('/api/audience/estimate', { body: { audience: { groups: [MISSING], departments: ['Marketing'] } } });
    expect(unknown.status).toBe(400);
    expect((await problemOf(unknown)).errors?.map((e) => e.path)).toEqual(['audience.groups.0', 'audience.departments.0']);
    const surface = await writer('/api/audience/estimate', { body: { surface: 'fax' } });
    expect(surface.status).toBe(400);
    expect((await problemOf(surface)).errors).toEqual([expect.objectContaining({ path: 'surface' })]);
    expect((await admin('/api/audience/estimate', { body: {} })).status).toBe(403);
  });
});
