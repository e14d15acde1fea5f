// Shared by the delivery suites: a small organisation in the Graph stand-in, messages published through the
// real API (created, submitted, approved, started on the test clock), and what the stand-ins received.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, loadDirectory, type Client } from './support.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const ALL_STAFF = '0b0b0b0b-0000-4000-8000-000000000001';
export const SALES = '0b0b0b0b-0000-4000-8000-000000000002';
export const PARIS_SALES = '0b0b0b0b-0000-4000-8000-000000000003';
export const ENGINEERING = '0b0b0b0b-0000-4000-8000-000000000004';

export interface OrgUser {
  userPrincipalName: string;
  displayName?: string;
  mail?: string | null;
  department?: string;
  companyName?: string;
  officeLocation?: string;
  city?: string;
  country?: string;
  preferredLanguage?: string;
  userType?: 'Member' | 'Guest';
  accountEnabled?: boolean;
}

const user = (name: string, more: Partial<OrgUser> = {}): OrgUser => ({
  userPrincipalName: `${name}@contoso.test`,
  displayName: name[0]!.toUpperCase() + name.slice(1),
  mail: `${name}@contoso.test`,
  ...more,
});

/** Nested three deep: All staff ⊃ Sales ⊃ Paris sales; Engineering is in All staff too. */
export const ORG = {
  users: [
    user('amelie', { department: 'Sales', city: 'Paris', country: 'France', companyName: 'Contoso SAS', preferredLanguage: 'fr-FR' }),
    user('bruno', { department: 'Sales', city: 'Paris', country: 'France', companyName: 'Contoso SAS', preferredLanguage: 'fr-FR' }),
    user('sally', {
      department: 'Sales',
      city: 'London',
      country: 'United Kingdom',
      companyName: 'Contoso Ltd',
      preferredLanguage: 'en-GB',
    }),
    user('erin', {
      department: 'Engineering',
      city: 'London',
      country: 'United Kingdom',
      companyName: 'Contoso Ltd',
      preferredLanguage: 'en-GB',
    }),
    user('ed', { department: 'Engineering', city: 'Berlin', country: 'Germany', companyName: 'Contoso GmbH', preferredLanguage: 'de-DE' }),
    user('nomail', { department: 'Engineering', city: 'Berlin', country: 'Germany', mail: null }),
    user('gail', { department: 'Sales', city: 'Paris', userType: 'Guest' }),
    user('dan', { department: 'Sales', city: 'Paris', accountEnabled: false }),
    // Not in any group; ACS reports mail to fail… addresses as suppressed.
    user('failfred', { department: 'Sales', city: 'Paris', country: 'France', companyName: 'Contoso SAS' }),
  ],
  groups: [
    { id: ALL_STAFF, displayName: 'All staff', members: [SALES, ENGINEERING] },
    { id: SALES, displayName: 'Sales', members: [PARIS_SALES, 'sally@contoso.test', 'gail@contoso.test'] },
    {
      id: PARIS_SALES,
      displayName: 'Paris sales',
      members: ['amelie@contoso.test', 'bruno@contoso.test', 'dan@contoso.test', 'sally@contoso.test'],
    },
    { id: ENGINEERING, displayName: 'Engineering', members: ['erin@contoso.test', 'ed@contoso.test', 'nomail@contoso.test', ALL_STAFF] },
  ],
};

export const newTenant = () => randomUUID();

export const putDirectory = (host: TestHost, tenant: string, directory: { users: OrgUser[]; groups: unknown[] } = ORG) =>
  loadDirectory(host, tenant, directory);

/** A directory of `count` people, all in ALL_STAFF, and a writer and an approver for the tenant. */
export async function crowd(host: TestHost, tenant: string, count: number): Promise<Team> {
  const users = Array.from({ length: count }, (_, i) => ({ userPrincipalName: `p${i}@contoso.test` }));
  await putDirectory(host, tenant, {
    users,
    groups: [{ id: ALL_STAFF, displayName: 'All staff', members: users.map((u) => u.userPrincipalName) }],
  });
  return {
    writer: await as(host, tenant, 'wendy@contoso.test', ['Messages.Write', 'Reports.Read'], '400d'),
    approver: await as(host, tenant, 'abe@contoso.test', ['Messages.Approve'], '400d'),
  };
}

export interface FeedEntry {
  userId: string;
  chainId?: number;
  previewText: { content: string };
  topic: { value: string; webUrl?: string };
  replaced: number;
}

