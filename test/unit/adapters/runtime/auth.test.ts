import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, test } from 'vitest';
import { authSettingsFromEnv, Unauthenticated, verifyBearer, type AuthSettings } from '../../../../adapters/runtime/auth.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const settings: AuthSettings = {
  issuerTemplate: 'https://login.example/{tenantid}/v2.0',
  audience: 'api://herald',
  jwksUri: 'https://login.example/keys',
};
const NOW = Date.parse('2030-01-01T00:00:00Z');
const seconds = (ms: number) => Math.floor(ms / 1000);

let sign: (claims: JWTPayload) => Promise<string>;
let keys: ReturnType<typeof createLocalJWKSet>;
beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] });
  sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
});

const claims = (over: JWTPayload = {}): JWTPayload => ({
  iss: `https://login.example/${TENANT}/v2.0`,
  aud: 'api://herald',
  tid: TENANT,
  oid: 'c0ffee00-0000-4000-8000-000000000001',
  preferred_username: 'ann@contoso.test',
  name: 'Ann',
  roles: ['Messages.Write'],
  iat: seconds(NOW) - 60,
  exp: seconds(NOW) + 3600,
  ...over,
});

const verify = async (over: JWTPayload = {}, at = NOW) => verifyBearer(`Bearer ${await sign(claims(over))}`, settings, keys, at);
const reason = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (e: unknown) => (e instanceof Unauthenticated ? e.reason : `threw ${String(e)}`),
  );

describe('verifyBearer', () => {
  test('a valid token becomes the caller', async () => {
    expect(await verify()).toEqual({
      tenantId: TENANT,
      userId: 'c0ffee00-0000-4000-8000-000000000001',
      upn: 'ann@contoso.test',
      name: 'Ann',
      roles: ['Messages.Write'],
    });
  });

  test('the issuer must be the template filled with the token’s own tenant', async () => {
    expect(await reason(verify({ iss: 'https://login.example/00000000-0000-4000-8000-000000000000/v2.0' }))).toMatch(/trusted issuer/);
    expect(await reason(verify({ iss: 'https://evil.example/' + TENANT + '/v2.0' }))).toMatch(/trusted issuer/);
  });

  test('expiry is judged at the given time, with a small tolerance', async () => {
    const exp = seconds(NOW) + 3600;
    expect(await reason(verify({ exp }, exp * 1000 + 10_000))).toBe('accepted');
    expect(await reason(verify({ exp }, exp * 1000 + 60_000))).toBe('the token has expired');
  });

  test('audience, tenant and signature are checked', async () => {
    expect(await reason(verify({ aud: 'api://other' }))).toMatch(/audience/);
    expect(await reason(verify({ tid: 'a:b' }))).toMatch(/tid claim/);
    expect(await reason(verify({ tid: undefined }))).toMatch(/tid/);
    const token = await sign(claims());
    expect(await reason(verifyBearer(`Bearer ${token.slice(0, -4)}AAAA`, settings, keys, NOW))).toMatch(/signature/);
  });

  test('the header must carry a bearer token', async () => {
    expect(await reason(verifyBearer(null, settings, keys, NOW))).toBe('a bearer token is required');
    expect(await reason(verifyBearer('Basic abc', settings, keys, NOW))).toMatch(/must be Bearer followed by a token/);
    expect(await reason(verifyBearer('Bearer abc.def', settings, keys, NOW))).toBe('the token is malformed');
  });
});

describe('authSettingsFromEnv', () => {
  test('reads the three settings and names the ones that are wrong', () => {
    expect(
      authSettingsFromEnv({ AUTH_ISSUER: settings.issuerTemplate, AUTH_AUDIENCE: settings.audience, AUTH_JWKS_URI: settings.jwksUri }),
    ).toEqual(settings);
    expect(() => authSettingsFromEnv({ AUTH_ISSUER: 'https://login.example/common/v2.0', AUTH_AUDIENCE: 'api://herald' })).toThrow(
      /AUTH_ISSUER must contain \{tenantid\}.*AUTH_JWKS_URI/,
    );
  });
});
