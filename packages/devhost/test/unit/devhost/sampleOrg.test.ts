import { describe, expect, test } from 'vitest';
import { objectId } from '../../../src/identity/issuer.js';
import { TenantDirectory } from '../../../src/standins/graph/tenantDirectory.js';
import { generateSampleOrg, SAMPLE_TENANT_ID } from '../../../src/standins/sampleOrg.js';

const TENANT = '0b0e5a1c-7d3f-4e2a-9c8b-1f2e3d4c5b6a';

describe('sample organisation', () => {
  test('the same seed gives the same organisation; another seed another one', () => {
    const a = generateSampleOrg({ tenantId: TENANT, users: 300, seed: 7 });
    expect(generateSampleOrg({ tenantId: TENANT, users: 300, seed: 7 })).toEqual(a);
    const b = generateSampleOrg({ tenantId: TENANT, users: 300, seed: 8 });
    expect(b.users.map((u) => u.userPrincipalName)).not.toEqual(a.users.map((u) => u.userPrincipalName));
  });

  test('defaults: 50 users in the sample tenant, and the first two are enabled members', () => {
    const org = generateSampleOrg();
    expect(org.tenantId).toBe(SAMPLE_TENANT_ID);
    expect(org.users).toHaveLength(50);
    for (const u of org.users.slice(0, 2)) {
      expect(u.userType).toBeUndefined();
      expect(u.accountEnabled).toBeUndefined();
    }
  });

  test('user ids are the issuer objectId of the UPN, so tokens and directory agree; UPNs are unique', () => {
    const org = generateSampleOrg({ tenantId: TENANT, users: 2000, seed: 3 });
    for (const u of org.users) expect(u.id).toBe(objectId(TENANT, u.userPrincipalName));
    expect(new Set(org.users.map((u) => u.userPrincipalName.toLowerCase())).size).toBe(2000);
  });

  test('proportions look like a real organisation', () => {
    const org = generateSampleOrg({ tenantId: TENANT, users: 10_000, seed: 1 });
    const share = (n: number) => n / org.users.length;
    const guests = org.users.filter((u) => u.userType === 'Guest');
    expect(share(guests.length)).toBeGreaterThan(0.01);
    expect(share(guests.length)).toBeLessThan(0.03);
    for (const g of guests) expect(g.userPrincipalName).toContain('#EXT#@');
    expect(share(org.users.filter((u) => u.accountEnabled === false).length)).toBeGreaterThan(0.01);
    expect(share(org.users.filter((u) => u.accountEnabled === false).length)).toBeLessThan(0.03);
    const members = org.users.filter((u) => u.userType !== 'Guest');
    const distinct = (key: 'companyName' | 'department' | 'city' | 'country' | 'preferredLanguage') =>
      new Set(members.map((u) => u[key])).size;
    expect(distinct('companyName')).toBeGreaterThanOrEqual(3);
    expect(distinct('companyName')).toBeLessThanOrEqual(4);
    expect(distinct('department')).toBe(10);
    expect(distinct('city')).toBeGreaterThanOrEqual(6);
    expect(distinct('country')).toBeGreaterThanOrEqual(5);
    expect(new Set(members.map((u) => u.preferredLanguage))).toEqual(new Set(['en-US', 'en-GB', 'fr-FR', 'de-DE', 'es-ES', 'ja-JP']));
    const neverUsed = members.filter((u) => u.copilotActivity && Object.keys(u.copilotActivity).length === 0);
    const used = members.filter((u) => u.copilotActivity?.microsoftTeams !== undefined);
    expect(share(neverUsed.length)).toBeGreaterThan(0.05);
    expect(share(used.length)).toBeGreaterThan(0.2);
    const groupKinds = new Set(org.groups.map((g) => (g.groupTypes?.includes('Unified') ? 'm365' : 'security')));
    expect(groupKinds).toEqual(new Set(['m365', 'security']));
  });

  test('groups nest at least three levels (Global Offices → region → office → people), and people are in several groups', () => {
    const org = generateSampleOrg({ tenantId: TENANT, users: 1000, seed: 2 });
    const directory = new TenantDirectory(TENANT, org);
    const byName = (name: string) => directory.groups.find((g) => g.displayName === name)!;
    const londoner = directory.users.find((u) => u.city === 'London')!;
    const path = directory.transitiveMemberOf(londoner.id).map((g) => g.displayName);
    expect(path).toEqual(expect.arrayContaining(['Office - London', 'All Europe', 'Global Offices']));
    expect(directory.members(byName('Global Offices').id).map((o) => o.value.displayName)).toContain('All Europe');
    expect(directory.members(byName('All Europe').id).map((o) => o.value.displayName)).toContain('Office - London');
    expect(directory.members(byName('All Europe').id).map((o) => o.value.displayName)).not.toContain('Office - Tokyo');
    expect(directory.transitiveMembers(byName('Global Offices').id).some((o) => o.kind === 'user' && o.value.id === londoner.id)).toBe(
      true,
    );
    const staff = directory.transitiveMembers(byName('All Staff').id).filter((o) => o.kind === 'user');
    expect(staff.length).toBe(org.users.filter((u) => u.userType !== 'Guest').length);
    const busy = directory.users.filter((u) => directory.memberOf(u.id).length >= 4);
    expect(busy.length).toBeGreaterThan(0);
  });

  test('100,000 users generate in a few seconds into a file of about half a kilobyte a user', () => {
    const started = performance.now();
    const org = generateSampleOrg({ users: 100_000, seed: 1 });
    expect(performance.now() - started).toBeLessThan(5000);
    const size = JSON.stringify(org).length;
    expect(org.users).toHaveLength(100_000);
    expect(size / 100_000).toBeLessThan(600);
  });

  test('a head count that is not a positive whole number is refused', () => {
    expect(() => generateSampleOrg({ users: 0 })).toThrow(/users must be a positive whole number/);
  });
});
