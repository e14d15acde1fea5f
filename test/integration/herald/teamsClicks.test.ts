// Teams clicks count per person: a Teams bulk notification carries one link for all its recipients, and a
// click on it counts for the signed-in person who follows it (their Entra token, as Teams single sign-on
// sends it) — once per person however often, never for someone of another tenant or with no token.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, startHerald, type Client } from './support.js';
import { delivered, newTenant, PARIS_SALES, publish, putDirectory, teamsFeed } from './deliverySupport.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHerald({ clock: 'test', env: { TEAMS_REQUESTS_PER_SECOND: '0' } });
});
afterAll(async () => {
  await host?.stop();
});

type Activity = { clicks: number; clickers: number; clickThroughRate: number };
const activityOf = async (writer: Client, id: string) =>
  ((await (await writer(`/api/messages/${id}`)).json()) as { activity: Activity }).activity;

test('two people follow the Teams link, one of them twice: 2 clicks by 2 people, a click-through rate of at most 100 %', async () => {
  const tenant = newTenant();
  await putDirectory(host, tenant);
  const writer = await as(host, tenant, 'wendy@contoso.test', ['Messages.Write', 'Reports.Read'], '400d');
  const approver = await as(host, tenant, 'abe@contoso.test', ['Messages.Approve'], '400d');
  const id = await publish(host, { writer, approver }, { audience: { groups: [PARIS_SALES] } });
  expect(await delivered(writer, id)).toMatchObject({ sent: 3 });

  const links = new Set((await teamsFeed(host, tenant)).entries.map((e) => e.topic.webUrl));
  expect(links.size).toBe(1);
  const link = [...links][0]!;
  expect(link.startsWith(`${host.url}/api/r/`)).toBe(true);
  const path = link.slice(host.url.length);

  const amelie = await as(host, tenant, 'amelie@contoso.test', [], '400d');
  const bruno = await as(host, tenant, 'bruno@contoso.test', [], '400d');
  const outsider = await as(host, newTenant(), 'mallory@fabrikam.test', [], '400d');
  for (const follower of [amelie, amelie, bruno, outsider]) {
    const res = await follower(path, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://intranet.contoso.test/lock');
  }
  // Nobody signed in: the person still gets where the link goes, and nothing is counted.
  const anonymous = await fetch(link, { redirect: 'manual' });
  expect(anonymous.status).toBe(302);
  expect(anonymous.headers.get('location')).toBe('https://intranet.contoso.test/lock');

  const deadline = Date.now() + 30_000;
  while ((await activityOf(writer, id)).clickers < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await host.idle();
  const activity = await activityOf(writer, id);
  expect(activity).toMatchObject({ clicks: 2, clickers: 2 });
  expect(activity.clickThroughRate).toBeLessThanOrEqual(1);
});
