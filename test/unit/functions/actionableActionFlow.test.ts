import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, beforeEach, expect, test } from 'vitest';
import { ACTION_STATUS, ACTIONS_APP_ID } from '../../../core/actionToken.js';
import type { Provider } from '../../../core/provider.js';
import { actionToken, readActionToken, type ActionLink } from '../../../adapters/runtime/actionLinks.js';
import { bearerOf, createActionTokenValidator } from '../../../adapters/runtime/actionTokenValidator.js';
import type { RelayRequest, RelayResult } from '../../../adapters/services/providerRelay.js';
import type { ActionableSend, ActionAnswer } from '../../../adapters/stores/actionableStore.js';
import { createActionEndpoint, type ActionRequest } from '../../../functions/http/actionableActionFlow.js';

process.env.CLICK_LINK_SECRET = 'unit-test-secret-of-at-least-thirty-two-characters';

const TENANT = '72f98bf1-86f1-41af-91ab-2d7cd011db47';
const NOW = Date.parse('2026-12-07T08:00:00Z');
const PROVIDER = {
  id: '3f2b0000-0000-4000-8000-000000000001',
  tenantId: TENANT,
  entraAppId: '11111111-2222-4333-8444-555555555555',
  appIdUri: 'api://auth-am-3f2b0000-0000-4000-8000-000000000001/11111111-2222-4333-8444-555555555555',
  status: 'Approved',
  targetUrls: ['https://api.contoso.test/am'],
} as Provider;
const SEND: ActionableSend = {
  id: '0000000000000000000ab',
  tenantId: TENANT,
  providerId: PROVIDER.id,
  appId: PROVIDER.entraAppId,
  sender: 'announcements@contoso.test',
  subject: 'Office closed Friday',
  recipients: [
    { address: 'ana@contoso.test', kind: 'to', tenantId: TENANT },
    { address: 'bo@contoso.test', kind: 'cc', tenantId: TENANT },
  ],
  createdAt: new Date(NOW - 3600_000).toISOString(),
};
const link = (over: Partial<ActionLink> = {}): ActionLink => ({
  tenantId: TENANT,
  sendId: SEND.id,
  recipient: 'ana@contoso.test',
  url: 'https://api.contoso.test/am/ack?id=42',
  method: 'POST',
  kind: 'click',
  ...over,
});
const REFRESH = JSON.stringify({
  type: 'AdaptiveCard',
  version: '1.0',
  originator: PROVIDER.id,
  body: [{ type: 'TextBlock', text: 'Acknowledged' }],
  actions: [
    { type: 'Action.Http', title: 'Undo', method: 'POST', url: 'https://api.contoso.test/am/undo', body: '{}' },
    { type: 'Action.OpenUrl', title: 'Open', url: 'https://contoso.test/m/42' },
  ],
});

