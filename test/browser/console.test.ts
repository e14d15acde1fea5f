// The console end to end, in Chromium over Herald on devhost with the sample organisation: a writer creates a
// custom Teams message in the wizard (a bad link is shown on its field), an approver approves it from the
// queue, the delivery progress reaches done, the deliveries show in the activity charts, and the CSV downloads;
// an action the lifecycle applies late (the API answers 202) is followed until the list shows what it did.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { AUDIENCE, startHerald } from '../integration/herald/support.js';
import { eventually, launch, localInput, signIn, signOut, visit } from './browserSupport.js';

const SAMPLE_TENANT = '5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90';

let host: TestHost;
let browser: Browser;
let page: Page;
let people: { writer: string; approver: string; group: string };

beforeAll(async () => {
  // One at a time, with room: both are heavy to start on a loaded machine.
  host = await startHerald({ env: { TEAMS_REQUESTS_PER_SECOND: '0' }, startTimeoutMs: 110_000 });
  browser = await launch();
  page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, colorScheme: 'light' })).newPage();
  const { users, groups } = (await (await host.fetch(`/devhost/graph/_control/tenants/${SAMPLE_TENANT}/directory`)).json()) as {
    users: { userPrincipalName: string; userType?: string; accountEnabled?: boolean }[];
    groups: { id: string; transitiveUsers: number }[];
  };
  const members = users.filter((u) => u.userType !== 'Guest' && u.accountEnabled !== false);
  // Teams messages target groups: the smallest group with people in it.
  const group = groups.filter((g) => g.transitiveUsers > 1).sort((a, b) => a.transitiveUsers - b.transitiveUsers)[0]!;
  people = { writer: members[0]!.userPrincipalName, approver: members[1]!.userPrincipalName, group: group.id };
  // Custom messages need an E3 licence: the tenant admin sets it, as through the API.
  const admin = await host.token({ tenant: SAMPLE_TENANT, user: 'admin@contoso.test', roles: ['Tenant.Admin'], audience: AUDIENCE });
  const res = await host.fetch('/api/tenant/settings', {
    method: 'PATCH',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ licence: 'E3', timeZone: 'UTC' }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

const next = () => page.getByRole('button', { name: 'Next' }).click();
const step = (name: string) => page.getByRole('heading', { name, level: 2 }).waitFor();

test('a writer’s custom message goes through the wizard, the approvals queue and delivery to its activity and CSV', async () => {
  await signIn(page, host, SAMPLE_TENANT, people.writer, ['Messages.Write'], 'journey-01-sign-in');
  await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
  await visit(page, 'journey-02-messages');

  await page.getByRole('button', { name: 'New message' }).click();
  await step('Objective');
  await page.getByLabel(/^Name/).fill('Quarterly all-hands');
  await page.getByRole('radio', { name: 'Announcement' }).check();
  await visit(page, 'journey-03-wizard-objective');
  await next();
  await step('Location');
  await page.getByRole('radio', { name: 'Teams' }).check();
  await next();
  await step('Message');
  await page.getByLabel('Title').fill('All-hands on Thursday');
  await page.getByLabel('Body').fill('Join the quarterly all-hands in the main hall or online.');
  await page.getByLabel('Call to action').fill('Add to calendar');
  await page.getByLabel('Link (https)').fill('http://intranet.contoso.test/all-hands');
  await next();

  // The API refuses the link; its words are on the link's own field, and the wizard stays on the step.
  const link = page.getByLabel('Link (https)');
  await page.getByText('must be an https URL', { exact: true }).waitFor();
  const describedBy = (await link.getAttribute('aria-describedby')) ?? '';
  const messages = await Promise.all(
    describedBy
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => page.locator(`[id="${id}"]`).innerText()),
  );
  expect(messages.join(' ')).toContain('must be an https URL');
  await step('Message');
  await visit(page, 'journey-04-wizard-field-error');
  await link.fill('https://intranet.contoso.test/all-hands');
  await next();

  await step('Audience');
  await page.getByLabel(/^Groups/).fill(people.group);
  await next();
  await step('Schedule');
  await page.getByLabel('Start', { exact: true }).fill(await localInput(page, -1));
  await page.getByLabel('End', { exact: true }).fill(await localInput(page, 24 * 60));
  await next();
  await step('Review and submit');
  await visit(page, 'journey-05-wizard-review');
  await page.getByRole('button', { name: 'Submit' }).click();
  const pending = page.getByLabel('Status Pending approval');
  await pending.or(page.getByRole('alert')).first().waitFor();
  expect(await pending.count(), await page.locator('main').innerText()).toBe(1);
  const id = new URL(page.url()).pathname.split('/').pop()!;
  await visit(page, 'journey-06-detail-pending');
  await signOut(page);

  // The approver finds it in the queue (never their own) and approves it with a comment.
  await signIn(page, host, SAMPLE_TENANT, people.approver, ['Messages.Approve', 'Reports.Read']);
  await page.getByRole('tab', { name: 'Approvals' }).click();
  const row = page.getByRole('row', { name: /Quarterly all-hands/ });
  await row.waitFor();
  await visit(page, 'journey-07-approvals');
  await row.getByRole('button', { name: 'Approve' }).click();
  await page.getByLabel('Comment (optional)').fill('Looks good');
  await page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
  await page.getByText('Nothing is waiting for you.').waitFor();

  // Delivery progress on the message's page reaches done; the page asks again while the send runs.
  await page.goto(`${host.url}/messages/${id}`);
  await eventually(
    page,
    'the delivery to be done',
    async () => (await page.locator('[data-state="done"]').count()) > 0,
    async () => {
      // Scheduled when the page loaded: the page shows delivery once the message is under way.
      // The page first loads (its screen's module may take a while on a loaded machine): never reload before.
      await page.locator('article h1').waitFor({ timeout: 120_000 });
      if ((await page.getByRole('heading', { name: 'Delivery' }).count()) === 0) {
        await page
          .getByRole('heading', { name: 'Delivery' })
          .waitFor({ timeout: 3_000 })
          .catch(() => undefined);
        await page.reload();
      } else
        await page
          .locator('[data-state="done"]')
          .waitFor({ timeout: 5_000 })
          .catch(() => undefined);
    },
  );
  const progress = await page.locator('[data-state="done"]').innerText();
  expect(progress).toMatch(/Done/);
  expect(progress).toMatch(/[1-9]\d* sent/);
  expect(progress).toMatch(/0 pending/);
  await page.getByRole('table', { name: 'Recipients' }).getByRole('cell', { name: 'sent', exact: true }).first().waitFor();
  await visit(page, 'journey-08-detail-delivered');

  // The deliveries are impressions in the activity charts (Teams notifications delivered count as seen).
  await eventually(
    page,
    'the activity to show the deliveries',
    async () => /Seen [1-9]\d* times/.test(await page.getByRole('heading', { name: 'Activity' }).locator('..').innerText()),
    () => page.reload(),
  );
  const seenChart = page.locator('figure[data-series="impressions"] canvas');
  expect(await seenChart.getAttribute('aria-label')).toMatch(/Seen per day: .*\b[1-9]\d*\b/);
  await visit(page, 'journey-09-activity');

  // The CSV exports download from the browser.
  for (const [button, header] of [
    ['Download recipients (CSV)', 'userPrincipalName'],
    ['Download activity (CSV)', 'messageId'],
  ] as const) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\n')[0]).toContain(header);
    expect(csv.split('\n').length).toBeGreaterThan(2);
  }

  // The activity report over the last 30 days: the same deliveries, day by day, and the messages' figures.
  await page.getByRole('tab', { name: 'Activity' }).click();
  await page.getByText(/messages seen [1-9]\d* times/).waitFor();
  await page
    .getByRole('table', { name: 'Messages and their activity' })
    .getByRole('row', { name: /Quarterly all-hands/ })
    .waitFor();
  await visit(page, 'journey-10-reports');
});

