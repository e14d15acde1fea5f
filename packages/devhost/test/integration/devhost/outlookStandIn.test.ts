// The Outlook stand-in through a running host: a provider the app ships in its registrations file, an email
// sent through the ACS stand-in with the real EmailClient, each recipient's mailbox opened and its card read
// and pressed through the control API, and the provider's endpoint (a Functions app on the host) checking
// the Entra-shaped token Outlook sends.
import { EmailClient } from '@azure/communication-email';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { acsConnectionString } from '../../../src/standins/acsEmail.js';
import { startHost, type TestHost } from '../../../src/testing.js';

const APP = 'test/fixtures/devhost/outlook';
const TENANT = '5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90';
const PROVIDER = '3f2b6a1e-8c4d-4e5f-9a0b-1c2d3e4f5a6b';
const ENTRA_APP = '11111111-2222-4333-8444-555555555555';
const ACTIONS_APP = '48af08dc-f6d2-435f-b2a7-069abd99c086';

let host: TestHost;
let emailId: string;

interface MailView {
  id: string;
  mailbox: string;
  subject: string;
  card?: { body: { text?: string }[] };
  cardStatus?: string;
  report: { CardEnabledForMessage: boolean; Originator: string | null; ActionableMessageStamping: { Infos: string[]; Errors: string[] } };
  actions: { id: string; type: string; title: string }[];
}

const control = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; json: T }> => {
  const res = await host.fetch(`/devhost/outlook/_control/${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: (res.status === 204 ? undefined : await res.json()) as T };
};
const inbox = async (address: string) => (await control<{ messages: MailView[] }>(`mailboxes/${address}/messages`)).json.messages;
const press = async (address: string, id: string, action: string, inputs: Record<string, string> = {}) =>
  (
    await control<{ outcome: { kind: string; status?: string }; mail: MailView }>(`mailboxes/${address}/messages/${id}/actions`, {
      body: { action, inputs },
    })
  ).json;

const card = {
  type: 'AdaptiveCard',
  version: '1.0',
  originator: PROVIDER,
  correlationId: 'expense-42',
  autoInvokeAction: { type: 'Action.Http', method: 'POST', url: '%HOST%/api/am/refresh', body: '' },
  body: [
    { type: 'TextBlock', text: '**Expense 42**: 120 EUR, train to Lyon', wrap: true },
    { type: 'Input.Text', id: 'comment', placeholder: 'Comment', isMultiline: true },
  ],
  actions: [
    {
      type: 'Action.Http',
      title: 'Approve',
      method: 'POST',
      url: '%HOST%/api/am/approve?expense=42',
      headers: [{ name: 'Content-Type', value: 'application/json' }],
      body: '{"comment":"{{comment.value}}"}',
    },
    { type: 'Action.Http', title: 'Reject', method: 'POST', url: '%HOST%/api/am/reject', body: '{"comment":"{{comment.value}}"}' },
    { type: 'Action.Submit', title: 'Never shown' },
  ],
};

beforeAll(async () => {
  // Outlook waits 2 s for an auto-invoke; a loaded test machine gets more, so the test sees the answer, not the load.
  host = await startHost({ app: APP, env: { DEVHOST_OUTLOOK_AUTO_INVOKE_TIMEOUT_MS: '20000' } });
  const directory = await host.fetch(`/devhost/graph/_control/tenants/${TENANT}/directory`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      users: ['ana', 'bo', 'cy'].map((n) => ({ userPrincipalName: `${n}@contoso.test`, displayName: n, mail: `${n}@contoso.test` })),
      groups: [],
    }),
  });
  expect(directory.status, await directory.clone().text()).toBe(200);
  const html =
    `<html><head><script type="application/adaptivecard+json">${JSON.stringify(card).replaceAll('%HOST%', host.url)}</script></head>` +
    '<body><p>Expense 42 waits for your approval.</p></body></html>';
  const client = new EmailClient(acsConnectionString(host.url), { allowInsecureConnection: true });
  const poller = await client.beginSend({
    senderAddress: 'expenses@contoso.test',
    content: { subject: 'Expense 42 waits for you', html, plainText: 'Expense 42 waits for your approval.' },
    recipients: { to: [{ address: 'ana@contoso.test' }], cc: [{ address: 'bo@contoso.test' }], bcc: [{ address: 'cy@contoso.test' }] },
  });
  emailId = (await poller.pollUntilDone()).id;
});
afterAll(async () => {
  await host?.stop();
});

test('the app’s registration is on the dashboard, approved, with the AppIdUri the dashboard generates', async () => {
  const { json } = await control<{ status: string; appIdUri: string; targetUrls: string[]; senderAddresses: string[] }>(
    `providers/${PROVIDER}`,
  );
  expect(json).toMatchObject({
    status: 'Approved',
    appIdUri: `api://auth-am-${PROVIDER}/${ENTRA_APP}`,
    targetUrls: [`${host.url}/api/am`],
    senderAddresses: ['expenses@contoso.test'],
  });
});

