import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose';
import { beforeAll, expect, test } from 'vitest';
import { ACTIONS_APP_ID, ActionTokenRejected } from '../../../../core/actionToken.js';
import { bearerOf, createActionTokenValidator } from '../../../../adapters/runtime/actionTokenValidator.js';

const TENANT = '72f98bf1-86f1-41af-91ab-2d7cd011db47';
const NOW = Date.parse('2026-12-07T08:00:00Z');
const APP_ID = '11111111-2222-4333-8444-555555555555';
const APP_ID_URI = `api://auth-am-3f2b0000-0000-4000-8000-000000000001/${APP_ID}`;
const binding = { tenantId: TENANT, audiences: [APP_ID_URI, APP_ID] };

let key: CryptoKey;
let otherKey: CryptoKey;
let validator: ReturnType<typeof createActionTokenValidator>;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] });
  validator = createActionTokenValidator({
    keysFor: () => jwks,
    jwksAddress: () => 'https://login.example/keys',
    issuers: () => ['https://sts.windows.net/{tenantid}/', 'https://login.microsoftonline.com/{tenantid}/v2.0'],
    scopes: () => ['Global.Test'],
    now: () => NOW,
  });
});

/** Example 1's decoded token: Entra v1, as an app registration left at the default receives. */
const v1 = (over: Record<string, unknown> = {}) => ({
  aud: APP_ID_URI,
  iss: `https://sts.windows.net/${TENANT}/`,
  appid: ACTIONS_APP_ID,
  scp: 'Global.Test',
  tid: TENANT,
  oid: '9c1e0000-0000-4000-8000-000000000000',
  sub: 'pairwise-opaque-id',
  upn: 'Ana@herald.example',
  iat: NOW / 1000 - 60,
  nbf: NOW / 1000 - 60,
  exp: NOW / 1000 + 3540,
  ...over,
});
const mint = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, signer = key) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'k1', ...header }).sign(signer);
const rejection = async (token: string | undefined) => {
  try {
    await validator.validate(token, binding);
  } catch (error) {
    if (error instanceof ActionTokenRejected) return error.reason;
    throw error;
  }
  return 'accepted';
};

test('a v1 token (AppIdUri audience, appid) names the acting user from upn, lower-cased, never from sub', async () => {
  expect(await validator.validate(await mint(v1()), binding)).toEqual({
    upn: 'ana@herald.example',
    tenantId: TENANT,
    oid: '9c1e0000-0000-4000-8000-000000000000',
  });
});

test('a v2 token (app id audience, azp, preferred_username) is accepted too', async () => {
  const { appid: _appid, upn: _upn, ...rest } = v1();
  const v2 = {
    ...rest,
    ver: '2.0',
    iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    aud: APP_ID,
    azp: ACTIONS_APP_ID.toUpperCase(),
    preferred_username: 'ana@herald.example',
  };
  expect((await validator.validate(await mint(v2), binding)).upn).toBe('ana@herald.example');
});

test('wrong alg: none and HS256 are refused before any key is looked at; so is a token without kid', async () => {
  expect(await rejection(new UnsecuredJWT(v1()).encode())).toBe("the token's alg is none, not RS256");
  const hs = await new SignJWT(v1()).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new TextEncoder().encode('s'.repeat(32)));
  expect(await rejection(hs)).toBe("the token's alg is HS256, not RS256");
  expect(await rejection(await new SignJWT(v1()).setProtectedHeader({ alg: 'RS256' }).sign(key))).toMatch(/no kid/);
});

test("wrong signature: another key, a changed payload, a kid the issuer's keys do not have", async () => {
  expect(await rejection(await mint(v1(), {}, otherKey))).toMatch(/signature does not verify/);
  const [h, , s] = (await mint(v1())).split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify(v1({ upn: 'boss@herald.example' }))).toString('base64url')}.${s}`;
  expect(await rejection(forged)).toMatch(/signature does not verify/);
  expect(await rejection(await mint(v1(), { kid: 'k2' }))).toBe("no trusted key has the token's kid k2");
  expect(await rejection('not.a.token')).toMatch(/malformed/);
  expect(await rejection(undefined)).toBe('a bearer token is required');
});

test('wrong issuer: another issuer, or the right one for another tenant', async () => {
  expect(await rejection(await mint(v1({ iss: 'https://substrate.office.com/sts/' })))).toMatch(/issuer .* is not a trusted Entra issuer/);
  expect(await rejection(await mint(v1({ iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/' })))).toMatch(/issuer/);
});

test('wrong tenant: tid is pinned to the tenant the message went to', async () => {
  const other = '00000000-0000-4000-8000-000000000009';
  expect(await rejection(await mint(v1({ tid: other, iss: `https://sts.windows.net/${other}/` })))).toBe(
    `the token's tenant ${other} is not the tenant the message was sent in`,
  );
});

test("wrong audience: the target URL's origin (the retired EAT rule) or another provider's app is not this provider's", async () => {
  expect(await rejection(await mint(v1({ aud: 'https://api.herald.example' })))).toMatch(/audience https:\/\/api.herald.example is not/);
  expect(await rejection(await mint(v1({ aud: 'api://auth-am-other/x' })))).toMatch(/audience/);
});

test('wrong azp/appid: only the Outlook Actions client may call', async () => {
  expect(await rejection(await mint(v1({ appid: 'devhost-token-cli' })))).toBe(
    `the token's client devhost-token-cli is not the Outlook Actions app ${ACTIONS_APP_ID}`,
  );
  const { appid: _appid, ...none } = v1();
  expect(await rejection(await mint(none))).toMatch(/client \(none\)/);
});

test("scp must hold the provider's scope", async () => {
  expect(await rejection(await mint(v1({ scp: 'User.Read' })))).toMatch(/scp User.Read does not hold/);
  expect(await rejection(await mint(v1({ scp: 'User.Read Global.Test' })))).toBe('accepted');
});

test('expired beyond the 5-minute skew is refused; within it accepted; a token not valid yet likewise', async () => {
  expect(await rejection(await mint(v1({ exp: NOW / 1000 - 301 })))).toBe('the token has expired');
  expect(await rejection(await mint(v1({ exp: NOW / 1000 - 299 })))).toBe('accepted');
  expect(await rejection(await mint(v1({ nbf: NOW / 1000 + 301 })))).toBe('the token is not valid yet');
  const { exp: _exp, ...noExp } = v1();
  expect(await rejection(await mint(noExp))).toBe('the token has no exp');
});

test('a token that names no user is refused: sub alone does not say who acted', async () => {
  const { upn: _upn, ...noUpn } = v1();
  expect(await rejection(await mint(noUpn))).toMatch(/names no user/);
});

test('the token comes from Authorization, or from Action-Authorization when the card asked for it', () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  expect(bearerOf(headers({ authorization: 'Bearer a.b.c' }))).toBe('a.b.c');
  expect(bearerOf(headers({ authorization: 'Bearer x.y.z', 'action-authorization': 'Bearer a.b.c' }))).toBe('a.b.c');
  expect(bearerOf(headers({ authorization: 'Basic abc' }))).toBeUndefined();
});
