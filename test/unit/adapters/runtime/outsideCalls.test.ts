import { createRemoteJWKSet, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { verifyBearer } from '../../../../adapters/runtime/auth.js';
import { addressOf, OutsideCallFailed, whyFailed } from '../../../../adapters/runtime/outsideCalls.js';

const refused = () =>
  new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });

describe('a failed outside call', () => {
  test('names the address without its query or user info, and the network cause under "fetch failed"', () => {
    expect(addressOf('https://user:pw@graph.example/v1.0/users?$filter=x&sig=secret')).toBe('https://graph.example/v1.0/users');
    expect(whyFailed(refused())).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:9');
    expect(new OutsideCallFailed('Graph', 'https://graph.example/v1.0/users', refused()).message).toBe(
      'Graph call to https://graph.example/v1.0/users failed: fetch failed: connect ECONNREFUSED 127.0.0.1:9',
    );
  });

  test('an unreachable JWKS endpoint (a port nothing listens on) is a server error naming its address, not a 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ tid: 't', oid: 'o' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://login.example/t/v2.0')
      .setAudience('api://herald')
      .setExpirationTime('1h')
      .sign(privateKey);
    const jwksUri = 'http://127.0.0.1:9/discovery/v2.0/keys';
    const settings = { issuerTemplate: 'https://login.example/{tenantid}/v2.0', audience: 'api://herald', jwksUri };
    await expect(verifyBearer(`Bearer ${token}`, settings, createRemoteJWKSet(new URL(jwksUri)), Date.now())).rejects.toThrow(
      /^Token signing keys \(AUTH_JWKS_URI\) call to http:\/\/127\.0\.0\.1:9\/discovery\/v2\.0\/keys failed: fetch failed/,
    );
  });
});
