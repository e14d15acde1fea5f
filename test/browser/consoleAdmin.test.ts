// The console's sender and admin screens in Chromium over Herald on devhost with the sample organisation: a
// notification sender sees the hour's allowance drop as they send and resend, the history row and each device's
// status; a tenant admin sees a bad retention refused on its field, then saves, and looks up a person's devices;
// a providers admin approves a submitted provider and sees it in its audit; a writer sees a message on every
// surface, the email being Herald's own rendering in the message's language and in its others.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { AUDIENCE, startHerald } from '../integration/herald/support.js';
import { eventually, launch, signIn, visit } from './browserSupport.js';

const SAMPLE_TENANT = '5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90';
const APP_ID = '0b7e3a59-5a6c-4f5c-8a51-5d4b0d1c9e01';

let host: TestHost;
let browser: Browser;
let page: Page;
let people: { writer: string; sender: string; admin: string; approver: string; member: { id: string; upn: string }; group: string };
let deviceId: string;
let providerName: string;
let emailMessage: string;

/** A call to Herald's API as `upn` with `roles`, as an app would make it. */
async function call(upn: string, roles: string[], path: string, method: string, body?: unknown) {
  const token = await host.token({ tenant: SAMPLE_TENANT, user: upn, roles, audience: AUDIENCE });
  const res = await host.fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.ok, `${method} ${path}: ${await res.clone().text()}`).toBe(true);
  return (await res.json()) as { id: string };
}

beforeAll(async () => {
  host = await startHerald({ env: { TEAMS_REQUESTS_PER_SECOND: '0' }, startTimeoutMs: 110_000 });
  browser = await launch();
  const { users, groups } = (await (await host.fetch(`/devhost/graph/_control/tenants/${SAMPLE_TENANT}/directory`)).json()) as {
    users: { id: string; userPrincipalName: string; userType?: string; accountEnabled?: boolean }[];
    groups: { id: string; transitiveUsers: number; members: { kind: string; id: string }[] }[];
  };
  const members = users.filter((u) => u.userType !== 'Guest' && u.accountEnabled !== false);
  // The smallest group with a person directly in it: that person's phone is what the notification reaches.
  const group = groups
    .filter((g) => g.members.some((m) => m.kind === 'user' && members.some((u) => u.id === m.id)))
    .sort((a, b) => a.transitiveUsers - b.transitiveUsers)[0]!;
  const member = members.find((u) => group.members.some((m) => m.id === u.id))!;
  const others = members.filter((u) => u.id !== member.id);
  people = {
    writer: others[0]!.userPrincipalName,
    sender: others[1]!.userPrincipalName,
    admin: others[2]!.userPrincipalName,
    approver: others[3]!.userPrincipalName,
    member: { id: member.id, upn: member.userPrincipalName },
    group: group.id,
  };
  // The member's phone registers with Herald as the Company Portal app does.
  deviceId = (
    await call(member.userPrincipalName, [], '/api/devices', 'POST', {
      platform: 'android',
      pushToken: `fcm:${'b'.repeat(32)}`,
      appVersion: '5.1',
      enrolled: true,
    })
  ).id;
  // A provider the organisation's developer registered and submitted: it waits for a Providers.Approve holder.
  const domain = people.writer.split('@')[1]!;
  providerName = 'Expense approvals';
  const provider = await call(people.writer, ['Providers.Write'], '/api/providers', 'POST', {
    friendlyName: providerName,
    senderAddresses: [`expenses@${domain}`],
    targetUrls: ['https://api.expenses.test/actions'],
    entraAppId: APP_ID,
    scope: 'Organization',
  });
  await call(people.writer, ['Providers.Write'], `/api/providers/${provider.id}/submit`, 'POST');
  // An email message in German, from Herald's welcome template.
  const start = Date.now() + 86_400_000;
  emailMessage = (
    await call(people.writer, ['Messages.Write'], '/api/messages', 'POST', {
      name: 'Welcome to the assistant',
      objective: 'onboarding',
      location: 'email',
      template: { kind: 'premade', id: 'email-welcome-assistant' },
      content: { language: 'de', callToAction: { url: 'https://intranet.contoso.test/assistant' } },
      audience: { groups: [group.id] },
      schedule: { start: new Date(start).toISOString(), end: new Date(start + 7 * 86_400_000).toISOString() },
    })
  ).id;
});

