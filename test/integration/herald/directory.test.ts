// Herald's Graph adapters (directory and Teams) through the real Graph SDK against devhost's Graph stand-in,
// configured only by settings, as a local run is. The adapters run in this process with the host's URLs.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { directory } from '../../../adapters/services/graphDirectory.js';
import { sendTeamsBulk, type TeamsNotification } from '../../../adapters/services/teamsNotifier.js';
import { DIRECTORY_USER_FIELDS, type DirectoryUser } from '../../../core/audience.js';
import { objectId } from '@herald/devhost/testing';
import { generateSampleOrg } from '@herald/devhost/testing';
import type { TestHost } from '@herald/devhost/testing';
import { startHerald } from './support.js';

const NOW = '2026-05-04T08:00:00.000Z';
const USERS = 2500;
const SEED = 5;
const GRAPH_ENV = ['GRAPH_ENDPOINT', 'GRAPH_AUTHORITY', 'GRAPH_CLIENT_ID', 'GRAPH_CLIENT_SECRET'] as const;

let host: TestHost;
const tenant = randomUUID();
const org = generateSampleOrg({ tenantId: tenant, users: USERS, seed: SEED });
const groupId = (name: string) => objectId(tenant, `group:${name}`);
const saved = Object.fromEntries(GRAPH_ENV.map((k) => [k, process.env[k]]));

