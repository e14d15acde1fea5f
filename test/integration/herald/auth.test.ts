import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { AUDIENCE, startHerald, TENANT_A } from './support.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHerald();
});
afterAll(async () => {
  await host?.stop();
});

const list = (authorization?: string) => host.fetch('/api/messages', authorization ? { headers: { authorization } } : {});

async function expectProblem(res: Response, status: number, type: string, detail: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as { type: string; status: number; title: string; detail: string };
  expect(body).toMatchObject({ type: `https://herald.example/problems/${type}`, status });
  expect(body.title).toBeTruthy();
  expect(body.detail).toMatch(detail);
  return res;
}

describe('who may call the messages API', () => {
  test('no token: 401 with a Bearer challenge', async () => {
    const res = await expectProblem(await list(), 401, 'unauthenticated', /bearer token is required/);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  test('not a bearer token, or not a JWT: 401', async () => {
    await expectProblem(await list('Basic dXNlcjpwYXNz'), 401, 'unauthenticated', /must be Bearer followed by a token/);
    const res = await expectProblem(await list('Bearer not.a.jwt'), 401, 'unauthenticated', /malformed/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  test('an expired token: 401', async () => {
    const token = await host.token({
      tenant: TENANT_A,
      user: 'ann@contoso.test',
      roles: ['Messages.Write'],
      audience: AUDIENCE,
      expiresIn: -60,
    });
    await expectProblem(await list(`Bearer ${token}`), 401, 'unauthenticated', /expired/);
  });

  test('a token for another API: 401', async () => {
    const token = await host.token({ tenant: TENANT_A, user: 'ann@contoso.test', roles: ['Messages.Write'], audience: 'api://other' });
    await expectProblem(await list(`Bearer ${token}`), 401, 'unauthenticated', /audience/);
  });

  test('a token signed by another key, claiming to be from the trusted issuer: 401', async () => {
    const genuine = await host.token({ tenant: TENANT_A, user: 'ann@contoso.test', roles: ['Messages.Write'], audience: AUDIENCE });
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(decodeJwt(genuine))
      .setProtectedHeader(decodeProtectedHeader(genuine) as { alg: string })
      .sign(privateKey);
    await expectProblem(await list(`Bearer ${forged}`), 401, 'unauthenticated', /signature/);
  });

  test('a token whose claims were altered after signing: 401', async () => {
    const genuine = await host.token({ tenant: TENANT_A, user: 'ann@contoso.test', roles: [], audience: AUDIENCE });
    const [header, , signature] = genuine.split('.');
    const claims = Buffer.from(JSON.stringify({ ...decodeJwt(genuine), roles: ['Messages.Write'] })).toString('base64url');
    await expectProblem(await list(`Bearer ${header}.${claims}.${signature}`), 401, 'unauthenticated', /signature/);
  });

  test('a valid token without a role the endpoint needs: 403', async () => {
    const token = await host.token({ tenant: TENANT_A, user: 'rita@contoso.test', roles: ['Reports.Read'], audience: AUDIENCE });
    await expectProblem(await list(`Bearer ${token}`), 403, 'forbidden', /Messages\.Write, Messages\.Approve/);
    const create = await host.fetch('/api/messages', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    await expectProblem(create, 403, 'forbidden', /Messages\.Write/);
  });

  test('an approver may read but not write', async () => {
    const token = await host.token({ tenant: TENANT_A, user: 'abe@contoso.test', roles: ['Messages.Approve'], audience: AUDIENCE });
    expect((await list(`Bearer ${token}`)).status).toBe(200);
    const create = await host.fetch('/api/messages', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    await expectProblem(create, 403, 'forbidden', /Messages\.Write/);
  });
});