// Each person in a browser of their own: one test's failure leaves no one signed in for the next.
beforeEach(async () => {
  page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, colorScheme: 'light' })).newPage();
});
afterEach(async () => {
  await page?.context().close();
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

/** The field's own error: the text its aria-describedby points at. */
async function describedBy(label: string | RegExp) {
  const ids = ((await page.getByLabel(label).getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  return (await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).innerText()))).join(' ');
}

test('a sender composes with live counters, sees the allowance drop and the history row, each device’s status, and resends', async () => {
  await signIn(page, host, SAMPLE_TENANT, people.sender, ['Notifications.Send.Groups', 'Notifications.Send.Device']);
  await page.getByRole('heading', { name: 'Custom notifications', level: 1 }).waitFor();
  const allowance = page.getByLabel('Allowance');
  await page.getByText('25 of 25 group notifications left this hour').waitFor();

  await page.getByLabel('Title').fill('Restart tonight');
  await page.getByText('15 of 50 characters').waitFor();
  await page.getByLabel('Body').fill('Your phone installs the security update at 22:00.');
  await page.getByText('49 of 500 characters').waitFor();
  await page.getByRole('textbox', { name: /^Groups/ }).fill(people.group);
  await visit(page, 'admin-01-notification-compose');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByText('Sent “Restart tonight”.').waitFor();
  await page.getByText('24 of 25 group notifications left this hour').waitFor();
  expect(await allowance.innerText()).toBe('24 of 25 group notifications left this hour');

  const history = page.getByRole('table', { name: 'Notifications sent' });
  const row = history.getByRole('row', { name: /Restart tonight/ });
  await row.waitFor();
  // The member's phone: sent once the groups are resolved and the batch has run.
  await eventually(
    page,
    'the device to show as sent',
    async () =>
      (await page
        .getByRole('table', { name: 'Device status' })
        .getByRole('row', { name: new RegExp(`${deviceId}.*sent`) })
        .count()) > 0,
    async () => {
      await row.getByRole('button', { name: 'Device status' }).click();
      await page
        .getByRole('table', { name: 'Device status' })
        .getByRole('row', { name: new RegExp(`${deviceId}.*sent`) })
        .waitFor({ timeout: 3_000 })
        .catch(() => undefined);
    },
    120_000,
  );
  expect(await page.getByRole('table', { name: 'Device status' }).innerText()).toContain(people.member.upn);
  await visit(page, 'admin-02-notification-devices');

  await row.getByRole('button', { name: 'Resend' }).click();
  await page.getByText('23 of 25 group notifications left this hour').waitFor();
  await history.getByRole('row', { name: /Restart tonight \(resent\)/ }).waitFor();
  await visit(page, 'admin-03-notification-resent');
});

test('a tenant admin sees a bad retention refused on its field, saves a good one, and looks up a person’s devices', async () => {
  await signIn(page, host, SAMPLE_TENANT, people.admin, ['Tenant.Admin']);
  await page.getByRole('heading', { name: 'Tenant settings', level: 1 }).waitFor();
  const retention = page.getByLabel('Keep per-recipient events for (days)');
  await retention.fill('0');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('must be 1 to 3650 days', { exact: true }).waitFor();
  expect(await describedBy('Keep per-recipient events for (days)')).toContain('must be 1 to 3650 days');
  await visit(page, 'admin-04-settings-field-error');

  await retention.fill('90');
  await page.getByLabel('Time zone').fill('Europe/Paris');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Tenant settings', level: 1 }).waitFor();
  expect(await page.getByLabel('Time zone').inputValue()).toBe('Europe/Paris');
  expect(await page.getByLabel('Keep per-recipient events for (days)').inputValue()).toBe('90');
  await visit(page, 'admin-05-settings-saved');

  await page.getByRole('tab', { name: 'Devices' }).click();
  await page.getByLabel('Person (Entra object id)').fill(people.member.id);
  await page.getByRole('button', { name: 'Show devices' }).click();
  const devices = page.getByRole('table', { name: `Devices of ${people.member.id}` });
  await devices.getByRole('row', { name: new RegExp(`${deviceId}.*android`) }).waitFor();
  await visit(page, 'admin-06-devices');
});

test('a providers admin approves a submitted provider and sees the approval in its audit', async () => {
  await signIn(page, host, SAMPLE_TENANT, people.approver, ['Providers.Approve']);
  await page.getByRole('heading', { name: 'Actionable-message providers', level: 1 }).waitFor();
  const row = page.getByRole('table', { name: 'Your organisation’s providers' }).getByRole('row', { name: new RegExp(providerName) });
  expect(await row.innerText()).toContain('Submitted');
  await row.getByRole('button', { name: `Open ${providerName}` }).click();
  const details = page.getByRole('region', { name: `Provider ${providerName}` });
  await details.getByRole('button', { name: 'Approve' }).waitFor();
  // Rejecting needs a reason: the API says so on the comment's field.
  await details.getByRole('button', { name: 'Reject' }).click();
  await details.getByText('is required', { exact: true }).waitFor();
  expect(await describedBy(/^Comment/)).toContain('is required');
  await visit(page, 'admin-07-provider-submitted');
  await details.getByLabel(/^Comment/).fill('Checked with the expenses team');
  await details.getByRole('button', { name: 'Approve' }).click();
  await details
    .getByRole('list', { name: 'Provider audit' })
    .getByText(/Approved: “Checked with the expenses team”/)
    .waitFor();
  await row.getByRole('cell', { name: 'Approved', exact: true }).waitFor();
  // Approved: what is left to decide is suspending it.
  await details.getByRole('button', { name: 'Suspend' }).waitFor();
  expect(await details.getByRole('button', { name: /^(Approve|Reject)$/ }).count()).toBe(0);
  await visit(page, 'admin-08-provider-approved');
});

test('a writer sees the message on every surface, the email rendered by Herald in the message’s language and its others', async () => {
  await signIn(page, host, SAMPLE_TENANT, people.writer, ['Messages.Write']);
  await page.goto(`${host.url}/messages/${emailMessage}`);
  const preview = page.getByRole('complementary', { name: 'Preview' });
  await preview.waitFor();
  for (const surface of ['Spotlight', 'Notification Center', 'Taskbar', 'Teams', 'Email'])
    await preview.getByRole('figure', { name: `${surface} preview` }).waitFor();
  // The Windows and Teams surfaces carry the template's words in the message's language.
  expect(await preview.getByRole('figure', { name: 'Spotlight preview' }).innerText()).toContain('Ihr Assistent ist bereit');
  expect(await preview.getByRole('figure', { name: 'Teams preview' }).innerText()).toContain('Ihr Assistent ist bereit');
  const german = page.frameLocator('iframe[title="Email preview (de)"]');
  await german.getByRole('heading', { name: 'Ihr Assistent ist bereit' }).waitFor();
  expect(await german.locator('html').getAttribute('lang')).toBe('de');
  expect(await german.getByRole('link').first().getAttribute('href')).toBe('https://intranet.contoso.test/assistant');
  await visit(page, 'admin-09-preview-de');

  await preview.getByRole('tab', { name: 'fr' }).click();
  await page.frameLocator('iframe[title="Email preview (fr)"]').getByRole('heading', { name: 'Votre assistant est prêt' }).waitFor();
  expect(await preview.getByRole('figure', { name: 'Taskbar preview' }).innerText()).toContain('Votre assistant est prêt');
  await visit(page, 'admin-10-preview-fr');
});
