import { ManagedIdentityCredential } from '@azure/identity';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { appCredential } from '../../../../adapters/runtime/credentials.js';
import { emailSettings, graphSettings } from '../../../../adapters/runtime/settings.js';
import { emailClientFor } from '../../../../adapters/services/acsEmailSender.js';
import { clientProof, graphClient, graphToken, TOKEN_EXCHANGE_SCOPE } from '../../../../adapters/services/graphClient.js';

const IDENTITY = '5b1f1d5e-8f0c-4c4f-9d64-6f1a2b3c4d5e';
const APP = '0f2c3d4e-1111-4222-8333-944455566677';
const TENANT = '11111111-1111-4111-8111-111111111111';

interface Inside {
  generatedClient: { endpoint: string; pipeline: { getOrderedPolicies(): { name: string }[] } };
}
const inside = (client: unknown) => (client as Inside).generatedClient;
const policies = (client: unknown) =>
  inside(client)
    .pipeline.getOrderedPolicies()
    .map((p) => p.name);

const saved = { ...process.env };
beforeEach(() => {
  for (const k of [
    'GRAPH_CLIENT_SECRET',
    'GRAPH_AUTHORITY',
    'GRAPH_ENDPOINT',
    'AzureWebJobsStorage__credential',
    'AzureWebJobsStorage__clientId',
  ])
    delete process.env[k];
  Object.assign(process.env, { AZURE_CLIENT_ID: IDENTITY, GRAPH_CLIENT_ID: APP });
});
afterEach(() => {
  process.env = { ...saved };
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('the app’s identity', () => {
  test('with AZURE_CLIENT_ID is that user-assigned managed identity', () => {
    const credential = appCredential();
    expect(credential).toBeInstanceOf(ManagedIdentityCredential);
    expect(appCredential()).toBe(credential);
  });
});

describe('ACS email client', () => {
  test('with ACS_EMAIL_ENDPOINT only: that endpoint, and a bearer token of the app’s identity', () => {
    const settings = emailSettings({ ACS_EMAIL_ENDPOINT: 'https://acs-herald-42.europe.communication.azure.com/' });
    let asked: unknown;
    const client = emailClientFor(settings, () => (asked = appCredential()) as ManagedIdentityCredential);
    expect(inside(client).endpoint).toBe('https://acs-herald-42.europe.communication.azure.com');
    expect(policies(client)).toContain('bearerTokenAuthenticationPolicy');
    expect(policies(client)).not.toContain('CommunicationAccessKeyCredentialPolicy');
    expect(asked).toBeInstanceOf(ManagedIdentityCredential);
  });

  test('with a connection string a user supplied: its endpoint and its access key, no identity', () => {
    const settings = emailSettings({
      ACS_EMAIL_CONNECTION_STRING: 'endpoint=https://acs-herald-42.europe.communication.azure.com/;accesskey=a2V5',
    });
    const credential = vi.fn(appCredential);
    const client = emailClientFor(settings, credential);
    expect(inside(client).endpoint).toBe('https://acs-herald-42.europe.communication.azure.com/');
    expect(policies(client)).toContain('CommunicationAccessKeyCredentialPolicy');
    expect(credential).not.toHaveBeenCalled();
  });
});

describe('Graph credential', () => {
  test('with GRAPH_CLIENT_SECRET: the secret, and no managed identity', async () => {
    const getToken = vi.fn();
    expect(await clientProof({ ...graphSettings(), clientSecret: 's3cret' }, () => ({ getToken }))).toEqual({ client_secret: 's3cret' });
    expect(getToken).not.toHaveBeenCalled();
  });

  test('without one: the managed identity’s token for the token exchange, sent as the client assertion', async () => {
    const getToken = vi
      .spyOn(ManagedIdentityCredential.prototype, 'getToken')
      .mockResolvedValue({ token: 'mi-assertion', expiresOnTimestamp: Date.now() + 3_600_000 });
    const requests: { url: string; body: URLSearchParams }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init: RequestInit) => {
        requests.push({ url, body: new URLSearchParams(String(init.body)) });
        return new Response(JSON.stringify({ access_token: 'graph-token', expires_in: 3599 }), { status: 200 });
      }),
    );
    expect(await graphToken(TENANT, { fresh: true })).toBe('graph-token');
    expect(getToken).toHaveBeenCalledWith(TOKEN_EXCHANGE_SCOPE);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe(`https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`);
    expect(Object.fromEntries(requests[0]!.body)).toEqual({
      grant_type: 'client_credentials',
      client_id: APP,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'mi-assertion',
      scope: 'https://graph.microsoft.com/.default',
    });
  });

  test('a managed identity that gives no token fails naming what was asked for', async () => {
    vi.spyOn(ManagedIdentityCredential.prototype, 'getToken').mockRejectedValue(new Error('no managed identity endpoint'));
    vi.stubGlobal('fetch', vi.fn());
    await expect(graphToken(TENANT, { fresh: true })).rejects.toThrow(
      `Graph token: GRAPH_CLIENT_SECRET is not set and the managed identity gave no token for ${TOKEN_EXCHANGE_SCOPE}: no managed identity endpoint`,
    );
  });
});

describe('a Graph call that gets no answer', () => {
  test('fails naming the address it called, without its query', async () => {
    Object.assign(process.env, { GRAPH_CLIENT_SECRET: 's3cret', GRAPH_ENDPOINT: 'http://127.0.0.1:9' });
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (url.includes('/oauth2/'))
          return new Response(JSON.stringify({ access_token: 'graph-token', expires_in: 3599 }), { status: 200 });
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
        });
      }),
    );
    await expect(graphClient(TENANT).api('/users').filter("userType eq 'Member'").get()).rejects.toThrow(
      'Graph call to http://127.0.0.1:9/v1.0/users failed: fetch failed: connect ECONNREFUSED 127.0.0.1:9',
    );
  });
});