test('To and Cc see the card without Action.Submit; Bcc sees the HTML only, and the debugger says why', async () => {
  const [ana] = await inbox('ana@contoso.test');
  const [bo] = await inbox('bo@contoso.test');
  const [cy] = await inbox('cy@contoso.test');
  expect(ana!.report).toMatchObject({ CardEnabledForMessage: true, Originator: PROVIDER });
  expect(ana!.report.ActionableMessageStamping.Infos).toEqual([
    'Card allowed for the sender',
    'Action.Submit dropped: 1 (not supported in Outlook).',
  ]);
  expect(ana!.actions.map((a) => a.title)).toEqual(['Approve', 'Reject']);
  expect(bo!.report.CardEnabledForMessage).toBe(true);
  expect(cy!.card).toBeUndefined();
  expect(cy!.report.ActionableMessageStamping.Errors).toEqual(['No card for a Bcc recipient.']);
});

test('pressing Approve calls the provider with an Entra token for its app, and the refreshed card and its status show', async () => {
  const [ana] = await inbox('ana@contoso.test');
  const opened = await control<MailView & { autoInvoke?: { kind: string } }>(`mailboxes/ana@contoso.test/messages/${ana!.id}/open`, {
    method: 'POST',
  });
  expect(opened.json.autoInvoke).toEqual({ kind: 'status', httpStatus: 200 });
  expect(opened.json.card!.body[0]!.text).toBe('**Expense 42**: 120 EUR, train to Lyon');

  const rejected = await press('ana@contoso.test', ana!.id, 'Reject');
  expect(rejected.outcome).toMatchObject({ kind: 'error', status: 'Please enter a comment.' });
  expect(rejected.mail.cardStatus).toBe('Please enter a comment.');

  const approved = await press('ana@contoso.test', ana!.id, 'Approve', { comment: 'Fine, "as agreed"' });
  expect(approved.outcome).toMatchObject({ kind: 'refresh', status: 'The expense was approved.' });
  expect(approved.mail.cardStatus).toBe('The expense was approved.');
  expect(approved.mail.card!.body[0]!.text).toBe('**Approved** by ana@contoso.test');

  const { seen } = (await (await host.fetch('/api/seen')).json()) as {
    seen: {
      what: string;
      query: Record<string, string>;
      body: string;
      claims: Record<string, unknown>;
      correlationId: string;
      requestId: string;
    }[];
  };
  const approve = seen.find((s) => s.what === 'approve')!;
  expect(approve.query).toEqual({ expense: '42' });
  expect(approve.body).toBe('{"comment":"Fine, "as agreed""}');
  expect(approve.correlationId).toBe('expense-42');
  expect(approve.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(approve.claims).toMatchObject({
    aud: ENTRA_APP,
    azp: ACTIONS_APP,
    tid: TENANT,
    preferred_username: 'ana@contoso.test',
    scp: 'Global.Test',
    iss: `${host.url}/devhost/identity/${TENANT}/v2.0`,
    ver: '2.0',
  });
  const oid = (await (await host.fetch(`/devhost/graph/_control/tenants/${TENANT}/directory`)).json()) as {
    users: { id: string; userPrincipalName: string }[];
  };
  expect(approve.claims.oid).toBe(oid.users.find((u) => u.userPrincipalName === 'ana@contoso.test')!.id);
});

test('the other approver’s card refreshes on open to show who approved first', async () => {
  const [bo] = await inbox('bo@contoso.test');
  const opened = await control<MailView>(`mailboxes/bo@contoso.test/messages/${bo!.id}/open`, { method: 'POST' });
  expect(opened.json.card!.body[0]!.text).toBe('Already approved by ana@contoso.test');
  expect(opened.json.actions.map((a) => a.title)).toEqual(['Open the expense']);
});

test('a forward carries the HTML without the card; the email’s page shows the card panel and serves the renderer', async () => {
  const [ana] = await inbox('ana@contoso.test');
  const forward = await control<MailView & { html: string }>(`mailboxes/ana@contoso.test/messages/${ana!.id}/forward`, {
    body: { to: 'dee@fabrikam.test' },
  });
  expect(forward.status).toBe(201);
  expect(forward.json).toMatchObject({ mailbox: 'dee@fabrikam.test', subject: 'FW: Expense 42 waits for you' });
  expect(forward.json.card).toBeUndefined();
  expect(forward.json.html).toContain('Expense 42 waits for your approval.');

  const page = await host.fetch(`/devhost/email/${encodeURIComponent(emailId)}?as=bo@contoso.test`);
  const html = await page.text();
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(html).toContain('data-mailbox="bo@contoso.test"');
  expect(html).toContain('<script src="/devhost/outlook/assets/adaptivecards.js"></script>');
  const renderer = await host.fetch('/devhost/outlook/assets/adaptivecards.js');
  expect(renderer.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(await renderer.text()).toContain('AdaptiveCard');

  const bad = await control<{ detail: string }>(`mailboxes/ana@contoso.test/messages/${ana!.id}/actions`, { body: { inputs: {} } });
  expect(bad).toEqual({ status: 400, json: expect.objectContaining({ detail: 'action: must name the action (its id or title)' }) });
});