/** What the Teams stand-in recorded for the tenant (one entry per user and chainId, as Teams shows it). */
export async function teamsFeed(host: TestHost, tenant: string) {
  const res = await host.fetch(`/devhost/graph/_control/teams/feed?tenant=${tenant}`);
  expect(res.status).toBe(200);
  return (await res.json()) as {
    stats: { throttled: number; notifications: number; replaced: number; requests: { bulk: number } };
    entries: FeedEntry[];
  };
}

export async function setGraphThrottling(host: TestHost, settings: { teams: boolean; requestsPerSecond?: number | null }) {
  const res = await host.fetch('/devhost/graph/_control/throttling', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

export interface Team {
  writer: Client;
  approver: Client;
}

/**
 * What a pre-made template takes from the writer: its objective is the template's (as `GET /api/templates`
 * says) and only the link is theirs — the words are the template's.
 */
async function premadeParts(writer: Client, draft: Record<string, unknown>): Promise<Record<string, unknown>> {
  const template = draft.template as { kind: string; id?: string } | undefined;
  if (template?.kind !== 'premade') return {};
  const res = await writer(`/api/templates?location=${String(draft.location ?? 'teams')}`);
  const { items } = (await res.json()) as { items: { id: string; objective: string }[] };
  const found = items.find((i) => i.id === template.id);
  return { objective: found?.objective, content: { callToAction: { url: 'https://intranet.contoso.test/lock' } } };
}

/** Creates, submits and approves a message, then moves the test clock to its start. Returns its id. */
export async function publish(host: TestHost, { writer, approver }: Team, draft: Record<string, unknown>): Promise<string> {
  const t = (await host.clock.now()).getTime();
  const created = await writer('/api/messages', {
    body: {
      name: 'Delivery test',
      objective: 'security',
      location: 'teams',
      template: { kind: 'custom' },
      content: {
        title: 'Lock your screen',
        body: 'Press Win+L when you step away.',
        callToAction: { label: 'Read more', url: 'https://intranet.contoso.test/lock' },
      },
      audience: { groups: [ALL_STAFF] },
      schedule: { start: new Date(t + HOUR).toISOString(), end: new Date(t + 8 * DAY).toISOString(), frequency: 'once' },
      ...(await premadeParts(writer, draft)),
      ...draft,
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const { id, schedule, template } = (await created.json()) as { id: string; schedule: { start: string }; template: { kind: string } };
  expect((await writer(`/api/messages/${id}/submit`, { body: {} })).status).toBe(200);
  if (template.kind === 'custom') expect((await approver(`/api/messages/${id}/approve`, { body: {} })).status).toBe(200);
  await host.clock.set(Date.parse(schedule.start));
  return id;
}

export interface Progress {
  occurrence: number;
  state: string;
  recipients: number;
  sent: number;
  failed: number;
  pending: number;
  throttled: number;
  cancelled: number;
  eta?: string;
}

export async function delivery(client: Client, id: string) {
  const res = await client(`/api/messages/${id}/delivery`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { status: string; channel: string; occurrences: Progress[] };
}

/** Waits (real time) until the occurrence's delivery is done. */
export async function delivered(client: Client, id: string, occurrence = 0, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await delivery(client, id);
    const occ = d.occurrences.find((o) => o.occurrence === occurrence);
    if (occ?.state === 'done') return occ;
    if (Date.now() > deadline) throw new Error(`occurrence ${occurrence} not delivered: ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const status = async (client: Client, id: string) =>
  ((await (await client(`/api/messages/${id}`)).json()) as { status: string }).status;

export interface ReceivedEmail {
  id: string;
  to: { address: string }[];
  subject: string;
  html?: string;
  plainText?: string;
}

/** What the ACS Email stand-in accepted for `address` (every tenant shares it, so tests use their own addresses or reset). */
export async function emailsTo(host: TestHost, address: string): Promise<ReceivedEmail[]> {
  const res = await host.fetch(`/devhost/acs/_control/emails?to=${encodeURIComponent(address)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { emails: ReceivedEmail[] }).emails;
}

/** The tracked call-to-action link in an email's html (the same one its plain text carries). */
export const trackedLink = (email: ReceivedEmail) => /href="([^"]*\/api\/r\/[^"]+)"/.exec(email.html ?? '')?.[1]?.replaceAll('&amp;', '&');

export async function resetEmails(host: TestHost) {
  expect((await host.fetch('/devhost/acs/_control/reset', { method: 'POST' })).status).toBeLessThan(300);
}
