import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SAMPLE_TENANT_ID } from '../../../src/standins/sampleOrg.js';
import { startHost, type TestHost } from '../../../src/testing.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/devhost/web' });
});
afterAll(async () => {
  await host?.stop();
});

const CLIENT = 'console-client';
const REDIRECT = 'http://localhost:9/';
const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');
const authorizeParams = {
  client_id: CLIENT,
  redirect_uri: REDIRECT,
  response_type: 'code',
  scope: 'openid api://app/.default',
  state: 'state-1',
  nonce: 'nonce-1',
  code_challenge: challenge,
  code_challenge_method: 'S256',
};

/** Signs in on the page's form as `person` (tenant|upn) with `roles`: the redirect's code. */
async function chooseOnPage(person: string, roles: string, params: Record<string, string> = authorizeParams) {
  const res = await host.fetch('/devhost/identity/organizations/oauth2/v2.0/authorize', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, person, roles }).toString(),
    redirect: 'manual',
  });
  expect(res.status, await res.clone().text()).toBe(302);
  return new URL(res.headers.get('location')!);
}

const redeem = (code: string, codeVerifier = verifier) =>
  host.fetch('/devhost/identity/organizations/oauth2/v2.0/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: CLIENT,
      redirect_uri: REDIRECT,
      code,
      code_verifier: codeVerifier,
    }).toString(),
  });

describe('browser sign-in at the stand-in issuer (authorization code + PKCE)', () => {
  test('the authorize page lists the directory’s people; the code redeems once for tokens with their tid, oid and the roles chosen', async () => {
    const directory = (await (await host.fetch(`/devhost/graph/_control/tenants/${SAMPLE_TENANT_ID}/directory`)).json()) as {
      users: { id: string; userPrincipalName: string; displayName: string; userType?: string; accountEnabled?: boolean }[];
    };
    const person = directory.users.find((u) => u.userType !== 'Guest' && u.accountEnabled !== false)!;
    const guest = directory.users.find((u) => u.userType === 'Guest');

    const page = await host.fetch(`/devhost/identity/organizations/oauth2/v2.0/authorize?${new URLSearchParams(authorizeParams)}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(person.userPrincipalName);
    expect(html).toContain(`value="${SAMPLE_TENANT_ID}|${person.userPrincipalName}"`);
    if (guest) expect(html).not.toContain(guest.userPrincipalName);

    const back = await chooseOnPage(`${SAMPLE_TENANT_ID}|${person.userPrincipalName}`, 'Messages.Write Reports.Read');
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('state-1');
    const code = back.searchParams.get('code')!;

    const res = await redeem(code);
    expect(res.status, await res.clone().text()).toBe(200);
    const tokens = (await res.json()) as { access_token: string; id_token: string; token_type: string; expires_in: number };
    expect(tokens.token_type).toBe('Bearer');
    const jwks = createRemoteJWKSet(new URL(`${host.url}/devhost/identity/discovery/v2.0/keys`));
    const issuer = `${host.url}/devhost/identity/${SAMPLE_TENANT_ID}/v2.0`;
    const access = await jwtVerify(tokens.access_token, jwks, { issuer, audience: 'api://app' });
    expect(access.payload).toMatchObject({
      tid: SAMPLE_TENANT_ID,
      oid: person.id,
      preferred_username: person.userPrincipalName,
      name: person.displayName,
      roles: ['Messages.Write', 'Reports.Read'],
      azp: CLIENT,
    });
    const id = await jwtVerify(tokens.id_token, jwks, { issuer, audience: CLIENT });
    expect(id.payload).toMatchObject({ nonce: 'nonce-1', oid: person.id });

    const again = await redeem(code);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  test('a wrong code verifier, a missing PKCE challenge and someone not in the directory are refused', async () => {
    const directory = (await (await host.fetch(`/devhost/graph/_control/tenants/${SAMPLE_TENANT_ID}/directory`)).json()) as {
      users: { userPrincipalName: string; userType?: string; accountEnabled?: boolean }[];
    };
    const upn = directory.users.find((u) => u.userType !== 'Guest' && u.accountEnabled !== false)!.userPrincipalName;
    const back = await chooseOnPage(`${SAMPLE_TENANT_ID}|${upn}`, '');
    const wrong = await redeem(back.searchParams.get('code')!, randomBytes(32).toString('base64url'));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error_description: string }).error_description).toMatch(/code_verifier/);

    const { code_challenge: _c, code_challenge_method: _m, ...noPkce } = authorizeParams;
    const page = await host.fetch(`/devhost/identity/organizations/oauth2/v2.0/authorize?${new URLSearchParams(noPkce)}`);
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/code_challenge/);

    const stranger = await host.fetch('/devhost/identity/organizations/oauth2/v2.0/authorize', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...authorizeParams, person: `${SAMPLE_TENANT_ID}|nobody@nowhere.test`, roles: '' }).toString(),
      redirect: 'manual',
    });
    expect(stranger.status).toBe(400);
  });

  test('discovery names the authorize and token endpoints in Entra’s shape, with S256', async () => {
    const doc = (await (await host.fetch('/devhost/identity/organizations/v2.0/.well-known/openid-configuration')).json()) as Record<
      string,
      unknown
    >;
    expect(doc).toMatchObject({
      issuer: `${host.url}/devhost/identity/{tenantid}/v2.0`,
      authorization_endpoint: `${host.url}/devhost/identity/organizations/oauth2/v2.0/authorize`,
      token_endpoint: `${host.url}/devhost/identity/organizations/oauth2/v2.0/token`,
      code_challenge_methods_supported: ['S256'],
    });
  });
});
