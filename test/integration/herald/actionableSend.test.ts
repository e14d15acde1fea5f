// Sending actionable email through Herald, through devhost: a Test Users provider of tenant A sends as its
// Entra app (a client-credentials token from the stand-in issuer) a signed card that verifies, and one
// signed with another key; the ACS stand-in receives the first with the card in <head>, its button pointing
// at Herald's action endpoint, and the second with the HTML body alone; the debugger view says why per
// recipient; Herald publishes the keys it signs relayed actions with.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { emailsTo } from './deliverySupport.js';
import { as, loadDirectory, startHerald, TENANT_A, type Client } from './support.js';

const APP_ID = '0b7e3a59-5a6c-4f5c-8a51-5d4b0d1c9e77';
const keyPair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaXml = (publicKey: KeyObject) => {
  const jwk = publicKey.export({ format: 'jwk' });
  const b64 = (v: string) => Buffer.from(v, 'base64url').toString('base64');
  return `<RSAKeyValue><Modulus>${b64(jwk.n!)}</Modulus><Exponent>${b64(jwk.e!)}</Exponent></RSAKeyValue>`;
};
const registered = keyPair();
const stranger = keyPair();

let host: TestHost;
let providerId: string;
let app: Client;

const card = (originator: string) => ({
  type: 'AdaptiveCard',
  version: '1.0',
  originator,
  body: [{ type: 'TextBlock', text: 'Office closed Friday' }],
  actions: [{ type: 'Action.Http', title: 'Acknowledge', method: 'POST', url: 'https://api.expenses.test/actions/ack?id=42', body: '{}' }],
});
const signedHtml = (privateKey: KeyObject, recipients: string[]) =>
  new SignJWT({
    originator: providerId,
    sender: 'expenses@contoso.test',
    recipientsSerialized: JSON.stringify(recipients),
    adaptiveCardSerialized: JSON.stringify(card(providerId)),
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt()
    .sign(privateKey)
    .then(
      (jws) =>
        `<html><body><p>Office closed Friday.</p><section itemscope itemtype="http://schema.org/SignedAdaptiveCard"><meta itemprop="@context" content="http://schema.org/extensions" /><meta itemprop="@type" content="SignedAdaptiveCard" /><div itemprop="signedAdaptiveCard" style="display:none">${jws}</div></section></body></html>`,
    );

interface Verdict {
  address: string;
  cardEnabled: boolean;
  errors: string[];
  infos: string[];
  delivery?: string;
}

async function until<T>(what: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  host = await startHerald();
  await loadDirectory(host, TENANT_A, {
    users: ['ann', 'una', 'uma'].map((n) => ({ userPrincipalName: `${n}@contoso.test`, displayName: n })),
    groups: [],
  });
  const ann = await as(host, TENANT_A, 'ann@contoso.test', ['Providers.Write']);
  const created = await ann('/api/providers', {
    body: {
      friendlyName: 'Expenses',
      senderAddresses: ['expenses@contoso.test'],
      targetUrls: ['https://api.expenses.test/actions'],
      entraAppId: APP_ID,
      scope: 'TestUsers',
      testUsers: 'una@contoso.test;uma@contoso.test',
      publicKey: rsaXml(registered.publicKey),
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  providerId = ((await created.json()) as { id: string }).id;
  const submitted = await ann(`/api/providers/${providerId}/submit`, { method: 'POST' });
  expect(((await submitted.json()) as { status: string }).status).toBe('Approved');

  // The provider's daemon signs in as its Entra app, as it would against Entra.
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: APP_ID,
    client_secret: 's',
    scope: 'api://herald/.default',
  });
  const tokenRes = await host.fetch(`/devhost/identity/${TENANT_A}/oauth2/v2.0/token`, { method: 'POST', body: form });
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  app = (path, init = {}) =>
    host.fetch(path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
});
afterAll(async () => {
  await host?.stop();
});

test('a card signed with the registered key goes out in <head>, its button through Herald; the debugger lists what passed', async () => {
  const res = await app('/api/actionable/messages', {
    body: {
      providerId,
      sender: 'expenses@contoso.test',
      subject: 'Office closed Friday',
      html: await signedHtml(registered.privateKey, ['una@contoso.test', 'ann@contoso.test']),
      to: [{ address: 'una@contoso.test' }],
      cc: [{ address: 'ann@contoso.test' }],
    },
  });
  expect(res.status, await res.clone().text()).toBe(202);
  const { id, recipients } = (await res.json()) as { id: string; recipients: Verdict[] };
  expect(recipients.map((r) => [r.address, r.cardEnabled])).toEqual([
    ['una@contoso.test', true],
    ['ann@contoso.test', false],
  ]);
  expect(recipients[0]!.infos).toContain('Card signature verified');
  // ann is not one of the Test Users provider's test users.
  expect(recipients[1]!.errors).toEqual(["ann@contoso.test is not one of the provider's test users"]);

  const [una] = await until(async () =>
    (await emailsTo(host, 'una@contoso.test')).length ? emailsTo(host, 'una@contoso.test') : undefined,
  );
  const script = /<head><script type="application\/adaptivecard\+json">(.*?)<\/script>/.exec(una!.html ?? '');
  expect(script).not.toBeNull();
  const sent = JSON.parse(script![1]!) as { originator: string; actions: { url: string }[] };
  expect(sent.originator).toBe(providerId);
  expect(sent.actions[0]!.url).toMatch(new RegExp(`^${host.url}/api/actionable/actions/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));
  expect(una!.html).not.toContain('SignedAdaptiveCard');
  const [annMail] = await until(async () =>
    (await emailsTo(host, 'ann@contoso.test')).length ? emailsTo(host, 'ann@contoso.test') : undefined,
  );
  expect(annMail!.html).not.toContain('adaptivecard');
  expect(annMail!.html).toContain('Office closed Friday.');

  const view = await until(async () => {
    const v = (await (await app(`/api/actionable/messages/${id}`)).json()) as { recipients: Verdict[] };
    return v.recipients.every((r) => r.delivery === 'sent') ? v : undefined;
  });
  expect(view.recipients.map((r) => [r.address, r.cardEnabled, r.delivery])).toEqual([
    ['una@contoso.test', true, 'sent'],
    ['ann@contoso.test', false, 'sent'],
  ]);
});

test('a card signed with another key is stripped: the HTML body goes alone, and the debugger says the signature failed', async () => {
  const res = await app('/api/actionable/messages', {
    body: {
      providerId,
      sender: 'expenses@contoso.test',
      subject: 'Forged',
      html: await signedHtml(stranger.privateKey, ['uma@contoso.test']),
      to: [{ address: 'uma@contoso.test' }],
    },
  });
  expect(res.status, await res.clone().text()).toBe(202);
  const { recipients } = (await res.json()) as { recipients: Verdict[] };
  expect(recipients[0]!.cardEnabled).toBe(false);
  expect(recipients[0]!.errors[0]).toMatch(/signature validation failed/);
  const [uma] = await until(async () =>
    (await emailsTo(host, 'uma@contoso.test')).length ? emailsTo(host, 'uma@contoso.test') : undefined,
  );
  expect(uma!.html).not.toMatch(/adaptivecard|SignedAdaptiveCard/);
  expect(uma!.html).toContain('Office closed Friday.');
});

test("only the provider's Entra app may send as it; a user of the tenant may not", async () => {
  const ann = await as(host, TENANT_A, 'ann@contoso.test', ['Providers.Write']);
  const res = await ann('/api/actionable/messages', {
    body: { providerId, sender: 'expenses@contoso.test', subject: 'x', html: '<p>x</p>', to: [{ address: 'una@contoso.test' }] },
  });
  expect(res.status).toBe(403);
  const bad = await app('/api/actionable/messages', { body: { providerId, sender: 'nope', subject: '', html: '', to: [] } });
  expect(bad.status).toBe(400);
  const problem = (await bad.json()) as { errors: { path: string }[] };
  expect(problem.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['sender', 'subject', 'html', 'to']));
});

test('Herald publishes the keys providers verify relayed actions with', async () => {
  const res = await host.fetch('/api/actionable/keys');
  expect(res.status).toBe(200);
  const { keys } = (await res.json()) as { keys: { kty: string; kid: string; alg: string }[] };
  expect(keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256', kid: expect.any(String) })]);
  expect(keys[0]).not.toHaveProperty('d');
});
