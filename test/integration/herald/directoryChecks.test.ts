// Audiences are checked against the directory when a message is submitted, approved and sent: each group,
// company, department and location the organisation does not have is a 400 naming it, and nothing changes.
// When the directory does not answer at all, device endpoints say so: 503 problem+json with Retry-After.
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, loadDirectory, startHerald, type Client } from './support.js';

const TENANT = '33333333-3333-4333-8333-3333333333c1';
const GROUP = '0c0c0c0c-1111-4111-8111-000000000001';
const GONE = '0c0c0c0c-1111-4111-8111-0000000000ff';
const NEVER = '0c0c0c0c-1111-4111-8111-0000000000fe';
const DAY = 86_400_000;

const users = [
  { userPrincipalName: 'una@contoso.test', department: 'Sales', companyName: 'Contoso Ltd', city: 'Paris' },
  { userPrincipalName: 'neo@contoso.test', department: 'Engineering', officeLocation: 'Building 7' },
];
const directoryWith = (groups: string[]) => ({
  users,
  groups: groups.map((id) => ({ id, displayName: `Group ${id.slice(-4)}`, members: ['una@contoso.test'] })),
});

let host: TestHost;
let ann: Client;
let abe: Client;
beforeAll(async () => {
  host = await startHerald();
  await loadDirectory(host, TENANT, directoryWith([GROUP, GONE]));
  ann = await as(host, TENANT, 'ann@contoso.test', ['Messages.Write']);
  abe = await as(host, TENANT, 'abe@contoso.test', ['Messages.Approve']);
});
afterAll(async () => {
  await host?.stop();
});

async function draft(audience: Record<string, unknown>): Promise<string> {
  const start = Date.now() + DAY;
  const res = await ann('/api/messages', {
    body: {
      name: 'Directory check',
      objective: 'security',
      location: 'spotlight',
      template: { kind: 'custom' },
      content: { title: 'Lock your screen', body: 'Press Win+L when you step away.' },
      audience,
      schedule: { start: new Date(start).toISOString(), end: new Date(start + 7 * DAY).toISOString(), frequency: 'once' },
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const statusOf = async (id: string) => ((await (await ann(`/api/messages/${id}`)).json()) as { status: string }).status;

interface ProblemBody {
  type: string;
  detail: string;
  errors?: { path: string; message: string }[];
}

test('submit: each unknown group, department and location is named; what the directory has passes; the draft stays a draft', async () => {
  const id = await draft({
    groups: [GROUP, NEVER],
    departments: ['sales', 'Nowhere'],
    locations: ['Paris', 'Building 7', 'Atlantis'],
    companies: ['Contoso Ltd'],
  });
  const res = await ann(`/api/messages/${id}/submit`, { body: {} });
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = (await res.json()) as ProblemBody;
  expect(problem.errors).toEqual([
    { path: 'audience.groups.1', message: 'no such group in the directory' },
    { path: 'audience.departments.1', message: 'no user in the directory has a department "Nowhere"' },
    { path: 'audience.locations.2', message: 'no user in the directory has an office, city or country "Atlantis"' },
  ]);
  expect(problem.detail).toContain('audience.groups.1: no such group in the directory');
  expect(await statusOf(id)).toBe('Draft');
});

test('approve: a group deleted since submission is named, and the message keeps waiting for approval', async () => {
  const id = await draft({ groups: [GROUP, GONE] });
  const submitted = await ann(`/api/messages/${id}/submit`, { body: {} });
  expect(submitted.status, await submitted.clone().text()).toBe(200);
  await loadDirectory(host, TENANT, directoryWith([GROUP]));

  const res = await abe(`/api/messages/${id}/approve`, { body: {} });
  expect(res.status).toBe(400);
  expect(((await res.json()) as ProblemBody).errors).toEqual([{ path: 'audience.groups.1', message: 'no such group in the directory' }]);
  expect(await statusOf(id)).toBe('PendingApproval');
  // Rejecting needs no audience.
  expect((await abe(`/api/messages/${id}/reject`, { body: { comment: 'the group is gone' } })).status).toBe(200);
  await loadDirectory(host, TENANT, directoryWith([GROUP, GONE]));
});

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('the directory down: device endpoints answer 503 problem+json with Retry-After, never 500', async () => {
  const down = await startHerald({ env: { GRAPH_ENDPOINT: `http://127.0.0.1:${await closedPort()}` } });
  try {
    const una = await as(down, TENANT, 'una@contoso.test', []);
    for (const res of [
      await una('/api/inbox?surface=spotlight'),
      await una('/api/inbox/000000000000000000000/events', { body: { type: 'seen', clientEventId: 'evt-1' } }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const problem = (await res.json()) as ProblemBody;
      expect(problem.type).toBe('https://herald.example/problems/unavailable');
      expect(problem.detail).toMatch(/^the directory \(Microsoft Graph\) is unavailable: .*; try again in \d+ s$/);
    }
  } finally {
    await down.stop();
  }
});