test('an action the lifecycle applies late (the API’s 202) shows what it did once applied, not the status before it', async () => {
  const writer = await host.token({ tenant: SAMPLE_TENANT, user: people.writer, roles: ['Messages.Write'], audience: AUDIENCE });
  const call = (path: string, method = 'GET', body?: unknown) =>
    host.fetch(path, {
      method,
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const created = await call('/api/messages', 'POST', {
    name: 'Canteen menu',
    objective: 'announcement',
    location: 'taskbar',
    template: { kind: 'custom' },
    content: { title: 'This week’s menu', body: 'Soup on Monday.' },
    audience: { groups: [people.group] },
    schedule: { start: new Date(Date.now() + 86_400_000).toISOString(), end: new Date(Date.now() + 7 * 86_400_000).toISOString() },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  // A browser of its own: signed out, whatever the journey before left.
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
  // A busy host: the API answers 202 with the draft as it still is, and the lifecycle applies the submit 2 s later.
  await page.route(`**/api/messages/${id}/submit`, async (route) => {
    const still = await call(`/api/messages/${id}`);
    await route.fulfill({
      status: 202,
      contentType: 'application/json',
      headers: { etag: still.headers.get('etag')!, 'retry-after': '1', location: `/api/messages/${id}` },
      body: await still.text(),
    });
    setTimeout(() => void call(`/api/messages/${id}/submit`, 'POST'), 2_000);
  });

  await signIn(page, host, SAMPLE_TENANT, people.writer, ['Messages.Write']);
  const row = page.getByRole('table', { name: 'Messages' }).getByRole('row', { name: /Canteen menu/ });
  await row.getByRole('cell', { name: 'Draft', exact: true }).waitFor();
  await row.getByRole('button', { name: 'Actions for Canteen menu' }).click();
  await page.getByRole('menuitem', { name: 'Submit' }).click();
  await page.getByText('Submit: “Canteen menu”…').waitFor();
  await row.getByRole('cell', { name: 'Pending approval', exact: true }).waitFor({ timeout: 20_000 });
  expect(await page.getByText('Submit: “Canteen menu”…').count()).toBe(0);
});
