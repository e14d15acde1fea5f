// The Graph stand-in's GET /organization: what Herald reads a tenant's verified domains from.
import { expect, test } from 'vitest';
import { GraphApi } from '../../../src/standins/graph/graphApi.js';
import type { GraphRequest } from '../../../src/standins/graph/odata.js';
import { TeamsFeed } from '../../../src/standins/graph/teamsFeed.js';
import { TenantDirectory } from '../../../src/standins/graph/tenantDirectory.js';
import { Throttle } from '../../../src/standins/graph/throttle.js';

const TENANT = '11111111-1111-4111-8111-111111111111';

const request = (query: string): GraphRequest => ({
  method: 'GET',
  version: 'v1.0',
  segments: ['organization'],
  rawPath: 'organization',
  rawQuery: query,
  query: new URLSearchParams(query),
  headers: {},
  body: undefined,
});

const api = () => {
  const directory = new TenantDirectory(TENANT, {
    users: [
      { userPrincipalName: 'ann@contoso.test' },
      { userPrincipalName: 'ben@Sales.Contoso.test' },
      { userPrincipalName: 'amy@contoso.test' },
      { userPrincipalName: 'guest_fabrikam.test#EXT#@contoso.test', userType: 'Guest' },
    ],
    groups: [],
  });
  const clock = { now: () => new Date('2030-01-01T00:00:00Z') };
  return new GraphApi(new Map([[TENANT, directory]]), new TeamsFeed(undefined), new Throttle(), clock as never);
};
const caller = { tenantId: TENANT, appId: 'herald', expiresAt: 0 };

test('one organization, whose verified domains are its members’ sign-in domains, the first the default', async () => {
  const res = await api().dispatch(request('$select=verifiedDomains'), caller);
  expect(res.status).toBe(200);
  const body = res.body as { value: { id: string; verifiedDomains: { name: string; isDefault: boolean }[] }[] };
  expect(body.value).toHaveLength(1);
  expect(body.value[0]!.id).toBe(TENANT);
  expect(body.value[0]!.verifiedDomains.map((d) => [d.name, d.isDefault])).toEqual([
    ['contoso.test', true],
    ['sales.contoso.test', false],
  ]);
  expect(Object.keys(body.value[0]!).sort()).toEqual(['id', 'verifiedDomains']);
});

test('an unknown property in $select is refused, as Graph does', async () => {
  const res = await api().dispatch(request('$select=domains'), caller);
  expect(res.status).toBe(400);
});
