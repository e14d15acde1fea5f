// The Windows prerequisites of the document's "Requirements", end to end: devices report their edition, join
// type and name with `GET /api/inbox`; one that does not meet them is shown nothing and told why, and appears
// on `GET /api/readiness/devices` for the tenant's admins until it reports that it does.
import { odata, TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { activeMessage, GROUP, HOUR, putDirectory, startInboxHerald, userIdOf, type Writers } from './inboxSupport.js';
import { as, TENANT_A, TENANT_B, type Client } from './support.js';

let host: TestHost;
let messageId: string;
let admin: Client;
let adminB: Client;
let writer: Client;
let una: Client; // Windows 11 Enterprise, Entra joined
let pia: Client; // Windows 11 Pro
let hal: Client; // hybrid joined
let ray: Client; // reports nothing
let bob: Client; // tenant B

const LONG = '800d';
const ENTERPRISE = 'Windows 11 Enterprise';
const PRO_REASON = 'Windows surfaces need Windows 11 Enterprise; this device runs Windows 11 Pro';
const HYBRID_REASON = 'Microsoft Entra hybrid joined devices are not supported; the device must be Microsoft Entra joined';

beforeAll(async () => {
  host = await startInboxHerald();
  const staff: Writers = {
    writer: await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write'], LONG),
    approver: await as(host, TENANT_A, 'abe@contoso.test', ['Messages.Approve'], LONG),
  };
  writer = staff.writer;
  admin = await as(host, TENANT_A, 'ada@contoso.test', ['Tenant.Admin'], LONG);
  adminB = await as(host, TENANT_B, 'bea@fabrikam.test', ['Tenant.Admin'], LONG);
  [una, pia, hal, ray] = await Promise.all(
    ['una', 'pia', 'hal', 'ray'].map((name) => as(host, TENANT_A, `${name}@contoso.test`, [], LONG)),
  );
  bob = await as(host, TENANT_B, 'bob@fabrikam.test', [], LONG);
  const people = ['una', 'pia', 'hal', 'ray'].map((name) => `${name}@contoso.test`);
  await putDirectory(
    host,
    TENANT_A,
    people.map((userPrincipalName) => ({ userPrincipalName })),
    [{ id: GROUP, members: people }],
  );
  await putDirectory(host, TENANT_B, [{ userPrincipalName: 'bob@fabrikam.test' }], [{ id: GROUP, members: ['bob@fabrikam.test'] }]);
  messageId = await activeMessage(host, staff, {});
});
afterAll(async () => {
  await host?.stop();
});

interface Report {
  osEdition?: string;
  joinType?: string;
  deviceName?: string;
}
interface InboxAnswer {
  surface: string;
  messages: { id: string }[];
  blocked?: { reason: string };
}
interface BlockedDevice {
  userId: string;
  upn: string;
  deviceName?: string;
  reason: string;
  osEdition?: string;
  joinType?: string;
  lastSeen: string;
}

async function inbox(client: Client, report: Report, surface = 'spotlight'): Promise<InboxAnswer> {
  const res = await client(`/api/inbox?${new URLSearchParams({ surface, ...report })}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as InboxAnswer;
}

async function blockedDevices(client: Client, query = ''): Promise<{ items: BlockedDevice[]; continuation?: string }> {
  const res = await client(`/api/readiness/devices${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { items: BlockedDevice[]; continuation?: string };
}

/** The listed devices of one person, by UPN. */
const listedFor = async (client: Client, upn: string) => (await blockedDevices(client, '?pageSize=100')).items.filter((d) => d.upn === upn);

const now = async () => (await host.clock.now()).getTime();

describe('Windows prerequisites on GET /api/inbox', () => {
  test('"any message configured to be delivered to a Windows channel, like Windows Spotlight, requires that recipients use Windows 11 Enterprise"', async () => {
    const enterprise = await inbox(una, { osEdition: ENTERPRISE, joinType: 'entraJoined', deviceName: 'UNA-PC' });
    expect(enterprise.messages.map((m) => m.id)).toContain(messageId);
    expect(enterprise.blocked).toBeUndefined();
    expect(await listedFor(admin, 'una@contoso.test')).toEqual([]);

    const seen = await now();
    for (const surface of ['spotlight', 'notificationCenter', 'taskbar'])
      expect(await inbox(pia, { osEdition: 'Windows 11 Pro', joinType: 'entraJoined', deviceName: 'PIA-LAPTOP' }, surface)).toEqual({
        surface,
        messages: [],
        blocked: { reason: PRO_REASON },
      });
    expect(await listedFor(admin, 'pia@contoso.test')).toEqual([
      {
        userId: await userIdOf(host, TENANT_A, 'pia@contoso.test'),
        upn: 'pia@contoso.test',
        deviceName: 'PIA-LAPTOP',
        reason: PRO_REASON,
        osEdition: 'Windows 11 Pro',
        joinType: 'entraJoined',
        lastSeen: new Date(seen).toISOString(),
      },
    ]);
  });

  test('"Only Microsoft Entra ID joined devices are supported. Microsoft Entra (AD) hybrid joined devices aren\'t supported."', async () => {
    const hybrid = await inbox(hal, { osEdition: ENTERPRISE, joinType: 'hybridJoined', deviceName: 'HAL-WS01' });
    expect(hybrid).toEqual({ surface: 'spotlight', messages: [], blocked: { reason: HYBRID_REASON } });
    expect(await listedFor(admin, 'hal@contoso.test')).toEqual([
      expect.objectContaining({ deviceName: 'HAL-WS01', reason: HYBRID_REASON, osEdition: ENTERPRISE, joinType: 'hybridJoined' }),
    ]);
    for (const [joinType, why] of [
      ['entraRegistered', /only Entra registered/],
      ['none', /not joined/],
    ] as const)
      expect((await inbox(hal, { osEdition: ENTERPRISE, joinType, deviceName: `HAL-${joinType}` })).blocked?.reason).toMatch(why);
  });

  test('a device that later reports Windows 11 Enterprise, Microsoft Entra joined, is served again and leaves the list', async () => {
    const before = { osEdition: 'Windows 10 Pro', joinType: 'hybridJoined', deviceName: 'HAL-OLD' };
    expect((await inbox(hal, before)).messages).toEqual([]);
    expect((await listedFor(admin, 'hal@contoso.test')).map((d) => d.deviceName)).toContain('HAL-OLD');

    const upgraded = await inbox(hal, { osEdition: ENTERPRISE, joinType: 'entraJoined', deviceName: 'hal-old' });
    expect(upgraded.messages.map((m) => m.id)).toContain(messageId);
    expect(upgraded.blocked).toBeUndefined();
    // Windows computer names are case-insensitive: `hal-old` is the device that was `HAL-OLD`.
    expect((await listedFor(admin, 'hal@contoso.test')).map((d) => d.deviceName)).not.toContain('HAL-OLD');
    expect((await listedFor(admin, 'hal@contoso.test')).map((d) => d.deviceName)).toContain('HAL-WS01');
  });

  test('one person’s devices are told apart by name: only the one that cannot receive is listed', async () => {
    expect((await inbox(pia, { osEdition: ENTERPRISE, joinType: 'entraJoined', deviceName: 'PIA-DESK' })).messages).not.toEqual([]);
    expect((await inbox(pia, { osEdition: 'Windows 11 Pro', joinType: 'entraJoined', deviceName: 'PIA-LAPTOP' })).messages).toEqual([]);
    expect((await listedFor(admin, 'pia@contoso.test')).map((d) => d.deviceName)).toEqual(['PIA-LAPTOP']);
  });

  test('a device that reports nothing is served as before and not listed; one that reports part is judged on that part', async () => {
    const silent = await inbox(ray, {});
    expect(silent).toEqual({ surface: 'spotlight', messages: [expect.objectContaining({ id: messageId })] });
    expect((await inbox(ray, { deviceName: 'RAY-PC' })).messages.map((m) => m.id)).toContain(messageId);
    expect((await inbox(ray, { joinType: 'entraJoined', deviceName: 'RAY-PC' })).messages.map((m) => m.id)).toContain(messageId);
    expect(await listedFor(admin, 'ray@contoso.test')).toEqual([]);
    expect((await inbox(ray, { joinType: 'hybridJoined' })).blocked?.reason).toBe(HYBRID_REASON);
    expect(await listedFor(admin, 'ray@contoso.test')).toEqual([
      expect.objectContaining({ reason: HYBRID_REASON, joinType: 'hybridJoined' }),
    ]);
    expect((await listedFor(admin, 'ray@contoso.test'))[0]).not.toHaveProperty('deviceName');
    expect((await listedFor(admin, 'ray@contoso.test'))[0]).not.toHaveProperty('osEdition');
    expect((await inbox(ray, { joinType: 'entraJoined' })).blocked).toBeUndefined();
    expect(await listedFor(admin, 'ray@contoso.test')).toEqual([]);
  });

  test('400 naming the field for a bad joinType, osEdition or deviceName', async () => {
    const cases: [Report, string, RegExp][] = [
      [{ joinType: 'domainJoined' }, 'joinType', /must be one of entraJoined, hybridJoined, entraRegistered, none/],
      [{ joinType: 'EntraJoined', osEdition: ENTERPRISE }, 'joinType', /must be one of/],
      [{ osEdition: '  ' }, 'osEdition', /1 to 100/],
      [{ osEdition: 'x'.repeat(101) }, 'osEdition', /1 to 100/],
      [{ deviceName: 'x'.repeat(65), joinType: 'entraJoined' }, 'deviceName', /1 to 64/],
      [{ deviceName: 'PC\u0007' }, 'deviceName', /control characters/],
    ];
    for (const [report, path, message] of cases) {
      const res = await una(`/api/inbox?${new URLSearchParams({ surface: 'spotlight', ...report })}`);
      expect(res.status, JSON.stringify(report)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const { errors } = (await res.json()) as { errors: { path: string; message: string }[] };
      expect(errors, JSON.stringify(report)).toEqual([{ path, message: expect.stringMatching(message) }]);
    }
    expect(await listedFor(admin, 'una@contoso.test')).toEqual([]);
  });

  test('a device’s state is written when it changes, and again within the hour to keep lastSeen true', async () => {
    const report = { osEdition: 'Windows 11 Home', joinType: 'none', deviceName: 'PIA-HOME' };
    const first = await now();
    await inbox(pia, report);
    const rows = TableClient.fromConnectionString(host.storage, 'readiness', { allowInsecureConnection: true });
    const row = async () => {
      for await (const e of rows.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${TENANT_A} and deviceName eq ${'PIA-HOME'}` },
      }))
        return e;
      return undefined;
    };
    const written = (await row())!;
    expect(written.lastSeen).toBe(new Date(first).toISOString());

    // The same report again writes nothing: a row removed behind the app's back stays removed.
    await rows.deleteEntity(String(written.partitionKey), String(written.rowKey));
    await host.clock.advance(HOUR / 2);
    expect((await inbox(pia, report)).blocked).toBeDefined();
    expect(await row()).toBeUndefined();

    await host.clock.advance(HOUR / 2);
    const refreshed = await now();
    await inbox(pia, report);
    expect((await row())?.lastSeen).toBe(new Date(refreshed).toISOString());

    // A changed report is written at once.
    await inbox(pia, { ...report, osEdition: 'Windows 10 Home' });
    expect((await row())?.osEdition).toBe('Windows 10 Home');
  });
});

describe('GET /api/readiness/devices', () => {
  test('for Tenant.Admin only: 403 for others, 401 without a token', async () => {
    for (const other of [una, writer]) {
      const res = await other('/api/readiness/devices');
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await host.fetch('/api/readiness/devices')).status).toBe(401);
  });

  test('paged by continuation, by person and device; a bogus token is 400', async () => {
    const all = (await blockedDevices(admin, '?pageSize=100')).items;
    expect(all.length).toBeGreaterThan(3);
    const paged: BlockedDevice[] = [];
    let continuation: string | undefined;
    do {
      const page = await blockedDevices(admin, `?pageSize=2${continuation ? `&continuation=${continuation}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items);
      continuation = page.continuation;
    } while (continuation);
    expect(paged).toEqual(all);
    // A person's devices are listed together.
    const owners = all.map((d) => d.userId);
    expect(owners).toEqual([...new Set(owners)].flatMap((owner) => owners.filter((o) => o === owner)));

    for (const bogus of ['nope', Buffer.from('after:').toString('base64url'), Buffer.from('after:a|b|c').toString('base64url')]) {
      const res = await admin(`/api/readiness/devices?continuation=${bogus}`);
      expect(res.status, bogus).toBe(400);
      expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['continuation']);
    }
    for (const query of ['?pageSize=0', '?pageSize=101', '?pageSize=two', '?colour=red']) {
      const res = await admin(`/api/readiness/devices${query}`);
      expect(res.status, query).toBe(400);
    }
  });

  test('tenants are isolated: each admin sees their own tenant’s devices only', async () => {
    expect((await inbox(bob, { osEdition: 'Windows 11 Pro', deviceName: 'PIA-LAPTOP' })).blocked?.reason).toBe(PRO_REASON);
    const inB = (await blockedDevices(adminB)).items;
    expect(inB).toEqual([expect.objectContaining({ upn: 'bob@fabrikam.test', deviceName: 'PIA-LAPTOP', reason: PRO_REASON })]);
    const inA = (await blockedDevices(admin, '?pageSize=100')).items;
    expect(inA.map((d) => d.upn)).not.toContain('bob@fabrikam.test');
    expect(inA.filter((d) => d.deviceName === 'PIA-LAPTOP').map((d) => d.upn)).toEqual(['pia@contoso.test']);
  });
});