const control = async (path: string, method: string, body?: unknown) => {
  const res = await host.fetch(`/devhost/graph/_control${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.ok, await res.clone().text()).toBe(true);
  return res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>);
};

interface Feed {
  stats: { requests: { single: number; bulk: number }; throttled: number };
  entries: { userId: string; chainId: number; topic: { value: string; webUrl: string }; previewText: { content: string }; kind: string }[];
}
const feed = async () => (await control(`/teams/feed?tenant=${tenant}`, 'GET')) as unknown as Feed;

async function collect(pages: AsyncIterable<DirectoryUser[]>) {
  const sizes: number[] = [];
  const users: DirectoryUser[] = [];
  for await (const page of pages) {
    sizes.push(page.length);
    users.push(...page);
  }
  return { sizes, users };
}

const note = (chainId: number): TeamsNotification => ({
  chainId,
  previewText: 'Patch Tuesday: restart tonight',
  webUrl: 'https://herald.example/r/abc',
  topic: 'IT announcements',
});

beforeAll(async () => {
  host = await startHerald({ clock: NOW, env: { GRAPH_CLIENT_ID: 'herald-local', GRAPH_CLIENT_SECRET: 'local-secret' } });
  Object.assign(process.env, {
    GRAPH_ENDPOINT: `${host.url}/devhost/graph`,
    GRAPH_AUTHORITY: `${host.url}/devhost/identity`,
    GRAPH_CLIENT_ID: 'herald-local',
    GRAPH_CLIENT_SECRET: 'local-secret',
  });
  await control(`/tenants/${tenant}/generate`, 'POST', { users: USERS, seed: SEED });
});
afterAll(async () => {
  for (const k of GRAPH_ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await host?.stop();
});

describe('directory()', () => {
  test('groupMembers pages through nested groups (999 a page), users only, each once, with the audience attributes', async () => {
    const { sizes, users } = await collect(directory().groupMembers(tenant, groupId('All Staff')));
    const staff = org.users.filter((u) => u.userType !== 'Guest');
    expect(sizes).toEqual([999, 999, staff.length - 1998]);
    expect(new Set(users.map((u) => u.id)).size).toBe(staff.length);
    expect(new Set(users.map((u) => u.id))).toEqual(new Set(staff.map((u) => u.id)));
    expect(Object.keys(users[0]!).sort()).toEqual([...DIRECTORY_USER_FIELDS].sort());
    const again = await collect(directory().groupMembers(tenant, groupId('All Staff')));
    expect(again.users.map((u) => u.id)).toEqual(users.map((u) => u.id));
  });

  test('allUsers lists everyone, guests and disabled accounts included (the audience rules filter them)', async () => {
    const { users } = await collect(directory().allUsers(tenant));
    expect(users).toHaveLength(USERS);
    expect(users.some((u) => u.userType === 'Guest')).toBe(true);
    expect(users.some((u) => u.accountEnabled === false)).toBe(true);
  });

  test('user() by object id, undefined when unknown', async () => {
    const someone = org.users[3]!;
    expect(await directory().user(tenant, someone.id!)).toMatchObject({
      id: someone.id,
      userPrincipalName: someone.userPrincipalName,
      department: someone.department,
      city: someone.city,
      preferredLanguage: someone.preferredLanguage,
    });
    expect(await directory().user(tenant, randomUUID())).toBeUndefined();
  });

  test('memberOf gives every group through nesting, lower-cased', async () => {
    const londoner = org.users.find((u) => u.city === 'London')!;
    const groups = await directory().memberOf(tenant, londoner.id!.toUpperCase());
    expect(groups).toEqual(
      expect.arrayContaining([groupId('Office - London'), groupId('All Europe'), groupId('Global Offices'), groupId('All Staff')]),
    );
    expect(groups.every((g) => g === g.toLowerCase())).toBe(true);
    expect(await directory().memberOf(tenant, randomUUID())).toEqual([]);
  });

  test('userWithGroups is user() and memberOf in one $batch, undefined for a user the directory does not know', async () => {
    const londoner = org.users.find((u) => u.city === 'London')!;
    const [alone, groups] = [await directory().user(tenant, londoner.id!), await directory().memberOf(tenant, londoner.id!)];
    const both = await directory().userWithGroups(tenant, londoner.id!);
    expect(both?.user).toEqual(alone);
    expect([...both!.groups].sort()).toEqual([...groups].sort());
    expect(await directory().userWithGroups(tenant, randomUUID())).toBeUndefined();
    // Throttled steps (each answered apart inside the batch) are read again on their own, waiting out Retry-After.
    await control('/throttling', 'PUT', { teams: false, requestsPerSecond: 1 });
    try {
      for (let i = 0; i < 3; i++) expect(await directory().userWithGroups(tenant, londoner.id!)).toEqual(both);
    } finally {
      await control('/throttling', 'PUT', { teams: false, requestsPerSecond: null });
    }
  });

  test('usage maps lower-cased UPNs to the last Copilot and Teams Copilot activity dates, null for never', async () => {
    const usage = await directory().usage(tenant);
    const licensed = org.users.filter((u) => u.copilotActivity);
    expect(usage.size).toBe(licensed.length);
    const day = (daysAgo: number) => new Date(Date.parse(NOW) - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const teamsUser = licensed.find((u) => u.copilotActivity!.microsoftTeams !== undefined)!;
    const days = Object.values(teamsUser.copilotActivity!);
    expect(usage.get(teamsUser.userPrincipalName.toLowerCase())).toMatchObject({
      copilot: day(Math.min(...days)),
      teamsCopilot: day(teamsUser.copilotActivity!.microsoftTeams!),
    });
    const wordUser = licensed.find((u) => u.copilotActivity!.word !== undefined)!;
    expect(usage.get(wordUser.userPrincipalName.toLowerCase())).toMatchObject({ wordCopilot: day(wordUser.copilotActivity!.word!) });
    const never = licensed.find((u) => Object.keys(u.copilotActivity!).length === 0)!;
    expect(Object.values(usage.get(never.userPrincipalName.toLowerCase())!)).toEqual(Array(9).fill(null));
  });

  test('reads wait out 429s (Retry-After) and still return everything', async () => {
    await control('/throttling', 'PUT', { teams: false, requestsPerSecond: 1 });
    try {
      const before = (await control('/throttling', 'GET'))!.throttled as number;
      const { users } = await collect(directory().allUsers(tenant));
      expect(users).toHaveLength(USERS);
      expect((await control('/throttling', 'GET'))!.throttled).toBeGreaterThan(before);
    } finally {
      await control('/throttling', 'PUT', { teams: false, requestsPerSecond: null });
    }
  });
});

describe('Teams', () => {
  const staff = () => org.users.filter((u) => u.userType !== 'Guest').map((u) => u.id!);

  test('sendTeamsBulk delivers one request to up to 100 users, as a text topic opening the click link', async () => {
    const ids = staff().slice(0, 100);
    expect(await sendTeamsBulk(tenant, ids, note(41))).toEqual({ status: 'sent' });
    const { entries } = await feed();
    const sent = entries.filter((e) => e.chainId === 41);
    expect(sent.map((e) => e.userId)).toEqual(ids);
    expect(sent[0]).toMatchObject({
      kind: 'bulk',
      topic: { value: 'IT announcements', webUrl: 'https://herald.example/r/abc' },
      previewText: { content: 'Patch Tuesday: restart tonight' },
    });
  });

  test('a resend with the same chainId replaces the notification in the feed', async () => {
    const user = staff()[200]!;
    expect(await sendTeamsBulk(tenant, [user], note(42))).toEqual({ status: 'sent' });
    expect(await sendTeamsBulk(tenant, [user], { ...note(42), previewText: 'Reminder' })).toEqual({ status: 'sent' });
    const mine = (await feed()).entries.filter((e) => e.userId === user);
    expect(mine.map((e) => [e.chainId, e.previewText.content])).toEqual([[42, 'Reminder']]);
  });

  test('a 429 comes back as throttled with Retry-After, and is not retried by the adapter', async () => {
    await control('/throttling', 'PUT', { teams: true });
    try {
      const before = (await feed()).stats;
      const outcomes = await Promise.all(
        [0, 1, 2, 3, 4].map((i) => sendTeamsBulk(tenant, staff().slice(i * 10, i * 10 + 10), note(50 + i))),
      );
      const throttled = outcomes.filter((o) => o.status === 'throttled');
      expect(throttled.length).toBeGreaterThanOrEqual(3);
      for (const o of throttled) expect(o).toMatchObject({ status: 'throttled', retryAfterMs: 1000 });
      const after = (await feed()).stats;
      expect(after.requests.bulk - before.requests.bulk).toBe(5);
      expect(after.throttled - before.throttled).toBe(throttled.length);
    } finally {
      await control('/throttling', 'PUT', { teams: false });
    }
  });

  test('a request Graph refuses fails permanently; an unreachable Graph fails for now', async () => {
    const refused = await sendTeamsBulk(tenant, staff().slice(0, 2), { ...note(60), webUrl: 'not a link' });
    expect(refused).toMatchObject({ status: 'failed', permanent: true });
    expect(refused.status === 'failed' && refused.reason).toMatch(/400.*webUrl/);
    const endpoint = process.env.GRAPH_ENDPOINT;
    process.env.GRAPH_ENDPOINT = 'http://127.0.0.1:9';
    try {
      expect(await sendTeamsBulk(tenant, staff().slice(0, 2), note(61))).toMatchObject({ status: 'failed', permanent: false });
    } finally {
      process.env.GRAPH_ENDPOINT = endpoint;
    }
  });

  test('a 412 (token too close to expiry for a bulk send) gets a fresh token and one retry', async () => {
    // An authority whose first token has 30 minutes left while it claims an hour (clocks disagree); later
    // requests go to the real one.
    const shortLived = await host.token({ tenant, user: 'herald-daemon', audience: 'https://graph.microsoft.com', expiresIn: '30m' });
    let requests = 0;
    const authority: Server = createServer((req, res) => {
      requests++;
      if (requests === 1)
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: shortLived }));
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        void fetch(`${host.url}/devhost/identity${req.url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        }).then(async (real) => res.writeHead(real.status, { 'content-type': 'application/json' }).end(await real.text()));
      });
    });
    await new Promise<void>((r) => authority.listen(0, '127.0.0.1', r));
    const previous = process.env.GRAPH_AUTHORITY;
    process.env.GRAPH_AUTHORITY = `http://127.0.0.1:${(authority.address() as AddressInfo).port}`;
    try {
      expect(await sendTeamsBulk(tenant, staff().slice(0, 3), note(70))).toEqual({ status: 'sent' });
      expect(requests).toBe(2);
      expect((await feed()).entries.filter((e) => e.chainId === 70)).toHaveLength(3);
    } finally {
      process.env.GRAPH_AUTHORITY = previous;
      await new Promise((r) => authority.close(r));
    }
  });
});
