// What a person sees when they press a card's button or open its mail: the request Outlook sends (token,
// Card-Correlation-Id, Action-Request-Id, inputs substituted), and the answer shown — CARD-ACTION-STATUS,
// the refreshed card, the generic error on 5xx or no answer — through a provider endpoint on a local port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Dashboard } from '../../../src/standins/outlook/dashboard.js';
import { Mailboxes, MAX_ACTION_AGE_MS, type DeliveredEmail } from '../../../src/standins/outlook/mailboxes.js';
import { urlProblem } from '../../../src/standins/outlook/actionCall.js';

const TENANT = '5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90';
const APP = '11111111-2222-4333-8444-555555555555';
const SENDER = 'approvals@contoso.test';

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
const seen: Seen[] = [];
let answer: (req: Seen, res: ServerResponse) => void = (_, res) => res.writeHead(200).end();
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      answer(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function outlook(now = { value: Date.parse('2026-12-01T10:00:00Z') }, timeouts?: { clickMs: number; autoInvokeMs: number }) {
  const dashboard = new Dashboard({ now: () => now.value, propagationSeconds: 0, stateFile: undefined });
  const provider = dashboard.register({
    friendlyName: 'Approvals',
    senderAddresses: [SENDER],
    targetUrls: [`${origin}/am`],
    scope: 'Organization',
    tenantId: TENANT,
    entraAppId: APP,
    status: 'Approved',
  });
  const tokens: { mailbox: string; audience: string; scope: string | undefined }[] = [];
  const mailboxes = new Mailboxes({
    dashboard,
    now: () => now.value,
    directory: (address) => (address.endsWith('@contoso.test') ? { tenantId: TENANT, userId: `oid-${address}` } : undefined),
    mailAuth: () => ({ spf: 'pass', dkim: 'pass' }),
    token: async (mailbox, audience, scope) => (tokens.push({ mailbox, audience, scope }), `token-for-${mailbox}`),
    fetch,
    allowLoopback: true,
    ...(timeouts ? { timeouts } : {}),
    log: () => {},
  });
  return { mailboxes, provider, tokens, now };
}

const card = (originator: string, extra: Record<string, unknown> = {}) => ({
  type: 'AdaptiveCard',
  version: '1.0',
  originator,
  correlationId: 'corr-42',
  body: [
    { type: 'TextBlock', text: 'Expense 42' },
    { type: 'Input.Text', id: 'comment', value: 'ok' },
  ],
  actions: [
    {
      type: 'Action.Http',
      title: 'Approve',
      method: 'POST',
      url: `${origin}/am/approve?c={{comment.value}}`,
      headers: [{ name: 'Content-Type', value: 'application/json' }],
      body: '{"comment":"{{comment.value}}"}',
    },
    { type: 'Action.Http', title: 'Elsewhere', method: 'POST', url: `${origin}/other`, body: '' },
  ],
  ...extra,
});

const email = (c: unknown, to = 'ana@contoso.test', extra: Partial<DeliveredEmail> = {}): DeliveredEmail => ({
  id: `op-${Math.random()}`,
  time: '2026-12-01T09:00:00.000Z',
  from: SENDER,
  to: [{ address: to }],
  cc: [{ address: 'bo@contoso.test' }],
  bcc: [{ address: 'cy@contoso.test' }],
  subject: 'Expense 42',
  html: `<html><head><script type="application/adaptivecard+json">${JSON.stringify(c)}</script></head><body><p>Expense 42 waits for you.</p></body></html>`,
  ...extra,
});

test('To and Cc recipients get the card, Bcc does not; a press sends the token, the ids and the inputs, and shows the refreshed card and its status', async () => {
  const { mailboxes, provider, tokens } = outlook();
  const [ana, bo, cy] = await mailboxes.deliver(email(card(provider.id)));
  expect([ana!.card !== undefined, bo!.card !== undefined, cy!.card]).toEqual([true, true, undefined]);
  expect(cy!.report.ActionableMessageStamping.Errors).toEqual(['No card for a Bcc recipient.']);

  const refreshed = { type: 'AdaptiveCard', version: '1.0', originator: provider.id, body: [{ type: 'TextBlock', text: 'Approved' }] };
  answer = (_, res) =>
    res
      .writeHead(200, {
        'CARD-ACTION-STATUS': 'The expense was approved.',
        'CARD-UPDATE-IN-BODY': 'true',
        'content-type': 'application/json',
      })
      .end(JSON.stringify(refreshed));
  seen.length = 0;
  const { outcome, mail } = await mailboxes.click('ana@contoso.test', ana!.id, 'Approve', { comment: 'Looks right & fine' });
  expect(outcome).toMatchObject({ kind: 'refresh', httpStatus: 200, status: 'The expense was approved.' });
  expect(mail.card?.body).toEqual([{ type: 'TextBlock', text: 'Approved' }]);
  expect(mail.cardStatus).toBe('The expense was approved.');
  expect(mail.history).toHaveLength(1);

  const [request] = seen;
  expect(request!.url).toBe('/am/approve?c=Looks%20right%20%26%20fine');
  expect(request!.body).toBe('{"comment":"Looks right & fine"}');
  expect(request!.headers.authorization).toBe('Bearer token-for-ana@contoso.test');
  expect(request!.headers['card-correlation-id']).toBe('corr-42');
  expect(request!.headers['action-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(request!.headers['content-type']).toBe('application/json');
  expect(tokens).toEqual([{ mailbox: 'ana@contoso.test', audience: APP, scope: 'Global.Test' }]);
});

test('mail without a card stays out of the mailboxes (the ACS stand-in keeps it)', async () => {
  const { mailboxes } = outlook();
  const plain = email({}, 'ana@contoso.test', { html: '<html><body><p>Lunch is served.</p></body></html>' });
  expect(await mailboxes.deliver(plain)).toEqual([]);
  expect(mailboxes.list('ana@contoso.test')).toEqual([]);
});

test('an untouched input sends its initial value; an empty Authorization header moves the token to Action-Authorization', async () => {
  const { mailboxes, provider } = outlook();
  const c = card(provider.id);
  (c.actions[0]!.headers as { name: string; value: string }[]).push({ name: 'Authorization', value: '' });
  const [ana] = await mailboxes.deliver(email(c));
  answer = (_, res) => res.writeHead(200, { 'CARD-ACTION-STATUS': 'Noted.' }).end();
  seen.length = 0;
  const { outcome, mail } = await mailboxes.click('ana@contoso.test', ana!.id, 'Approve', {});
  expect(outcome).toEqual({ kind: 'status', httpStatus: 200, status: 'Noted.' });
  expect(mail.cardStatus).toBe('Noted.');
  expect(mail.card?.body).toEqual(c.body);
  expect(seen[0]!.body).toBe('{"comment":"ok"}');
  expect(seen[0]!.headers.authorization).toBeUndefined();
  expect(seen[0]!.headers['action-authorization']).toBe('Bearer token-for-ana@contoso.test');
});

test('4xx shows CARD-ACTION-STATUS; 5xx and a refresh that is not a card show the generic error, and the card stays; 401 with ACTION-AUTHENTICATE asks to sign in', async () => {
  const { mailboxes, provider } = outlook();
  const [ana] = await mailboxes.deliver(email(card(provider.id)));
  answer = (_, res) => res.writeHead(403, { 'CARD-ACTION-STATUS': 'This action is only available to the original recipient.' }).end();
  expect((await mailboxes.click('ana@contoso.test', ana!.id, 'Approve', {})).mail.cardStatus).toBe(
    'This action is only available to the original recipient.',
  );
  answer = (_, res) => res.writeHead(500, { 'CARD-ACTION-STATUS': 'stack trace' }).end();
  expect((await mailboxes.click('ana@contoso.test', ana!.id, 'Approve', {})).mail.cardStatus).toBe(
    'An error occurred. Please try again later.',
  );
  answer = (_, res) => res.writeHead(200, { 'CARD-UPDATE-IN-BODY': 'true' }).end('{"type":"MessageCard"}');
  const bad = await mailboxes.click('ana@contoso.test', ana!.id, 'Approve', {});
  expect(bad.mail.cardStatus).toBe('An error occurred. Please try again later.');
  expect(bad.mail.card?.body).toEqual(card(provider.id).body);
  answer = (_, res) => res.writeHead(401, { 'ACTION-AUTHENTICATE': 'https://idp.contoso.test/auth?state=1' }).end();
  expect((await mailboxes.click('ana@contoso.test', ana!.id, 'Approve', {})).outcome).toEqual({
    kind: 'authenticate',
    httpStatus: 401,
    url: 'https://idp.contoso.test/auth?state=1',
  });
});

test('an action outside the provider’s target URLs, or on a mail more than a month old, is refused without a request', async () => {
  const clock = { value: Date.parse('2026-12-01T10:00:00Z') };
  const { mailboxes, provider } = outlook(clock);
  const [ana] = await mailboxes.deliver(email(card(provider.id)));
  seen.length = 0;
  const outside = await mailboxes.click('ana@contoso.test', ana!.id, 'Elsewhere', {});
  expect(outside.outcome).toMatchObject({ kind: 'refused', detail: expect.stringContaining('is not under a target URL of provider') });
  clock.value += MAX_ACTION_AGE_MS + 3600_000;
  const old = await mailboxes.click('ana@contoso.test', ana!.id, 'Approve', {});
  expect(old.mail.cardStatus).toBe('Actions cannot be taken on a message more than a month old.');
  expect(seen).toEqual([]);
  expect(urlProblem('http://api.contoso.test/x', undefined, false)).toBe('The action URL http://api.contoso.test/x is not https.');
  expect(urlProblem('https://localhost/x', undefined, false)).toContain('names localhost');
});

test('opening a mail runs its autoInvokeAction; a refresh in time replaces the card, a later one leaves it', async () => {
  // Outlook waits 2 s; here the wait is long for the answer that comes, short for the one that never does.
  const { mailboxes, provider } = outlook(undefined, { clickMs: 30_000, autoInvokeMs: 30_000 });
  const auto = { type: 'Action.Http', method: 'POST', url: `${origin}/am/refresh`, body: '' };
  const [ana] = await mailboxes.deliver(email(card(provider.id, { autoInvokeAction: auto })));
  const current = {
    type: 'AdaptiveCard',
    version: '1.0',
    originator: provider.id,
    body: [{ type: 'TextBlock', text: 'Already approved by Bo' }],
  };
  answer = (_, res) =>
    res.writeHead(200, { 'CARD-UPDATE-IN-BODY': 'true', 'content-type': 'application/json' }).end(JSON.stringify(current));
  const opened = await mailboxes.open('ana@contoso.test', ana!.id);
  expect(opened.autoInvoke).toMatchObject({ kind: 'refresh' });
  expect(opened.mail.card?.body).toEqual(current.body);

  const hurried = outlook(undefined, { clickMs: 30_000, autoInvokeMs: 300 });
  const [bo] = (await hurried.mailboxes.deliver(email(card(hurried.provider.id, { autoInvokeAction: auto }), 'bo@contoso.test'))).filter(
    (m) => m.mailbox === 'bo@contoso.test',
  );
  answer = () => {}; // never answers
  const slow = await hurried.mailboxes.open('bo@contoso.test', bo!.id);
  expect(slow.autoInvoke).toMatchObject({ kind: 'error', detail: 'no answer within 0.3 s' });
  expect(slow.mail.card?.body).toEqual(card(hurried.provider.id).body);
});

test('a reply and a forward carry the HTML without the card', async () => {
  const { mailboxes, provider } = outlook();
  const [ana] = await mailboxes.deliver(email(card(provider.id)));
  const forward = mailboxes.respond('ana@contoso.test', ana!.id, 'forward', 'dee@contoso.test');
  expect(forward).toMatchObject({ mailbox: 'dee@contoso.test', subject: 'FW: Expense 42', from: 'ana@contoso.test' });
  expect(forward.card).toBeUndefined();
  expect(forward.html).toContain('Expense 42 waits for you.');
  expect(forward.html).not.toContain('adaptivecard');
  expect(mailboxes.respond('ana@contoso.test', ana!.id, 'reply').mailbox).toBe(SENDER);
});