let key: CryptoKey;
let jwks: ReturnType<typeof createLocalJWKSet>;
beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1' }] });
});
const outlookToken = (over: Record<string, unknown> = {}) =>
  new SignJWT({
    aud: PROVIDER.appIdUri,
    iss: `https://sts.windows.net/${TENANT}/`,
    appid: ACTIONS_APP_ID,
    scp: 'Global.Test',
    tid: TENANT,
    upn: 'ana@contoso.test',
    iat: NOW / 1000 - 10,
    exp: NOW / 1000 + 3600,
    ...over,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .sign(key);

let relayed: RelayRequest[];
let relayAnswer: RelayResult;
let now: number;
let handle: ReturnType<typeof createActionEndpoint>;
beforeEach(() => {
  relayed = [];
  relayAnswer = { answered: true, status: 200, cardActionStatus: 'Your acknowledgement was recorded.', refresh: REFRESH };
  now = NOW;
  const tokens = new Map<string, ActionAnswer | null>();
  const requests = new Map<string, ActionAnswer | null>();
  handle = createActionEndpoint({
    readToken: readActionToken,
    linkFor: (l) => `https://herald.test/api/actionable/actions/${actionToken(l)}`,
    bearer: bearerOf,
    validator: createActionTokenValidator({
      keysFor: () => jwks,
      jwksAddress: () => 'local',
      issuers: () => ['https://sts.windows.net/{tenantid}/', 'https://login.microsoftonline.com/{tenantid}/v2.0'],
      scopes: () => [],
      now: () => now,
    }),
    store: {
      getSend: async (t, id) => (t === TENANT && id === SEND.id ? SEND : undefined),
      claimToken: async (t) => !tokens.has(t) && !!tokens.set(t, null),
      releaseToken: async (t) => void tokens.delete(t),
      answerToken: async (t, a) => void tokens.set(t, a),
      tokenAnswer: async (t) => tokens.get(t) ?? undefined,
      claimRequest: async (r) => !requests.has(r) && !!requests.set(r, null),
      answerRequest: async (r, a) => void requests.set(r, a),
      requestAnswer: async (r) => requests.get(r) ?? undefined,
    },
    providers: { findByOriginator: async (id) => (id === PROVIDER.id ? PROVIDER : undefined) },
    relay: async (r) => {
      relayed.push(r);
      return relayAnswer;
    },
    now: () => now,
    log: () => undefined,
  });
});

const act = async (token: string, bearer: string | undefined, requestId = crypto.randomUUID(), body = '{"comment":"Thanks"}') => {
  const headers = new Headers({ 'content-type': 'application/json', 'action-request-id': requestId });
  if (bearer) headers.set('authorization', `Bearer ${bearer}`);
  const request: ActionRequest = { token, method: 'POST', headers, body };
  return handle(request);
};

test('a click is relayed as the recipient and its refresh card comes back with its buttons through Herald again', async () => {
  const token = actionToken(link());
  const a = await act(token, await outlookToken());
  expect(a.status).toBe(200);
  expect(a.headers).toMatchObject({ 'card-action-status': 'Your acknowledgement was recorded.', 'card-update-in-body': 'true' });
  const card = JSON.parse(a.body!);
  expect(card.body).toEqual([{ type: 'TextBlock', text: 'Acknowledged' }]);
  const undo = readActionToken(card.actions[0].url.split('/').pop());
  expect(undo).toEqual({ ...link(), url: 'https://api.contoso.test/am/undo' });
  expect(card.actions[1].url).toBe('https://contoso.test/m/42');
  expect(relayed).toHaveLength(1);
  expect(relayed[0]).toMatchObject({ url: 'https://api.contoso.test/am/ack?id=42', method: 'POST', body: '{"comment":"Thanks"}' });
  expect(relayed[0]!.claims).toEqual({
    providerId: PROVIDER.id,
    tenantId: TENANT,
    sendId: SEND.id,
    recipient: 'ana@contoso.test',
    actor: 'ana@contoso.test',
    kind: 'click',
  });
});

test('a repeated Action-Request-Id is answered as the first was and not relayed again', async () => {
  const token = actionToken(link());
  const bearer = await outlookToken();
  const first = await act(token, bearer, 'rq-0000-0001');
  const again = await act(token, bearer, 'rq-0000-0001');
  expect(again).toEqual(first);
  expect(relayed).toHaveLength(1);
});

test('a button acts once: clicked again, it answers with the card it got, saying so', async () => {
  const token = actionToken(link());
  const bearer = await outlookToken();
  const first = await act(token, bearer);
  const second = await act(token, bearer);
  expect(second.status).toBe(200);
  expect(second.headers['card-action-status']).toBe('This action was already taken.');
  expect(second.body).toBe(first.body);
  expect(relayed).toHaveLength(1);
});

test('a refresh on open is relayed on every open', async () => {
  const token = actionToken(link({ kind: 'refresh', url: 'https://api.contoso.test/am/refresh' }));
  const bearer = await outlookToken();
  expect((await act(token, bearer, undefined, '')).status).toBe(200);
  expect((await act(token, bearer, undefined, '')).status).toBe(200);
  expect(relayed.map((r) => r.claims.kind)).toEqual(['refresh', 'refresh']);
});

test('a valid token of someone else (a CC colleague) is 403, and nothing is relayed', async () => {
  const a = await act(actionToken(link()), await outlookToken({ upn: 'bo@contoso.test' }));
  expect(a).toEqual({ status: 403, headers: { 'card-action-status': ACTION_STATUS.notRecipient } });
  expect(relayed).toHaveLength(0);
});

test('no token, or one that fails validation (wrong audience, tenant, client, expired), is 401 with a CARD-ACTION-STATUS', async () => {
  const token = actionToken(link());
  const bad = [
    undefined,
    await outlookToken({ aud: 'https://api.contoso.test' }),
    await outlookToken({ appid: 'someone' }),
    await outlookToken({ exp: NOW / 1000 - 600 }),
    await outlookToken({
      tid: '00000000-0000-4000-8000-000000000009',
      iss: 'https://sts.windows.net/00000000-0000-4000-8000-000000000009/',
    }),
  ];
  for (const bearer of bad)
    expect(await act(token, bearer)).toEqual({ status: 401, headers: { 'card-action-status': ACTION_STATUS.unverified } });
  expect(relayed).toHaveLength(0);
});

test('a token Herald did not make, or a changed one, is 404: no action', async () => {
  const token = actionToken(link());
  const [payload, mac] = token.split('.');
  const other = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), u: 'https://evil.test' }),
  ).toString('base64url');
  expect((await act(`${other}.${mac}`, await outlookToken())).status).toBe(404);
  expect((await act('nonsense', await outlookToken())).status).toBe(404);
  expect(relayed).toHaveLength(0);
});

test('actions on an email older than a month are refused', async () => {
  now = Date.parse(SEND.createdAt) + 31 * 24 * 3600_000;
  const a = await act(actionToken(link()), await outlookToken({ iat: now / 1000, exp: now / 1000 + 3600 }));
  expect(a).toEqual({ status: 410, headers: { 'card-action-status': ACTION_STATUS.tooOld } });
});

test('a provider that does not answer is a 4xx the user may retry; its refusal passes its status through', async () => {
  const token = actionToken(link());
  relayAnswer = { answered: false, reason: 'no answer within 1500 ms' };
  expect(await act(token, await outlookToken())).toEqual({ status: 424, headers: { 'card-action-status': ACTION_STATUS.providerFailed } });
  relayAnswer = { answered: true, status: 400, cardActionStatus: 'Please enter a comment (max 500 characters).' };
  expect(await act(token, await outlookToken())).toEqual({
    status: 400,
    headers: { 'card-action-status': 'Please enter a comment (max 500 characters).' },
  });
  expect(relayed).toHaveLength(2);
});

test("a refresh card whose buttons leave the provider's target URLs, or is not version 1.0, is not shown", async () => {
  relayAnswer = { answered: true, status: 200, refresh: REFRESH.replace('https://api.contoso.test/am/undo', 'https://evil.test/x') };
  expect((await act(actionToken(link()), await outlookToken())).status).toBe(424);
  relayAnswer = { answered: true, status: 200, refresh: REFRESH.replace('"1.0"', '"1.4"') };
  expect((await act(actionToken(link()), await outlookToken())).status).toBe(424);
});
