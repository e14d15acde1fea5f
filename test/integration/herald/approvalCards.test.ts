// Herald's own approvals as actionable email, through devhost: a custom message waiting for approval reaches
// every approver but its author as an email whose card (Herald's registration in devhost's sample tenant, from
// outlook-providers.json) shows the message; pressing Approve or Reject in the Outlook stand-in decides it as the
// API does, the card refreshes to who decided, a second approver sees who decided first, and on open a card
// shows the message as it is now (rejected, then withdrawn). The message's status is read through Herald's API.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { SAMPLE_TENANT_ID } from '@herald/devhost/testing';
import { as, loadDirectory, startHerald, type Client } from './support.js';

const TENANT = SAMPLE_TENANT_ID;
const APPROVERS = 'a0a0a0a0-0000-4000-8000-0000000000b1';
const STAFF = 'a0a0a0a0-0000-4000-8000-0000000000b2';
const PROVIDER_APPROVERS = 'a0a0a0a0-0000-4000-8000-0000000000b3';
const OUTLOOK = '/devhost/outlook/_control';
const DAY = 24 * 60 * 60 * 1000;

interface Mail {
  id: string;
  subject: string;
  card?: { body?: unknown[]; actions?: { title?: string }[] };
  cardStatus?: string;
  report: { CardEnabledForMessage: boolean; ActionableMessageStamping: { Errors: string[] } };
}
interface Outcome {
  kind: string;
  httpStatus?: number;
  status?: string;
}

let host: TestHost;
let ann: Client;

async function until<T>(what: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 250));
  }
}

