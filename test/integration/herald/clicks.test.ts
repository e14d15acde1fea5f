// Signed click links (`GET /api/r/{token}`): the inbox hands them out behind each call to action, the Teams and
// email channels put the same kind of link in what they send; following one records one click and redirects.
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { clickUrl } from '../../../adapters/runtime/clickLinks.js';
import type { TestHost } from '@herald/devhost/testing';
import {
  CLICK_SECRET,
  GROUP,
  idsIn,
  inboxOf,
  putDirectory,
  sendEvent,
  startInboxHerald,
  summaryRow,
  urgentMessage,
  userIdOf,
} from './inboxSupport.js';
import { as, TENANT_A, type Client } from './support.js';

const DESTINATION = 'https://security.contoso.test/report?src=herald';
let host: TestHost;
let writer: Client;
let approver: Client;
let una: Client;
let unaId: string;
let niaId: string;

beforeAll(async () => {
  host = await startInboxHerald();
  writer = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write'], '30d');
  approver = await as(host, TENANT_A, 'abe@contoso.test', ['Messages.Approve'], '30d');
  una = await as(host, TENANT_A, 'una@contoso.test', [], '30d');
  [unaId, niaId] = (await Promise.all(['una@contoso.test', 'nia@contoso.test'].map((upn) => userIdOf(host, TENANT_A, upn)))) as [
    string,
    string,
  ];
  await putDirectory(
    host,
    TENANT_A,
    [{ userPrincipalName: 'una@contoso.test' }, { userPrincipalName: 'nia@contoso.test' }],
    [{ id: GROUP, members: ['una@contoso.test', 'nia@contoso.test'] }],
  );
});
afterAll(async () => {
  await host?.stop();
});

const withCallToAction = () =>
  urgentMessage(
    host,
    { writer, approver },
    {
      content: { title: 'Phishing alert', body: 'Report suspicious email.', callToAction: { label: 'Report it', url: DESTINATION } },
    },
  );

const follow = (url: string) => fetch(url, { redirect: 'manual' });

async function clickedBy(messageId: string): Promise<string[]> {
  const table = TableClient.fromConnectionString(host.storage, 'clicks', { allowInsecureConnection: true });
  const users: string[] = [];
  for await (const row of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${TENANT_A}:${messageId}'` } }))
    users.push(row.rowKey!);
  return users;
}

test('following the inbox’s call to action redirects to it and records one click, however often it is followed', async () => {
  const id = await withCallToAction();
  const [shown] = (await inboxOf(una, 'taskbar')).filter((m) => m.id === id);
  const link = shown!.callToAction!;
  expect(link.label).toBe('Report it');
  expect(link.url.startsWith(`${host.url}/api/r/`)).toBe(true);

  for (let i = 0; i < 3; i++) {
    const res = await follow(link.url);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(DESTINATION);
  }
  expect(await summaryRow(host, TENANT_A, unaId, id)).toMatchObject({ clickCount: 1, seenCount: 0, lastChannel: 'inbox' });
  expect(await clickedBy(id)).toEqual([unaId]);
  // Clicked: the urgent message has been acted on and leaves the Taskbar.
  expect(await idsIn(una, 'taskbar')).not.toContain(id);
});

test('a link another channel sent counts the click for that channel', async () => {
  const id = await withCallToAction();
  process.env.CLICK_LINK_SECRET = CLICK_SECRET;
  process.env.PUBLIC_BASE_URL = host.url;
  const emailed = await clickUrl({ tenantId: TENANT_A, messageId: id, occurrence: 0, userId: niaId, channel: 'email', url: DESTINATION });
  const res = await follow(emailed);
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toBe(DESTINATION);
  expect(await summaryRow(host, TENANT_A, niaId, id)).toMatchObject({ clickCount: 1, lastChannel: 'email' });
  expect(await clickedBy(id)).toEqual([niaId]);
});

test("one person's click counts once however it arrives: the device's event and the link it opened are one click, 100 % at most", async () => {
  const id = await withCallToAction();
  const [shown] = (await inboxOf(una, 'taskbar')).filter((m) => m.id === id);
  expect((await sendEvent(una, id, 'seen')).status).toBe(201);
  expect((await sendEvent(una, id, 'clicked')).status).toBe(201);
  expect((await follow(shown!.callToAction!.url)).status).toBe(302);
  expect((await sendEvent(una, id, 'clicked')).status).toBe(201);

  type Activity = { seen: number; clicks: number; clickers: number; clickThroughRate: number };
  const activityOf = async () => ((await (await writer(`/api/messages/${id}`)).json()) as { activity: Activity }).activity;
  // Counts land a moment after the events: wait for the view, then for anything still on its way.
  const deadline = Date.now() + 30_000;
  while ((await activityOf()).seen < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await host.idle();
  expect(await activityOf()).toMatchObject({ seen: 1, clicks: 1, clickers: 1, clickThroughRate: 1 });
});

test('a forged or broken link answers 400 and records nothing', async () => {
  const id = await withCallToAction();
  const [shown] = (await inboxOf(una, 'taskbar')).filter((m) => m.id === id);
  const token = shown!.callToAction!.url.split('/api/r/')[1]!;
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forged = [
    // The same signature over someone else's click, or over another destination.
    `${header}.${Buffer.from(JSON.stringify({ ...claims, u: niaId })).toString('base64url')}.${signature}`,
    `${header}.${Buffer.from(JSON.stringify({ ...claims, l: 'https://evil.test/' })).toString('base64url')}.${signature}`,
    'not-a-token',
  ];
  for (const bad of forged) {
    const res = await follow(`${host.url}/api/r/${bad}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['token']);
  }
  expect(await summaryRow(host, TENANT_A, niaId, id)).toBeUndefined();
  expect(await summaryRow(host, TENANT_A, unaId, id)).toBeUndefined();
  expect(await clickedBy(id)).toEqual([]);
});
