import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';
import { objectId } from '../../../src/identity/issuer.js';
import { SAMPLE_TENANT_ID } from '../../../src/standins/sampleOrg.js';

const APP = 'test/fixtures/devhost/web';
const GRAPH = 'https://graph.microsoft.com';
const NOW = '2026-03-10T09:30:00.000Z';

interface Collection<T = Record<string, unknown>> {
  value: T[];
  '@odata.nextLink'?: string;
  '@odata.count'?: number;
}
interface GraphErrorBody {
  error: { code: string; message: string; innerError: { date: string; 'request-id': string } };
}

/** A client of the stand-in as the Graph SDK would be after rewriting graph.microsoft.com to the host. */
function graphClient(host: TestHost, token: string) {
  const call = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    host.fetch(`/devhost/graph${path.startsWith(GRAPH) ? path.slice(GRAPH.length) : path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  return {
    call,
    json: async <T = Collection>(path: string) => {
      const res = await call(path);
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as T;
    },
    /** Follows @odata.nextLink to the end; returns every page. */
    pages: async (path: string) => {
      const pages: Collection[] = [];
      for (let next: string | undefined = path; next;) {
        const res = await call(next);
        expect(res.status).toBe(200);
        const page = (await res.json()) as Collection;
        pages.push(page);
        next = page['@odata.nextLink'];
        if (next) expect(next.startsWith(`${GRAPH}/v1.0/`)).toBe(true);
      }
      return pages;
    },
  };
}

async function appToken(host: TestHost, tenant: string, clientId = 'herald-test-app') {
  const res = await host.fetch(`/devhost/identity/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: 's3cret',
      scope: `${GRAPH}/.default`,
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const control = (host: TestHost, path: string, method = 'GET', body?: unknown) =>
  host.fetch(`/devhost/graph/_control${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

interface Feed {
  stats: {
    requests: { single: number; bulk: number };
    accepted: { single: number; bulk: number };
    rejected: number;
    throttled: number;
    notifications: number;
    replaced: number;
  };
  entries: { userId: string; chainId?: number; previewText: { content: string }; replaced: number; receivedAt: string; kind: string }[];
}
const feed = async (host: TestHost, query: string) => (await (await control(host, `/teams/feed?${query}`)).json()) as Feed;

const notification = (chainId: number, text = 'Hello') => ({
  topic: { source: 'text', value: 'Herald', webUrl: 'https://example.test/click' },
  activityType: 'systemDefault',
  previewText: { content: text },
  templateParameters: [{ name: 'systemDefaultText', value: text }],
  chainId,
});
const recipients = (ids: string[]) => ids.map((userId) => ({ '@odata.type': 'microsoft.graph.aadUserNotificationRecipient', userId }));

/**
 * 30 people (the last two a guest and a disabled account) and groups nested three deep with a cycle:
 * Top → Middle → Bottom → Top.
 */
function directoryFor(tenant: string) {
  const users = Array.from({ length: 30 }, (_, i) => ({
    userPrincipalName: `person${String(i).padStart(2, '0')}@org.test`,
    displayName: `Person ${i}`,
    mail: `person${i}@org.test`,
    department: i % 2 === 0 ? 'Sales' : 'Engineering',
    city: 'Paris',
    ...(i === 28 ? { userType: 'Guest' as const } : {}),
    ...(i === 29 ? { accountEnabled: false } : {}),
    ...(i === 0 ? { copilotActivity: { microsoftTeams: 3, word: 40 } } : {}),
    ...(i === 1 ? { copilotActivity: {} } : {}),
  }));
  const gid = (name: string) => objectId(tenant, `group:${name}`);
  return {
    users,
    groups: [
      { id: gid('top'), displayName: 'Top', members: [gid('middle'), 'person00@org.test'] },
      { id: gid('middle'), displayName: 'Middle', members: [gid('bottom'), 'person01@org.test', 'person00@org.test'] },
      { id: gid('bottom'), displayName: 'Bottom', members: ['person02@org.test', 'person03@org.test', gid('top')] },
      {
        id: gid('m365'),
        displayName: 'Project',
        groupTypes: ['Unified'],
        mailEnabled: true,
        securityEnabled: false,
        members: ['person04@org.test'],
      },
    ],
  };
}

describe('Graph stand-in', () => {
  let host: TestHost;
  let graph: ReturnType<typeof graphClient>;
  const tenant = randomUUID();
  const uid = (i: number) => objectId(tenant, `person${String(i).padStart(2, '0')}@org.test`);
  const gid = (name: string) => objectId(tenant, `group:${name}`);

  beforeAll(async () => {
    host = await startHost({ app: APP, clock: NOW });
    const res = await control(host, `/tenants/${tenant}/directory`, 'PUT', directoryFor(tenant));
    expect(await res.json()).toEqual({ tenantId: tenant, users: 30, groups: 4 });
    graph = graphClient(host, await appToken(host, tenant));
  });
  afterAll(async () => {
    await host?.stop();
  });

  test('the token endpoint issues app tokens for Graph (client credentials) and refuses other grants in OAuth shape', async () => {
    const claims = decodeJwt(await appToken(host, tenant, 'my-app'));
    expect(claims).toMatchObject({ tid: tenant, appid: 'my-app', azp: 'my-app', idtyp: 'app', aud: GRAPH });
    expect(claims.roles).toEqual(
      expect.arrayContaining(['User.Read.All', 'GroupMember.Read.All', 'Reports.Read.All', 'TeamsActivity.Send']),
    );
    expect(claims.exp! - claims.iat!).toBe(3599);
    const bad = await host.fetch(`/devhost/identity/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=x&scope=https://graph.microsoft.com/.default',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_request', error_description: "the request body must contain 'client_secret'" });
  });

  test('the sample organisation is there without any set-up', async () => {
    const { tenants } = (await (await control(host, '/tenants')).json()) as { tenants: { tenantId: string; users: number }[] };
    expect(tenants).toContainEqual({ tenantId: SAMPLE_TENANT_ID, users: 50, groups: expect.any(Number) });
    expect(host.output()).toContain(`sample tenant ${SAMPLE_TENANT_ID}`);
  });

  test('no token, a token from elsewhere, an expired token or one for another audience: 401 in Graph error shape', async () => {
    const none = await host.fetch('/devhost/graph/v1.0/users');
    expect(none.status).toBe(401);
    expect(((await none.json()) as GraphErrorBody).error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Access token is empty.',
    });
    const forged = await graphClient(host, (await appToken(host, tenant)).replace(/\.[^.]+$/, '.c2lnbmF0dXJl')).call('/v1.0/users');
    expect(forged.status).toBe(401);
    const expired = await host.token({ tenant, user: 'person00@org.test', audience: GRAPH, expiresIn: -60 });
    const expiredRes = await graphClient(host, expired).call('/v1.0/users');
    expect(expiredRes.status).toBe(401);
    expect(((await expiredRes.json()) as GraphErrorBody).error.message).toMatch(/expired/);
    // Not Graph's audience, so issued at the host's clock, which this file sets months back: a long life keeps it
    // unexpired at real time, so what Graph refuses is the audience.
    const other = await host.token({ tenant, user: 'person00@org.test', audience: 'api://someone-else', expiresIn: '400d' });
    const otherRes = await graphClient(host, other).call('/v1.0/users');
    expect(otherRes.status).toBe(401);
    expect(((await otherRes.json()) as GraphErrorBody).error.message).toMatch(/audience/);
  });

  test('a tenant with no directory: 403', async () => {
    const res = await graphClient(host, await appToken(host, randomUUID())).call('/v1.0/users');
    expect(res.status).toBe(403);
    const body = (await res.json()) as GraphErrorBody;
    expect(body.error.code).toBe('Authorization_IdentityNotFound');
    expect(body.error.innerError['request-id']).toEqual(expect.any(String));
  });

  test('users page by @odata.nextLink in file order, with only the $selected properties', async () => {
    const pages = await graph.pages('/v1.0/users?$select=id,displayName&$top=7');
    expect(pages.map((p) => p.value.length)).toEqual([7, 7, 7, 7, 2]);
    const all = pages.flatMap((p) => p.value);
    expect(all.map((u) => u.id)).toEqual(Array.from({ length: 30 }, (_, i) => uid(i)));
    expect(Object.keys(all[0]!).sort()).toEqual(['displayName', 'id']);
    const defaults = (await graph.json('/v1.0/users?$top=1')).value[0]!;
    expect(defaults).toMatchObject({ userPrincipalName: 'person00@org.test', displayName: 'Person 0', businessPhones: [] });
    expect(defaults).not.toHaveProperty('department');
  });

  test('users filter on accountEnabled and userType, and $top and $select are checked', async () => {
    const enabled = await graph.json("/v1.0/users?$filter=accountEnabled eq true and userType eq 'Member'&$select=id&$top=999&$count=true");
    expect(enabled.value).toHaveLength(28);
    expect(enabled['@odata.count']).toBe(28);
    const top = await graph.call('/v1.0/users?$top=1000');
    expect(top.status).toBe(400);
    expect(((await top.json()) as GraphErrorBody).error.message).toMatch(/between 1 and 999/);
    const select = await graph.call('/v1.0/users?$select=id,shoeSize');
    expect(select.status).toBe(400);
    expect(((await select.json()) as GraphErrorBody).error.message).toMatch(/shoeSize/);
  });

  test('one user by id or UPN; an unknown one is 404', async () => {
    const byUpn = await graph.json<Record<string, unknown>>('/v1.0/users/PERSON05@org.test?$select=id,department,accountEnabled');
    expect(byUpn).toMatchObject({ id: uid(5), department: 'Engineering', accountEnabled: true });
    const byId = await graph.json<Record<string, unknown>>(`/v1.0/users/${uid(29)}?$select=accountEnabled`);
    expect(byId).toMatchObject({ id: uid(29), accountEnabled: false });
    const missing = await graph.call(`/v1.0/users/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as GraphErrorBody).error.code).toBe('Request_ResourceNotFound');
  });

  test('transitive members follow three levels of nesting, survive a cycle, list each member once, in a stable order', async () => {
    const all = await graph.json(`/v1.0/groups/${gid('top')}/transitiveMembers?$select=id,displayName`);
    expect(all.value.map((o) => o.displayName)).toEqual(['Middle', 'Bottom', 'Person 2', 'Person 3', 'Person 1', 'Person 0']);
    expect(all.value[0]).toMatchObject({ '@odata.type': '#microsoft.graph.group' });
    const pages = await graph.pages(
      `/v1.0/groups/${gid('top')}/transitiveMembers/microsoft.graph.user?$select=id,userPrincipalName&$top=3`,
    );
    expect(pages.map((p) => p.value.length)).toEqual([3, 1]);
    expect(pages.flatMap((p) => p.value.map((u) => u.id))).toEqual([uid(2), uid(3), uid(1), uid(0)]);
    const again = await graph.json(`/v1.0/groups/${gid('top')}/transitiveMembers/microsoft.graph.user?$select=id`);
    expect(again.value.map((u) => u.id)).toEqual([uid(2), uid(3), uid(1), uid(0)]);
    const direct = await graph.json(`/v1.0/groups/${gid('top')}/members?$select=id`);
    expect(direct.value.map((o) => o.id)).toEqual([gid('middle'), uid(0)]);
  });

  test('groups may hold Entra devices: listed as devices, left out of the user cast (nested too), served by the device cast', async () => {
    const other = randomUUID();
    const id = (name: string) => objectId(other, `object:${name}`);
    const res = await control(host, `/tenants/${other}/directory`, 'PUT', {
      users: [{ userPrincipalName: 'ann@org.test' }, { userPrincipalName: 'bob@org.test' }],
      devices: [
        { id: id('ann-phone'), displayName: 'Ann’s iPhone', operatingSystem: 'iOS', deviceId: id('ann-phone-reg') },
        { id: id('kiosk'), displayName: 'Lobby kiosk', operatingSystem: 'Windows', accountEnabled: false },
      ],
      groups: [
        { id: id('all'), displayName: 'All', members: ['ann@org.test', id('ann-phone'), id('inner')] },
        { id: id('inner'), displayName: 'Inner', members: [id('kiosk'), 'bob@org.test'] },
        { id: id('phones'), displayName: 'Phones only', members: [id('ann-phone')] },
      ],
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const client = graphClient(host, await appToken(host, other));
    const ann = objectId(other, 'ann@org.test');
    const bob = objectId(other, 'bob@org.test');

    const direct = await client.json(`/v1.0/groups/${id('all')}/members?$select=id,displayName`);
    expect(direct.value).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: ann, displayName: null },
      { '@odata.type': '#microsoft.graph.device', id: id('ann-phone'), displayName: 'Ann’s iPhone' },
      { '@odata.type': '#microsoft.graph.group', id: id('inner'), displayName: 'Inner' },
    ]);
    const users = await client.json(`/v1.0/groups/${id('all')}/transitiveMembers/microsoft.graph.user?$select=id&$count=true`);
    expect(users.value.map((u) => u.id)).toEqual([ann, bob]);
    expect(users['@odata.count']).toBe(2);
    const devices = await client.json(`/v1.0/groups/${id('all')}/transitiveMembers/microsoft.graph.device`);
    expect(devices.value).toEqual([
      expect.objectContaining({ id: id('ann-phone'), deviceId: id('ann-phone-reg'), operatingSystem: 'iOS', accountEnabled: true }),
      expect.objectContaining({ id: id('kiosk'), deviceId: null, operatingSystem: 'Windows', accountEnabled: false }),
    ]);
    expect(devices.value[0]).not.toHaveProperty('@odata.type');
    const onlyDevices = await client.json(`/v1.0/groups/${id('phones')}/transitiveMembers/microsoft.graph.user?$select=id`);
    expect(onlyDevices.value).toEqual([]);
    const userProperty = await client.call(`/v1.0/groups/${id('all')}/transitiveMembers/microsoft.graph.device?$select=userPrincipalName`);
    expect(userProperty.status).toBe(400);

    const clash = await control(host, `/tenants/${other}/directory`, 'PUT', {
      users: [{ userPrincipalName: 'ann@org.test' }],
      devices: [{ id: ann, displayName: 'Not a user' }],
    });
    expect(clash.status).toBe(400);
    expect(((await clash.json()) as { detail: string }).detail).toMatch(/devices\.0\.id: .* appears twice/);
  });

  test("a user's groups through nesting, and the group cast", async () => {
    const groups = await graph.json(`/v1.0/users/${uid(2)}/transitiveMemberOf/microsoft.graph.group?$select=id,displayName`);
    expect(groups.value.map((g) => g.displayName)).toEqual(['Bottom', 'Middle', 'Top']);
    const none = await graph.json(`/v1.0/users/${uid(20)}/transitiveMemberOf?$select=id`);
    expect(none.value).toEqual([]);
  });

  test('groups list and one group, M365 groups marked Unified', async () => {
    const groups = await graph.json('/v1.0/groups?$select=id,displayName,groupTypes');
    expect(groups.value).toContainEqual({ id: gid('m365'), displayName: 'Project', groupTypes: ['Unified'] });
    const one = await graph.json<Record<string, unknown>>(`/v1.0/groups/${gid('top')}`);
    expect(one).toMatchObject({ id: gid('top'), displayName: 'Top', securityEnabled: true, groupTypes: [] });
  });

  test('groups $search by the start of a word of a property, with ConsistencyLevel: eventual only', async () => {
    const search = (query: string) =>
      graph.call(`/v1.0/groups?$search=${encodeURIComponent(query)}&$select=id,displayName`, { headers: { ConsistencyLevel: 'eventual' } });
    const found = (await (await search('"displayName:mid"')).json()) as Collection;
    expect(found.value).toEqual([{ id: gid('middle'), displayName: 'Middle' }]);
    expect(((await (await search('"displayName:proj" AND "mail:nothing"')).json()) as Collection).value).toEqual([]);
    expect((await search('displayName:mid')).status).toBe(400);
    const plain = await graph.call(`/v1.0/groups?$search=${encodeURIComponent('"displayName:mid"')}`);
    expect(plain.status).toBe(400);
    expect(await plain.text()).toContain('ConsistencyLevel: eventual');
  });

  test('$batch answers each request on its own, and refuses more than 20', async () => {
    const res = await graph.call('/v1.0/$batch', {
      body: {
        requests: [
          { id: '1', method: 'GET', url: `/users/${uid(3)}?$select=id,displayName` },
          { id: '2', method: 'GET', url: `/users/${randomUUID()}` },
          { id: '3', method: 'GET', url: `/groups/${gid('bottom')}/transitiveMembers/microsoft.graph.user?$select=id` },
        ],
      },
    });
    expect(res.status).toBe(200);
    const { responses } = (await res.json()) as { responses: { id: string; status: number; body: Record<string, unknown> }[] };
    expect(responses.map((r) => [r.id, r.status])).toEqual([
      ['1', 200],
      ['2', 404],
      ['3', 200],
    ]);
    expect(responses[0]!.body).toMatchObject({ id: uid(3), displayName: 'Person 3' });
    // Bottom → Top (the cycle) → Middle → Person 1, then Person 0 (Middle's, before Top's own).
    expect((responses[2]!.body.value as { id: string }[]).map((u) => u.id)).toEqual([uid(2), uid(3), uid(1), uid(0)]);
    const tooMany = await graph.call('/v1.0/$batch', {
      body: { requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users?$top=1' })) },
    });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as GraphErrorBody).error.message).toMatch(/21 requests.*at most 20/);
  });

  test('the Copilot usage report dates activity from the host clock, null for never', async () => {
    const report = await graph.json<Collection>(
      "/beta/reports/getMicrosoft365CopilotUsageUserDetail(period='D30')?$format=application/json",
    );
    expect(report.value).toHaveLength(2);
    expect(report.value[0]).toMatchObject({
      reportRefreshDate: '2026-03-10',
      userPrincipalName: 'person00@org.test',
      lastActivityDate: '2026-03-07',
      microsoftTeamsCopilotLastActivityDate: '2026-03-07',
      wordCopilotLastActivityDate: '2026-01-29',
      excelCopilotLastActivityDate: null,
    });
    expect(report.value[1]).toMatchObject({ userPrincipalName: 'person01@org.test', lastActivityDate: null });
    const badPeriod = await graph.call("/beta/reports/getMicrosoft365CopilotUsageUserDetail(period='D8')");
    expect(badPeriod.status).toBe(400);
  });

  describe('Teams activity feed', () => {
    test('a bulk send of 100 is accepted with an empty 202 and lands in each feed; 101 is refused', async () => {
      const ids = Array.from({ length: 100 }, () => uid(5));
      ids.splice(0, 25, ...Array.from({ length: 25 }, (_, i) => uid(i)));
      const res = await graph.call('/v1.0/teamwork/sendActivityNotificationToRecipients', {
        body: { ...notification(100), recipients: recipients(ids) },
      });
      expect(res.status).toBe(202);
      expect(res.headers.get('content-type')).toBeNull();
      expect(await res.text()).toBe('');
      const { entries } = await feed(host, `tenant=${tenant}`);
      expect(entries.filter((e) => e.chainId === 100).map((e) => e.userId)).toEqual(Array.from({ length: 25 }, (_, i) => uid(i)));
      expect(entries[0]).toMatchObject({ kind: 'bulk', receivedAt: NOW, previewText: { content: 'Hello' } });
      const tooMany = await graph.call('/v1.0/teamwork/sendActivityNotificationToRecipients', {
        body: { ...notification(101), recipients: recipients(Array.from({ length: 101 }, () => uid(1))) },
      });
      expect(tooMany.status).toBe(400);
      expect(((await tooMany.json()) as GraphErrorBody).error.message).toMatch(/recipients.*at most 100/);
    });

    test('a bulk send with a token that expires within 45 minutes: 412', async () => {
      const short = await host.token({ tenant, user: 'daemon@org.test', audience: GRAPH, expiresIn: '30m' });
      const res = await graphClient(host, short).call('/v1.0/teamwork/sendActivityNotificationToRecipients', {
        body: { ...notification(200), recipients: recipients([uid(1)]) },
      });
      expect(res.status).toBe(412);
      expect(((await res.json()) as GraphErrorBody).error.message).toMatch(/45 more minutes/);
    });

    test('bodies are checked as Graph checks them', async () => {
      const noWebUrl = await graph.call(`/v1.0/users/${uid(1)}/teamwork/sendActivityNotification`, {
        body: { ...notification(1), topic: { source: 'text', value: 'Herald' } },
      });
      expect(noWebUrl.status).toBe(400);
      expect(((await noWebUrl.json()) as GraphErrorBody).error.message).toMatch(/topic\.webUrl/);
      const noPreview = await graph.call('/v1.0/teamwork/sendActivityNotificationToRecipients', {
        body: { ...notification(1), previewText: undefined, recipients: recipients([uid(1)]) },
      });
      expect(noPreview.status).toBe(400);
      expect(((await noPreview.json()) as GraphErrorBody).error.message).toMatch(/previewText/);
    });

    test('the same chainId replaces the earlier notification for that user; another chainId adds one', async () => {
      const send = (chainId: number, text: string) =>
        graph.call(`/v1.0/users/person26@org.test/teamwork/sendActivityNotification`, { body: notification(chainId, text) });
      expect((await send(7, 'first')).status).toBe(204);
      expect((await send(7, 'second')).status).toBe(204);
      expect((await send(8, 'other')).status).toBe(204);
      const { entries, stats } = await feed(host, `tenant=${tenant}&user=${uid(26)}`);
      expect(entries.map((e) => [e.chainId, e.previewText.content, e.replaced])).toEqual([
        [7, 'second', 1],
        [8, 'other', 0],
      ]);
      expect(stats.replaced).toBeGreaterThanOrEqual(1);
      const unknown = await graph.call(`/v1.0/users/${randomUUID()}/teamwork/sendActivityNotification`, { body: notification(9) });
      expect(unknown.status).toBe(404);
    });

    test("with Teams' real limits on, a burst of bulk sends gets 429 with Retry-After and is counted", async () => {
      const before = (await feed(host, `tenant=${tenant}`)).stats;
      expect((await control(host, '/throttling', 'PUT', { teams: true })).status).toBe(200);
      try {
        const burst = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            graph.call('/v1.0/teamwork/sendActivityNotificationToRecipients', {
              body: { ...notification(300 + i), recipients: recipients([uid(9)]) },
            }),
          ),
        );
        const statuses = burst.map((r) => r.status).sort();
        expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
        expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(2);
        const throttled = burst.filter((r) => r.status === 429);
        expect(throttled.length).toBeGreaterThanOrEqual(4);
        for (const r of throttled) {
          expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          expect(((await r.json()) as GraphErrorBody).error.code).toBe('TooManyRequests');
        }
        const after = (await feed(host, `tenant=${tenant}`)).stats;
        expect(after.throttled - before.throttled).toBe(throttled.length);
        expect(after.requests.bulk - before.requests.bulk).toBe(6);
        // Reads are not limited in this mode.
        expect((await graph.call('/v1.0/users?$top=1')).status).toBe(200);
      } finally {
        await control(host, '/throttling', 'PUT', { teams: false });
      }
    });

    test('a custom limit applies to every Graph call, and to each request of a batch', async () => {
      await control(host, '/throttling', 'PUT', { teams: false, requestsPerSecond: 3 });
      try {
        const burst = await Promise.all(Array.from({ length: 5 }, () => graph.call('/v1.0/users?$top=1')));
        expect(burst.map((r) => r.status).filter((s) => s === 429)).toHaveLength(2);
        await new Promise((r) => setTimeout(r, 1100));
        const batch = await graph.call('/v1.0/$batch', {
          body: { requests: Array.from({ length: 5 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users?$top=1&$select=id' })) },
        });
        expect(batch.status).toBe(200);
        const { responses } = (await batch.json()) as { responses: { status: number; headers: Record<string, string> }[] };
        expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
        expect(Number(responses[3]!.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
      } finally {
        await control(host, '/throttling', 'PUT', { teams: false, requestsPerSecond: null });
      }
    });

    test('the feed can be reset per tenant', async () => {
      expect((await control(host, `/teams/feed?tenant=${tenant}`, 'DELETE')).status).toBe(204);
      const { entries, stats } = await feed(host, `tenant=${tenant}`);
      expect(entries).toEqual([]);
      expect(stats.requests).toEqual({ single: 0, bulk: 0 });
    });
  });

  test('a directory that names a member it does not have is refused, naming the field', async () => {
    const res = await control(host, `/tenants/${randomUUID()}/directory`, 'PUT', {
      users: [{ userPrincipalName: 'a@org.test' }],
      groups: [{ id: randomUUID(), displayName: 'G', members: ['nobody@org.test'] }],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/groups\.0\.members\.0: no user, group or device "nobody@org\.test"/);
  });

  test('a generated organisation can be served for any tenant', async () => {
    const other = randomUUID();
    const res = await control(host, `/tenants/${other}/generate`, 'POST', { users: 250, seed: 4 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { users: number; sampleUsers: string[] };
    expect(body.users).toBe(250);
    const client = graphClient(host, await appToken(host, other));
    const first = await client.json<Record<string, unknown>>(`/v1.0/users/${body.sampleUsers[0]}?$select=id`);
    expect(first.id).toBe(objectId(other, body.sampleUsers[0]!));
    const users = await client.pages('/v1.0/users?$select=id&$top=100');
    expect(users.flatMap((p) => p.value)).toHaveLength(250);
  });
});

describe('Graph stand-in state', () => {
  test('the feed and loaded directories survive a crash (SIGKILL) and restart', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'graph-standin-'));
    const tenant = randomUUID();
    const env = { DEVHOST_STANDINS_DIR: stateDir };
    const first = await startHost({ app: APP, env });
    try {
      await control(first, `/tenants/${tenant}/directory`, 'PUT', directoryFor(tenant));
      const graph = graphClient(first, await appToken(first, tenant));
      const ids = [0, 1, 2].map((i) => objectId(tenant, `person0${i}@org.test`));
      expect(
        (
          await graph.call('/v1.0/teamwork/sendActivityNotificationToRecipients', {
            body: { ...notification(1), recipients: recipients(ids) },
          })
        ).status,
      ).toBe(202);
      expect((await graph.call(`/v1.0/users/${ids[0]}/teamwork/sendActivityNotification`, { body: notification(1, 'again') })).status).toBe(
        204,
      );
    } finally {
      await first.kill();
    }
    const second = await startHost({ app: APP, env });
    try {
      const { entries, stats } = await feed(second, `tenant=${tenant}`);
      expect(entries.map((e) => [e.userId, e.previewText.content])).toEqual([
        [objectId(tenant, 'person01@org.test'), 'Hello'],
        [objectId(tenant, 'person02@org.test'), 'Hello'],
        [objectId(tenant, 'person00@org.test'), 'again'],
      ]);
      expect(stats).toMatchObject({ requests: { single: 1, bulk: 1 }, notifications: 4, replaced: 1 });
      const graph = graphClient(second, await appToken(second, tenant));
      expect((await graph.json('/v1.0/users?$select=id&$top=999')).value).toHaveLength(30);
      const { tenants } = (await (await control(second, '/tenants')).json()) as { tenants: { tenantId: string }[] };
      expect(tenants.map((t) => t.tenantId).sort()).toEqual([tenant, SAMPLE_TENANT_ID].sort());
    } finally {
      await second.stop();
    }
  });
});
