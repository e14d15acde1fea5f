// Delivery policies and the audience estimate in Chromium over Herald on devhost with the sample organisation:
// an admin creates a policy on the policies page and sees it on the readiness page, with the person a member's
// device was turned away for; a writer in the wizard searches a group and sees the estimate and how many can
// receive on Spotlight change. Every page visited is screenshotted and checked with axe.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { AUDIENCE, startHerald } from '../integration/herald/support.js';
import { launch, signIn, signOut, visit } from './browserSupport.js';

const SAMPLE_TENANT = '5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90';
const POLICY = 'Kiosk lock screens';

interface SampleUser {
  id: string;
  userPrincipalName: string;
  userType?: string;
  accountEnabled?: boolean;
}

let host: TestHost;
let browser: Browser;
let page: Page;
let group: { id: string; displayName: string; people: SampleUser[] };
let everyone: number;
let writer: string;
let admin: string;

beforeAll(async () => {
  host = await startHerald({ startTimeoutMs: 110_000 });
  browser = await launch();
  page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, colorScheme: 'dark' })).newPage();
  const { users, groups } = (await (await host.fetch(`/devhost/graph/_control/tenants/${SAMPLE_TENANT}/directory`)).json()) as {
    users: SampleUser[];
    groups: { id: string; displayName: string; members: { kind: string; id: string }[] }[];
  };
  // Who an audience reaches: members, enabled (the tenant does not include guests).
  const reachable = new Map(users.filter((u) => u.userType !== 'Guest' && u.accountEnabled !== false).map((u) => [u.id, u]));
  everyone = reachable.size;
  // The smallest department with people: its group has them as direct members.
  const departments = groups
    .filter((g) => g.displayName.startsWith('Department - '))
    .map((g) => ({ ...g, people: g.members.flatMap((m) => reachable.get(m.id) ?? []) }))
    .filter((g) => g.people.length > 1)
    .sort((a, b) => a.people.length - b.people.length);
  group = departments[0]!;
  [writer, admin] = [...reachable.values()].filter((u) => !group.people.includes(u)).map((u) => u.userPrincipalName);
  // Custom messages need an E3 licence: the tenant admin sets it, as through the API.
  const token = await host.token({ tenant: SAMPLE_TENANT, user: admin, roles: ['Tenant.Admin'], audience: AUDIENCE });
  const res = await host.fetch('/api/tenant/settings', {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ licence: 'E3', timeZone: 'UTC' }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

test('an admin creates a delivery policy on the policies page and sees it, and whom it turned away, on the readiness page', async () => {
  await signIn(page, host, SAMPLE_TENANT, admin, ['Tenant.Admin']);
  await page.getByRole('tab', { name: 'Policies' }).click();
  await page.getByRole('heading', { name: 'Delivery policies', level: 1 }).waitFor();
  await page.getByText('No delivery policies yet').waitFor();
  await visit(page, 'policies-01-empty');

  // A group that is not a GUID is refused on its field, in the API's words.
  await page.getByLabel('Name').fill(POLICY);
  await page.getByLabel(/^Assigned to groups/).fill('kiosks');
  await page.getByLabel('Configure Windows Spotlight on Lock Screen').selectOption('false');
  await page.getByRole('button', { name: 'Create policy' }).click();
  await page.getByText('must be an Entra group object id (a GUID)').first().waitFor();
  await visit(page, 'policies-02-field-error');

  // The group is found in the directory by a word of its name and added.
  await page.getByLabel(/^Assigned to groups/).fill('');
  await page.getByLabel('Search groups in the directory').fill(group.displayName.split(' ').pop()!);
  await page
    .getByRole('list', { name: 'Groups found' })
    .getByRole('button', { name: `Add ${group.displayName}` })
    .click();
  expect(await page.getByLabel(/^Assigned to groups/).inputValue()).toBe(group.id);
  await page.getByRole('button', { name: 'Create policy' }).click();
  const row = page.getByRole('row', { name: new RegExp(POLICY) });
  await row.waitFor();
  expect(await row.innerText()).toContain('Spotlight');
  await visit(page, 'policies-03-created');

  // A member's device asks for Spotlight and gets nothing; the readiness page then names them with the policy.
  const member = group.people[0]!.userPrincipalName;
  const token = await host.token({ tenant: SAMPLE_TENANT, user: member, audience: AUDIENCE });
  const inbox = await host.fetch('/api/inbox?surface=spotlight', { headers: { authorization: `Bearer ${token}` } });
  expect(inbox.status).toBe(200);
  expect(((await inbox.json()) as { messages: unknown[] }).messages).toEqual([]);

  await page.getByRole('tab', { name: 'Readiness' }).click();
  const groups = page.getByRole('table', { name: 'Groups a policy blocks' });
  await groups.waitFor();
  const blocked = groups.getByRole('row', { name: new RegExp(POLICY) });
  // The group by the directory's name, not its id.
  await blocked.getByText(group.displayName).waitFor();
  expect(await blocked.innerText()).not.toContain(group.id);
  expect(await blocked.innerText()).toContain('Configure Windows Spotlight on Lock Screen is off');
  const person = page.getByRole('table', { name: 'People who cannot receive' }).getByRole('row', { name: new RegExp(member) });
  await person.waitFor();
  expect(await person.innerText()).toContain(`delivery policy "${POLICY}" blocks Spotlight`);
  await visit(page, 'policies-04-readiness');
  await signOut(page);
});

test('a writer searches a group in the wizard’s audience step and sees the estimate and who can receive on Spotlight change', async () => {
  await signIn(page, host, SAMPLE_TENANT, writer, ['Messages.Write']);
  await page.getByRole('button', { name: 'New message' }).click();
  await page.getByLabel(/^Name/).fill('Lock screen reminder');
  await page.getByRole('radio', { name: 'Announcement' }).check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('radio', { name: 'Spotlight' }).check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('heading', { name: 'Message', level: 2 }).waitFor();
  await page.getByLabel('Title').fill('Lock your screen');
  await page.getByLabel('Body').fill('Press Windows+L when you step away.');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('heading', { name: 'Audience', level: 2 }).or(page.getByRole('alert')).first().waitFor();
  expect(await page.getByRole('alert').count(), await page.locator('main').innerText()).toBe(0);
  await page.getByRole('heading', { name: 'Audience', level: 2 }).waitFor();

  // No group: everyone, less the policy's group on Spotlight.
  const estimate = page.getByRole('region', { name: 'Estimated audience' });
  await estimate.getByText(`${everyone} people in this audience`).waitFor();
  await estimate.getByText(`${everyone - group.people.length} of them can receive on Spotlight`).waitFor();
  await visit(page, 'policies-05-estimate-everyone');

  const word = group.displayName.split(' ').pop()!;
  await page.getByLabel('Search groups in the directory').fill(word.slice(0, 4));
  const found = page.getByRole('list', { name: 'Groups found' });
  await found.getByText(group.displayName, { exact: true }).waitFor();
  await found.getByRole('button', { name: `Add ${group.displayName}` }).click();
  await page
    .getByRole('list', { name: 'Chosen groups' })
    .getByRole('button', { name: `Remove ${group.displayName}` })
    .waitFor();

  await estimate.getByText(`${group.people.length} people in this audience`).waitFor();
  await estimate.getByText('0 of them can receive on Spotlight').waitFor();
  expect(await estimate.getByRole('list', { name: 'Why the others cannot' }).innerText()).toContain(
    `${group.people.length} people: delivery policy "${POLICY}" blocks Spotlight`,
  );
  await visit(page, 'policies-06-estimate-group');
});
