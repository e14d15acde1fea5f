// An approver approves a Herald message from its approval email in a real browser: devhost's mailbox page renders
// the Outlook card (the Adaptive Cards renderer), the approver presses Approve, and the page shows Herald's
// CARD-ACTION-STATUS and the refreshed card naming them; Herald's API then has the message approved.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { SAMPLE_TENANT_ID } from '@herald/devhost/testing';
import { as, loadDirectory, startHerald, type Client } from '../integration/herald/support.js';
import { launch } from './browserSupport.js';

const TENANT = SAMPLE_TENANT_ID;
const APPROVERS = 'a0a0a0a0-0000-4000-8000-0000000000c1';
const STAFF = 'a0a0a0a0-0000-4000-8000-0000000000c2';

let host: TestHost;
let browser: Browser;
let ann: Client;

beforeAll(async () => {
  [host, browser] = await Promise.all([
    startHerald({
      env: { DEVHOST_OUTLOOK_CLICK_TIMEOUT_MS: '60000', DEVHOST_OUTLOOK_AUTO_INVOKE_TIMEOUT_MS: '60000' },
      startTimeoutMs: 120_000,
    }),
    launch(),
  ]);
  await loadDirectory(host, TENANT, {
    users: [
      ['ann', 'Ann Author'],
      ['abe', 'Abe Approver'],
      ['una', 'Una Staff'],
    ].map(([n, displayName]) => ({ userPrincipalName: `${n}@contoso.test`, mail: `${n}@contoso.test`, displayName })),
    groups: [
      { id: APPROVERS, displayName: 'Approvers', members: ['ann@contoso.test', 'abe@contoso.test'] },
      { id: STAFF, displayName: 'Staff', members: ['una@contoso.test'] },
    ],
  });
  const admin = await as(host, TENANT, 'ada@contoso.test', ['Tenant.Admin'], '30d');
  expect((await admin('/api/tenant/settings', { method: 'PATCH', body: { approversGroup: APPROVERS } })).status).toBe(200);
  ann = await as(host, TENANT, 'ann@contoso.test', ['Messages.Write', 'Messages.Approve'], '30d');
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

test('an approver presses Approve on the mailbox page and sees the card say they approved it', async () => {
  const created = await ann('/api/messages', {
    body: {
      name: 'Canteen closed',
      objective: 'announcement',
      location: 'taskbar',
      urgent: true,
      template: { kind: 'custom' },
      content: { title: 'Canteen closed', body: 'Bring a packed lunch.' },
      audience: { groups: [STAFF] },
    },
  });
  const { id } = (await created.json()) as { id: string };
  expect(((await (await ann(`/api/messages/${id}/send`, { method: 'POST' })).json()) as { status: string }).status).toBe('PendingApproval');

  let emailId: string | undefined;
  await expect
    .poll(
      async () => {
        const res = await host.fetch('/devhost/outlook/_control/mailboxes/abe@contoso.test/messages');
        const { messages } = (await res.json()) as { messages: { emailId: string; subject: string }[] };
        emailId = messages.find((m) => m.subject === 'Urgent: Approval needed: Canteen closed')?.emailId;
        return emailId;
      },
      { timeout: 90_000 },
    )
    .toBeDefined();

  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${host.url}/devhost/email/${encodeURIComponent(emailId!)}?as=abe@contoso.test`);
  const card = page.locator('#outlook-card');
  await expect.poll(() => card.textContent(), { timeout: 60_000 }).toContain('Bring a packed lunch.');
  // devhost's page (its CSP admits no injected script): screenshots only, the console's pages are the ones axe checks.
  await page.screenshot({ path: 'test-artifacts/browser/approval-card.png', fullPage: true });

  await card.getByRole('button', { name: 'Approve' }).click();
  await expect.poll(() => page.locator('#outlook-status').textContent(), { timeout: 60_000 }).toBe('The message was approved.');
  expect(await card.textContent()).toContain('Approved by Abe Approver');
  expect(await card.getByRole('button', { name: 'Approve' }).count()).toBe(0);
  await page.screenshot({ path: 'test-artifacts/browser/approval-card-approved.png', fullPage: true });
  expect(errors).toEqual([]);

  // Urgent: approved means sent at once.
  const message = (await (await ann(`/api/messages/${id}`)).json()) as { status: string };
  expect(['Scheduled', 'Active', 'Delivered']).toContain(message.status);
}, 300_000);
