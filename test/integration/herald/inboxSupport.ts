// Shared by the inbox and click-link suites: Herald on devhost with the Graph stand-in as its directory and a
// click-link secret, a small organisation, and messages made Active through the real API.
import { TableClient } from '@azure/data-tables';
import { expect } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { AUDIENCE, loadDirectory, startHerald, type Client } from './support.js';

export { CLICK_SECRET } from './support.js';
export const GROUP = '0a0a0a0a-1111-4111-8111-000000000001';
export const SUBGROUP = '0a0a0a0a-1111-4111-8111-000000000002';
import { DAY, HOUR } from './deliverySupport.js';

export { DAY, HOUR };
/** The inbox caches the tenant's messages for a few seconds: a device polling later sees changes after this. */
export const CACHE_SETTLE_MS = 6_000;

export const startInboxHerald = (env: Record<string, string> = {}) => startHerald({ clock: 'test', env });

export interface OrgUser {
  userPrincipalName: string;
  userType?: 'Member' | 'Guest';
  accountEnabled?: boolean;
  department?: string;
}

/** Loads a tenant's directory into the Graph stand-in; users get the ids tokens for the same UPN carry. */
export const putDirectory = (host: TestHost, tenant: string, users: OrgUser[], groups: { id: string; members: string[] }[]) =>
  loadDirectory(host, tenant, { users, groups: groups.map((g) => ({ displayName: `Group ${g.id.slice(-4)}`, ...g })) });

export interface Writers {
  writer: Client;
  approver: Client;
}

/** A message that is Active now: created, submitted, approved, and its start reached on the test clock. */
export async function activeMessage(host: TestHost, { writer, approver }: Writers, draft: Record<string, unknown>): Promise<string> {
  const t = (await host.clock.now()).getTime();
  const schedule = { start: new Date(t + HOUR).toISOString(), end: new Date(t + 8 * DAY).toISOString(), frequency: 'daily' };
  const created = await writer('/api/messages', {
    body: {
      name: 'Inbox test',
      objective: 'security',
      location: 'spotlight',
      template: { kind: 'custom' },
      content: { title: 'Lock your screen', body: 'Press Win+L when you step away.' },
      audience: { groups: [GROUP] },
      ...draft,
      schedule: { ...schedule, ...(draft.schedule as object | undefined) },
    },
  });
  expect(created.status).toBe(201);
  const { id, schedule: saved } = (await created.json()) as { id: string; schedule: { start: string } };
  expect((await writer(`/api/messages/${id}/submit`, { body: {} })).status).toBe(200);
  expect((await approver(`/api/messages/${id}/approve`, { body: {} })).status).toBe(200);
  await host.clock.set(Date.parse(saved.start));
  await host.idle();
  expect(((await (await writer(`/api/messages/${id}`)).json()) as { status: string }).status).toBe('Active');
  await host.clock.advance(CACHE_SETTLE_MS);
  return id;
}

/**
 * An urgent message sent now — its custom words approved at once — and Delivered, visible to devices after
 * the cache settles.
 */
export async function urgentMessage(host: TestHost, { writer, approver }: Writers, draft: Record<string, unknown> = {}): Promise<string> {
  const created = await writer('/api/messages', {
    body: {
      name: 'Urgent inbox test',
      objective: 'security',
      location: 'taskbar',
      urgent: true,
      template: { kind: 'custom' },
      content: { title: 'Phishing alert', body: 'Do not open the “invoice” email.' },
      audience: { groups: [GROUP] },
      ...draft,
    },
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  expect((await writer(`/api/messages/${id}/send`, { body: {} })).status).toBe(200);
  expect((await approver(`/api/messages/${id}/approve`, { body: {} })).status).toBe(200);
  await host.idle();
  await host.clock.advance(CACHE_SETTLE_MS);
  return id;
}

export interface InboxMessage {
  id: string;
  title: string;
  body: string;
  language: string;
  image?: string;
  callToAction?: { label: string; url: string };
  urgent: boolean;
  occurrence: number;
  showUntil: string;
}

export async function inboxOf(client: Client, surface = 'spotlight'): Promise<InboxMessage[]> {
  const res = await client(`/api/inbox?surface=${surface}`);
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as { surface: string; messages: InboxMessage[] };
  expect(body.surface).toBe(surface);
  return body.messages;
}

export const idsIn = async (client: Client, surface = 'spotlight') => (await inboxOf(client, surface)).map((m) => m.id);

let eventSerial = 0;
export const sendEvent = (client: Client, messageId: string, type: string, extra: Record<string, unknown> = {}) =>
  client(`/api/inbox/${messageId}/events`, { body: { type, clientEventId: `evt-${++eventSerial}`, ...extra } });

/** The recipient's summary row for a message, as stored (docs/storage.md `interactions`). */
export async function summaryRow(host: TestHost, tenant: string, userId: string, messageId: string) {
  const table = TableClient.fromConnectionString(host.storage, 'interactions', { allowInsecureConnection: true });
  try {
    return await table.getEntity<Record<string, unknown>>(`${tenant}:${userId}`, messageId);
  } catch {
    return undefined;
  }
}

/** The `oid` of a token: the user id tokens and the directory share. */
export const userIdOf = async (host: TestHost, tenant: string, upn: string) => {
  const token = await host.token({ tenant, user: upn, audience: AUDIENCE });
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { oid: string }).oid;
};