const outlook = async (path: string, body?: unknown) => {
  const res = await host.fetch(`${OUTLOOK}/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return res.json() as Promise<unknown>;
};

/** The approval email of `name` in a mailbox, once it has come. */
const approvalMail = (mailbox: string, name: string) =>
  until(async () => {
    const { messages } = (await outlook(`mailboxes/${mailbox}/messages`)) as { messages: Mail[] };
    return messages.find((m) => m.subject === `Urgent: Approval needed: ${name}`);
  });

const press = async (mailbox: string, mail: Mail, action: string, inputs: Record<string, string> = {}) =>
  (await outlook(`mailboxes/${mailbox}/messages/${mail.id}/actions`, { action, inputs })) as { outcome: Outcome; mail: Mail };

const cardText = (mail: Mail) => JSON.stringify(mail.card?.body ?? []);

async function submitted(name: string): Promise<string> {
  const created = await ann('/api/messages', {
    body: {
      name,
      objective: 'announcement',
      location: 'taskbar',
      urgent: true,
      template: { kind: 'custom' },
      content: { title: `${name}: the title`, body: 'Work from home today.' },
      audience: { groups: [STAFF] },
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const sent = await ann(`/api/messages/${id}/send`, { method: 'POST' });
  expect(((await sent.json()) as { status: string }).status).toBe('PendingApproval');
  return id;
}

const statusOf = async (id: string) => ((await (await ann(`/api/messages/${id}`)).json()) as { status: string }).status;

beforeAll(async () => {
  // The test clock, so the last test can let a message's end date pass; the rest runs as on the real one.
  host = await startHerald({
    clock: 'test',
    env: { DEVHOST_OUTLOOK_CLICK_TIMEOUT_MS: '60000', DEVHOST_OUTLOOK_AUTO_INVOKE_TIMEOUT_MS: '60000' },
    startTimeoutMs: 120_000,
  });
  await loadDirectory(host, TENANT, {
    users: [
      ['ann', 'Ann Author'],
      ['abe', 'Abe Approver'],
      ['amy', 'Amy Approver'],
      ['una', 'Una Staff'],
      ['pat', 'Pat Provider'],
    ].map(([n, displayName]) => ({ userPrincipalName: `${n}@contoso.test`, mail: `${n}@contoso.test`, displayName })),
    groups: [
      { id: APPROVERS, displayName: 'Approvers', members: ['ann@contoso.test', 'abe@contoso.test', 'amy@contoso.test'] },
      { id: STAFF, displayName: 'Staff', members: ['una@contoso.test'] },
      { id: PROVIDER_APPROVERS, displayName: 'Exchange admins', members: ['abe@contoso.test', 'pat@contoso.test'] },
    ],
  });
  const admin = await as(host, TENANT, 'ada@contoso.test', ['Tenant.Admin'], '30d');
  const put = await admin('/api/tenant/settings', {
    method: 'PATCH',
    body: { approversGroup: APPROVERS, providerApproversGroup: PROVIDER_APPROVERS },
  });
  expect(put.status, await put.clone().text()).toBe(200);
  ann = await as(host, TENANT, 'ann@contoso.test', ['Messages.Write', 'Messages.Approve'], '30d');
}, 180_000);
afterAll(async () => {
  await host?.stop();
});

test('every approver but the author gets the card; Approve decides it, and the second approver sees who decided first', async () => {
  const id = await submitted('Building closed');
  const abeMail = await approvalMail('abe@contoso.test', 'Building closed');
  const amyMail = await approvalMail('amy@contoso.test', 'Building closed');
  expect(abeMail.report.CardEnabledForMessage, JSON.stringify(abeMail.report)).toBe(true);
  expect(cardText(abeMail)).toContain('Building closed: the title');
  expect(cardText(abeMail)).toContain('Work from home today');
  expect(cardText(abeMail)).toContain(`Groups: ${STAFF}`);
  expect(abeMail.card?.actions?.map((a) => a.title)).toEqual(['Approve', 'Reject', 'Open in Herald']);
  const { messages: annMails } = (await outlook('mailboxes/ann@contoso.test/messages')) as { messages: Mail[] };
  expect(annMails.filter((m) => m.subject.includes('Building closed'))).toEqual([]);

  const approved = await press('abe@contoso.test', abeMail, 'approve');
  expect(approved.outcome).toMatchObject({ kind: 'refresh', httpStatus: 200, status: 'The message was approved.' });
  expect(cardText(approved.mail)).toContain('Approved by Abe Approver');
  expect(approved.mail.card?.actions?.map((a) => a.title)).toEqual(['Open in Herald']);
  expect(await statusOf(id)).not.toBe('PendingApproval');

  const late = await press('amy@contoso.test', amyMail, 'reject', { comment: 'Too late?' });
  expect(late.outcome).toMatchObject({ kind: 'refresh', status: 'Another approver decided on this message first.' });
  expect(cardText(late.mail)).toContain('Approved by Abe Approver');
}, 240_000);

test('Reject needs a comment and shows it; on open the card shows the message withdrawn', async () => {
  const id = await submitted('Parking closed');
  const abeMail = await approvalMail('abe@contoso.test', 'Parking closed');
  const amyMail = await approvalMail('amy@contoso.test', 'Parking closed');

  const empty = await press('abe@contoso.test', abeMail, 'reject', { comment: '   ' });
  expect(empty.outcome).toMatchObject({ kind: 'error', httpStatus: 400, status: 'Please enter a comment (at most 1000 characters).' });
  expect(await statusOf(id)).toBe('PendingApproval');

  const rejected = await press('abe@contoso.test', abeMail, 'reject', { comment: 'Say which car park' });
  expect(rejected.outcome).toMatchObject({ kind: 'refresh', httpStatus: 200, status: 'The message was rejected.' });
  expect(cardText(rejected.mail)).toContain('Rejected by Abe Approver: \\"Say which car park\\"');
  expect(await statusOf(id)).toBe('Rejected');

  const withdrawn = await ann(`/api/messages/${id}/withdraw`, { method: 'POST' });
  expect(withdrawn.status, await withdrawn.clone().text()).toBe(200);
  const opened = (await outlook(`mailboxes/amy@contoso.test/messages/${amyMail.id}/open`, {})) as Mail & { autoInvoke?: Outcome };
  expect(opened.autoInvoke).toMatchObject({ kind: 'refresh', httpStatus: 200 });
  expect(cardText(opened)).toContain('Withdrawn: the author is changing it');
  expect(opened.card?.actions?.map((a) => a.title)).toEqual(['Open in Herald']);
}, 240_000);

test('a card opened after its author cancelled the message says so, with no buttons left', async () => {
  const id = await submitted('Gym closed');
  const abeMail = await approvalMail('abe@contoso.test', 'Gym closed');
  const amyMail = await approvalMail('amy@contoso.test', 'Gym closed');
  const cancelled = await ann(`/api/messages/${id}/cancel`, { method: 'POST' });
  expect(cancelled.status, await cancelled.clone().text()).toBe(200);
  expect(await statusOf(id)).toBe('Cancelled');
  const opened = (await outlook(`mailboxes/abe@contoso.test/messages/${abeMail.id}/open`, {})) as Mail & { autoInvoke?: Outcome };
  expect(opened.autoInvoke).toMatchObject({ kind: 'refresh', httpStatus: 200 });
  // The author as their Herald token names them (devhost: the sign-in name's local part).
  expect(cardText(opened)).toContain('Cancelled by ann.');
  expect(opened.card?.actions?.map((a) => a.title)).toEqual(['Open in Herald']);
  // A press on a card still as it was mailed (not opened since) decides nothing now.
  const late = await press('amy@contoso.test', amyMail, 'approve');
  expect(late.outcome).toMatchObject({ kind: 'refresh', status: 'This message no longer waits for approval.' });
  expect(await statusOf(id)).toBe('Cancelled');
}, 240_000);

test('a message nobody reviews before its end date is rejected automatically, and its cards say so, with no buttons left', async () => {
  const id = await submitted('Canteen closed');
  const abeMail = await approvalMail('abe@contoso.test', 'Canteen closed');
  // Urgent custom content waits a day for review.
  await host.clock.advance(DAY + 60_000);
  await until(async () => ((await statusOf(id)) === 'Rejected' ? true : undefined));

  const opened = (await outlook(`mailboxes/abe@contoso.test/messages/${abeMail.id}/open`, {})) as Mail & { autoInvoke?: Outcome };
  expect(opened.autoInvoke).toMatchObject({ kind: 'refresh', httpStatus: 200 });
  expect(cardText(opened)).toContain('Rejected automatically: nobody reviewed it before its end date.');
  expect(opened.card?.actions?.map((a) => a.title)).toEqual(['Open in Herald']);
  const late = await press('amy@contoso.test', await approvalMail('amy@contoso.test', 'Canteen closed'), 'approve');
  expect(late.outcome).toMatchObject({ kind: 'refresh', status: 'This message no longer waits for approval.' });
  expect(await statusOf(id)).toBe('Rejected');
}, 240_000);

test('an Organization provider reaches the tenant’s provider approvers as a card: Reject needs a comment, Approve approves it', async () => {
  const pat = await as(host, TENANT, 'pat@contoso.test', ['Providers.Write'], '30d');
  const register = async (friendlyName: string) => {
    const res = await pat('/api/providers', {
      body: {
        friendlyName,
        senderAddresses: ['expenses@contoso.test'],
        targetUrls: ['https://api.expenses.test/actions'],
        entraAppId: '0b7e3a59-5a6c-4f5c-8a51-5d4b0d1c9e88',
        scope: 'Organization',
      },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const submitted = await pat(`/api/providers/${id}/submit`, { method: 'POST' });
    expect(submitted.status, await submitted.clone().text()).toBe(200);
    return id;
  };
  const providerStatus = async (id: string) => ((await (await pat(`/api/providers/${id}`)).json()) as { status: string }).status;
  const cardOf = (name: string) =>
    until(async () => {
      const { messages } = (await outlook('mailboxes/abe@contoso.test/messages')) as { messages: Mail[] };
      return messages.find((m) => m.subject === `Provider approval needed: ${name}`);
    });

  const expenses = await register('Expenses');
  const mail = await cardOf('Expenses');
  expect(mail.report.CardEnabledForMessage, JSON.stringify(mail.report)).toBe(true);
  expect(cardText(mail)).toContain('expenses@contoso.test');
  const bare = await press('abe@contoso.test', mail, 'reject', { comment: '' });
  expect(bare.outcome).toMatchObject({ kind: 'error', httpStatus: 400 });
  const approved = await press('abe@contoso.test', mail, 'approve');
  expect(approved.outcome).toMatchObject({ kind: 'refresh', httpStatus: 200, status: 'The provider was approved.' });
  expect(cardText(approved.mail)).toContain('Approved by Abe Approver');
  expect(await providerStatus(expenses)).toBe('Approved');

  const leave = await register('Leave requests');
  const leaveMail = await cardOf('Leave requests');
  const rejected = await press('abe@contoso.test', leaveMail, 'reject', { comment: 'Use the shared sender' });
  expect(rejected.outcome).toMatchObject({ kind: 'refresh', status: 'The provider was rejected.' });
  expect(cardText(rejected.mail)).toContain('Rejected by Abe Approver');
  expect(await providerStatus(leave)).toBe('Rejected');
}, 240_000);
