// The mailbox page in a real browser (Debian's Chromium through playwright-core): the card a recipient sees,
// rendered by the Adaptive Cards renderer, a comment typed and Approve pressed, and the status and refreshed
// card the provider answered with shown in place. Screenshots go to test-artifacts/.
import { mkdirSync } from 'node:fs';
import { EmailClient } from '@azure/communication-email';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { acsConnectionString } from '../../../src/standins/acsEmail.js';
import { startHost, type TestHost } from '../../../src/testing.js';

const TENANT = '5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90';
const PROVIDER = '3f2b6a1e-8c4d-4e5f-9a0b-1c2d3e4f5a6b';
const ARTIFACTS = 'test-artifacts';

let host: TestHost;
let browser: Browser;
let emailId: string;

beforeAll(async () => {
  [host, browser] = await Promise.all([
    startHost({ app: 'test/fixtures/devhost/outlook' }),
    chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' }),
  ]);
  const directory = await host.fetch(`/devhost/graph/_control/tenants/${TENANT}/directory`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ users: [{ userPrincipalName: 'ana@contoso.test', displayName: 'Ana', mail: 'ana@contoso.test' }], groups: [] }),
  });
  expect(directory.status).toBe(200);
  const card = {
    type: 'AdaptiveCard',
    version: '1.0',
    originator: PROVIDER,
    body: [
      { type: 'TextBlock', text: '**Expense 42**: 120 EUR, <b>train</b> to Lyon', wrap: true },
      { type: 'Input.Text', id: 'comment', placeholder: 'Comment', isMultiline: true },
    ],
    actions: [
      { type: 'Action.Http', title: 'Approve', method: 'POST', url: `${host.url}/api/am/approve`, body: '{"comment":"{{comment.value}}"}' },
    ],
  };
  const client = new EmailClient(acsConnectionString(host.url), { allowInsecureConnection: true });
  const poller = await client.beginSend({
    senderAddress: 'expenses@contoso.test',
    content: {
      subject: 'Expense 42 waits for you',
      html: `<html><head><script type="application/adaptivecard+json">${JSON.stringify(card)}</script></head><body><p>Expense 42.</p></body></html>`,
    },
    recipients: { to: [{ address: 'ana@contoso.test' }] },
  });
  emailId = (await poller.pollUntilDone()).id;
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

test('a recipient reads the card on the mailbox page, presses Approve, and sees the status and the refreshed card', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${host.url}/devhost/email/${encodeURIComponent(emailId)}?as=ana@contoso.test`);
  const card = page.locator('#outlook-card');
  // TextBlock text is Markdown; HTML in it is shown as text.
  await expect.poll(() => card.locator('strong').first().textContent(), { timeout: 30_000 }).toBe('Expense 42');
  expect(await card.textContent()).toContain('<b>train</b> to Lyon');
  await page.screenshot({ path: `${ARTIFACTS}/outlook-card.png`, fullPage: true });

  await card.locator('textarea').fill('Booked early, fine');
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect.poll(() => page.locator('#outlook-status').textContent(), { timeout: 30_000 }).toBe('The expense was approved.');
  expect(await card.textContent()).toContain('Approved by ana@contoso.test');
  expect(await card.getByRole('button', { name: 'Approve' }).count()).toBe(0);
  await page.screenshot({ path: `${ARTIFACTS}/outlook-card-approved.png`, fullPage: true });
  expect(errors).toEqual([]);

  const { seen } = (await (await host.fetch('/api/seen')).json()) as { seen: { what: string; body: string }[] };
  expect(seen.filter((s) => s.what === 'approve').map((s) => s.body)).toEqual(['{"comment":"Booked early, fine"}']);
});
