// A relayed action through devhost, end to end: a provider sends an actionable email through Herald, the
// Outlook stand-in receives it (Herald's action endpoint registered as the provider's target with Outlook),
// the recipient presses the button, Outlook calls Herald with its Entra-shaped token, Herald relays the action
// to the provider's HTTPS endpoint signed with the key it publishes, and the provider's refresh card replaces
// the card in Outlook. Each recipient's copy carries buttons bound to them (another actor is refused: unit tests).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '@herald/devhost/testing';
import { as, CLICK_SECRET, loadDirectory, TENANT_A, type Client } from './support.js';

const APP_ID = '0b7e3a59-5a6c-4f5c-8a51-5d4b0d1c9e88';

interface Received {
  authorization: string;
  requestId: string | undefined;
  body: string;
}

let host: TestHost;
let provider: Server;
let providerUrl: string;
let providerId: string;
let app: Client;
const received: Received[] = [];

async function until<T>(what: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const refreshCard = () => ({
  type: 'AdaptiveCard',
  version: '1.0',
  originator: providerId,
  body: [{ type: 'TextBlock', text: 'Acknowledged. Thank you.' }],
  actions: [{ type: 'Action.OpenUrl', title: 'Open', url: 'https://contoso.test/m/42' }],
});

beforeAll(async () => {
  host = await startHost({
    app: '.',
    settings: 'local.settings.sample.json',
    // Room for a loaded machine.
    startTimeoutMs: 120_000,
    env: (_url, push) => ({
      CLICK_LINK_SECRET: CLICK_SECRET,
      EMAIL_SENDS_PER_SECOND: '0',
      AzureWebJobs_frequencyResends_Disabled: 'true',
      // The provider below serves devhost's local certificate: Herald's relay trusts its CA, as it would a public one.
      NODE_EXTRA_CA_CERTS: push.caFile,
      // Herald's action endpoint is on this machine, over http.
      DEVHOST_OUTLOOK_ALLOW_LOOPBACK: 'true',
      DEVHOST_OUTLOOK_CLICK_TIMEOUT_MS: '30000',
    }),
  });
  const dir = dirname(host.push.caFile);
  provider = createServer({ key: readFileSync(join(dir, 'server-key.pem')), cert: readFileSync(join(dir, 'server.pem')) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        authorization: String(req.headers.authorization ?? ''),
        requestId: req.headers['action-request-id'] as string | undefined,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res
        .writeHead(200, {
          'card-action-status': 'Your acknowledgement was recorded.',
          'card-update-in-body': 'true',
          'content-type': 'application/json',
        })
        .end(JSON.stringify(refreshCard()));
    });
  });
  await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
  providerUrl = `https://127.0.0.1:${(provider.address() as AddressInfo).port}/am`;

  await loadDirectory(host, TENANT_A, {
    users: ['ann', 'una', 'ugo'].map((n) => ({ userPrincipalName: `${n}@contoso.test`, displayName: n })),
    groups: [],
  });
  const ann = await as(host, TENANT_A, 'ann@contoso.test', ['Providers.Write']);
  const created = await ann('/api/providers', {
    body: {
      friendlyName: 'Announcements',
      senderAddresses: ['news@contoso.test'],
      targetUrls: [providerUrl],
      entraAppId: APP_ID,
      scope: 'TestUsers',
      testUsers: 'una@contoso.test;ugo@contoso.test',
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  providerId = ((await created.json()) as { id: string }).id;
  expect((await ann(`/api/providers/${providerId}/submit`, { method: 'POST' })).status).toBe(200);

  // With Microsoft (here the Outlook stand-in), the provider's target is Herald's action endpoint.
  const outlook = (path: string, method: string, body: unknown) =>
    host.fetch(`/devhost/outlook/_control/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const registered = await outlook('providers', 'POST', {
    id: providerId,
    friendlyName: 'Announcements',
    senderAddresses: ['news@contoso.test'],
    targetUrls: [`${host.url}/api/actionable/actions`],
    scope: 'TestUsers',
    testUsers: ['una@contoso.test', 'ugo@contoso.test'],
    tenantId: TENANT_A,
    entraAppId: APP_ID,
  });
  expect(registered.status, await registered.clone().text()).toBeLessThan(300);
  expect((await outlook('mail-auth/contoso.test', 'PUT', { spf: 'pass', dkim: 'pass' })).status).toBeLessThan(300);

  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: APP_ID,
    client_secret: 's',
    scope: 'api://herald/.default',
  });
  const { access_token } = (await (
    await host.fetch(`/devhost/identity/${TENANT_A}/oauth2/v2.0/token`, { method: 'POST', body: form })
  ).json()) as {
    access_token: string;
  };
  app = (path, init = {}) =>
    host.fetch(path, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
}, 180_000);
afterAll(async () => {
  provider?.close();
  await host?.stop();
});

interface MailView {
  id: string;
  card?: unknown;
  cardStatus?: string;
}
const mailOf = (address: string) =>
  until(async () => {
    const res = await host.fetch(`/devhost/outlook/_control/mailboxes/${address}/messages`);
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as { messages?: MailView[] } | MailView[];
    const list = Array.isArray(body) ? body : (body.messages ?? []);
    return list[0];
  });
const press = async (address: string, id: string) => {
  const res = await host.fetch(`/devhost/outlook/_control/mailboxes/${address}/messages/${id}/actions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'Acknowledge', inputs: {} }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { outcome: { kind: string; status?: string; httpStatus?: number; card?: { body: { text: string }[] } } })
    .outcome;
};

test('the recipient presses the button: Herald relays it signed, and the refresh card replaces the card in Outlook', async () => {
  const sent = await app('/api/actionable/messages', {
    body: {
      providerId,
      sender: 'news@contoso.test',
      subject: 'Office closed Friday',
      html: `<html><head><script type="application/adaptivecard+json">${JSON.stringify({
        type: 'AdaptiveCard',
        version: '1.0',
        originator: providerId,
        body: [{ type: 'TextBlock', text: 'Office closed Friday' }],
        actions: [{ type: 'Action.Http', title: 'Acknowledge', method: 'POST', url: `${providerUrl}/ack?id=42`, body: '{"seen":true}' }],
      })}</script></head><body><p>Office closed Friday.</p></body></html>`,
      to: [{ address: 'una@contoso.test' }],
      cc: [{ address: 'ugo@contoso.test' }],
    },
  });
  expect(sent.status, await sent.clone().text()).toBe(202);

  const una = await mailOf('una@contoso.test');
  const outcome = await press('una@contoso.test', una.id);
  expect(outcome).toMatchObject({ kind: 'refresh', httpStatus: 200, status: 'Your acknowledgement was recorded.' });
  expect(outcome.card!.body[0]!.text).toBe('Acknowledged. Thank you.');

  expect(received).toHaveLength(1);
  expect(received[0]!.body).toBe('{"seen":true}');
  const jws = received[0]!.authorization.replace(/^Bearer /, '');
  const keys = createRemoteJWKSet(new URL(`${host.url}/api/actionable/keys`));
  const { payload } = await jwtVerify(jws, keys, { audience: providerId, algorithms: ['RS256'] });
  expect(payload).toMatchObject({
    sub: 'una@contoso.test',
    recipient: 'una@contoso.test',
    tid: TENANT_A,
    kind: 'click',
    actionRequestId: received[0]!.requestId,
  });
});

test("the CC'd colleague's copy has buttons bound to them: their press reaches the provider as them", async () => {
  const before = received.length;
  const ugo = await mailOf('ugo@contoso.test');
  const outcome = await press('ugo@contoso.test', ugo.id);
  expect(outcome).toMatchObject({ kind: 'refresh', httpStatus: 200 });
  expect(received).toHaveLength(before + 1);
  const keys = createRemoteJWKSet(new URL(`${host.url}/api/actionable/keys`));
  const { payload } = await jwtVerify(received.at(-1)!.authorization.replace(/^Bearer /, ''), keys, { audience: providerId });
  expect(payload).toMatchObject({ sub: 'ugo@contoso.test', recipient: 'ugo@contoso.test' });
});
