import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/devhost/web' });
});
afterAll(async () => {
  await host?.stop();
});

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

describe('stand-in Entra issuer', () => {
  test('tokens verify against the discovery document and JWKS, with Entra claims', async () => {
    const discovery = (await (await host.fetch(`/devhost/identity/${TENANT}/v2.0/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(discovery.issuer).toBe(`${host.url}/devhost/identity/${TENANT}/v2.0`);
    const token = await host.token({ tenant: TENANT, user: 'ann@contoso.test', roles: ['Messages.Write'], audience: 'api://app' });
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: discovery.issuer,
      audience: 'api://app',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ tid: TENANT, preferred_username: 'ann@contoso.test', roles: ['Messages.Write'], ver: '2.0' });
    const again = decodeJwt(await host.token({ tenant: TENANT, user: 'ann@contoso.test', audience: 'api://app' }));
    expect(again.oid).toBe(payload.oid);
  });

  test('an expired token fails verification', async () => {
    const jwks = createRemoteJWKSet(new URL(`${host.url}/devhost/identity/discovery/v2.0/keys`));
    const token = await host.token({ tenant: TENANT, user: 'bob@contoso.test', audience: 'api://app', expiresIn: -60 });
    await expect(jwtVerify(token, jwks)).rejects.toThrow(/exp/);
  });

  test('bad requests are refused with the field named', async () => {
    const res = await host.adminFetch('/admin/devhost/identity/token', {
      method: 'POST',
      body: JSON.stringify({ tenant: TENANT, user: 'x', audience: 'a', expiresIn: 'soon' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/expiresIn/);
  });

  test('npm run token prints a token from the running host', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      'dist/tokenCli.js',
      '--url',
      host.url,
      '--tenant',
      TENANT,
      '--user',
      'cli@contoso.test',
      '--roles',
      'Messages.Approve,Reports.Read',
      '--audience',
      'api://app',
      '--expires',
      '15m',
    ]);
    const claims = decodeJwt(stdout.trim());
    expect(claims).toMatchObject({ preferred_username: 'cli@contoso.test', roles: ['Messages.Approve', 'Reports.Read'], aud: 'api://app' });
    expect(claims.exp! - claims.iat!).toBe(900);
  });
});
