import { describe, expect, test } from 'vitest';
import {
  apnsSettings,
  authSettings,
  checkSettingsAtStart,
  emailSettings,
  fcmSettings,
  isLoopback,
  limits,
  settingsProblems,
  SettingsError,
  storageSettings,
  type Env,
} from '../../../../adapters/runtime/settings.js';

const IDENTITY = '5b1f1d5e-8f0c-4c4f-9d64-6f1a2b3c4d5e';

/** What the deployment's templates set (docs/deploy.md), Key Vault references resolved. */
const DEPLOYED: Env = {
  AzureWebJobsStorage__accountName: 'stherald42',
  AzureWebJobsStorage__credential: 'managedidentity',
  AzureWebJobsStorage__clientId: IDENTITY,
  AZURE_CLIENT_ID: IDENTITY,
  PUBLIC_BASE_URL: 'https://func-herald-42.azurewebsites.net',
  AUTH_ISSUER: 'https://login.microsoftonline.com/{tenantid}/v2.0',
  AUTH_AUDIENCE: '0f2c3d4e-1111-4222-8333-944455566677',
  AUTH_JWKS_URI: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/v2.0/keys',
  GRAPH_CLIENT_ID: '0f2c3d4e-1111-4222-8333-944455566677',
  ACS_EMAIL_ENDPOINT: 'https://acs-herald-42.europe.communication.azure.com',
  EMAIL_SENDER_ADDRESS: 'DoNotReply@0a1b2c3d.azurecomm.net',
  EMAIL_SENDS_PER_SECOND: '0.08',
  CLICK_LINK_SECRET: 'K7xq2VwP9mZr4Ls8Tn6Yb3Hc1Dj5Fg0Ae7Qu2Wi9Oo4Pp6Rr',
};

/** What local.settings.sample.json and devhost give a local run. */
const LOCAL: Env = {
  AZURE_FUNCTIONS_ENVIRONMENT: 'Development',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  AUTH_ISSUER: 'http://localhost:7071/devhost/identity/{tenantid}/v2.0',
  AUTH_AUDIENCE: 'api://herald',
  AUTH_JWKS_URI: 'http://localhost:7071/devhost/identity/discovery/v2.0/keys',
  GRAPH_ENDPOINT: 'http://localhost:7071/devhost/graph',
  GRAPH_AUTHORITY: 'http://127.0.0.1:7071/devhost/identity',
  GRAPH_CLIENT_ID: 'herald-local',
  GRAPH_CLIENT_SECRET: 'local-secret',
  ACS_EMAIL_CONNECTION_STRING: 'endpoint=http://[::1]:7071/;accesskey=ZGV2aG9zdCBBQ1M=',
  CLICK_LINK_SECRET: 'local-only-click-link-secret-change-me-in-azure',
  PUSH_CONNECT_TO: '127.0.0.1:7443',
  PUSH_CA_FILE: '.devhost/standins/push/ca.pem',
  FCM_SERVICE_ACCOUNT_FILE: '.devhost/standins/push/service-account.json',
  APNS_KEY_FILE: '.devhost/standins/push/AuthKey_DEVHOSTK01.p8',
  APNS_KEY_ID: 'DEVHOSTK01',
  APNS_TEAM_ID: 'DEVHOSTT01',
  APNS_TOPIC: 'com.contoso.herald',
};

const named = (env: Env) => settingsProblems(env).map((p) => `${p.setting} ${p.problem} [${p.scope}]`);
const startError = (env: Env) => {
  try {
    checkSettingsAtStart(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the start check passed');
};

describe('the settings the deployment and a local run give', () => {
  test('are right, in production and in Development respectively', () => {
    expect(named(DEPLOYED)).toEqual([]);
    expect(named(LOCAL)).toEqual([]);
    expect(checkSettingsAtStart(DEPLOYED)).toEqual([]);
  });

  test('storage as the deployment sets it is the account name and the identity; as Azurite, the connection string', () => {
    expect(storageSettings(DEPLOYED)).toEqual({
      kind: 'identity',
      accountName: 'stherald42',
      endpoints: {
        blob: 'https://stherald42.blob.core.windows.net',
        queue: 'https://stherald42.queue.core.windows.net',
        table: 'https://stherald42.table.core.windows.net',
      },
      managedIdentity: true,
      clientId: IDENTITY,
    });
    expect(storageSettings(LOCAL)).toMatchObject({
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
      plainHttp: true,
    });
    expect(emailSettings(DEPLOYED)).toMatchObject({ kind: 'identity', endpoint: 'https://acs-herald-42.europe.communication.azure.com' });
    expect(emailSettings(LOCAL)).toMatchObject({ kind: 'connectionString', endpoint: 'http://[::1]:7071', plainHttp: true });
  });

  test('numbers left unset are the published limits', () => {
    expect(limits({})).toEqual({
      teamsRequestsPerSecond: 2,
      emailSendsPerSecond: 0.5,
      pushThrottlePauseMs: 30_000,
      deliveryLeaseMs: 10_000,
    });
    expect(limits(DEPLOYED).emailSendsPerSecond).toBe(0.08);
  });
});

describe('missing settings', () => {
  test('each is named; the app-wide ones stop the start, a service’s own only that service', () => {
    expect(named({})).toEqual([
      'AzureWebJobsStorage is not set, nor is AzureWebJobsStorage__accountName [start]',
      'AUTH_ISSUER is not set [start]',
      'AUTH_AUDIENCE is not set [start]',
      'AUTH_JWKS_URI is not set [start]',
      'CLICK_LINK_SECRET is not set [start]',
      'GRAPH_CLIENT_ID is not set [graph]',
      'ACS_EMAIL_ENDPOINT is not set, nor is ACS_EMAIL_CONNECTION_STRING [email]',
    ]);
  });

  test('stop the start with one message naming every one of them and how to fix it', () => {
    const message = startError({});
    expect(message.split('\n')[0]).toBe(
      'Herald cannot start: 7 settings are wrong (AZURE_FUNCTIONS_ENVIRONMENT is not Development, so local values are refused):',
    );
    for (const setting of ['AzureWebJobsStorage', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URI', 'CLICK_LINK_SECRET'])
      expect(message).toMatch(new RegExp(`^  - ${setting} is not set.* — \\S`, 'm'));
    expect(message).toMatch(/^ {2}- GRAPH_CLIENT_ID is not set — .*\[stops Microsoft Graph \(audiences, Teams delivery\)\]$/m);
    expect(message).toMatch(/^ {2}- ACS_EMAIL_ENDPOINT is not set, nor is ACS_EMAIL_CONNECTION_STRING — .*\[stops email delivery/m);
  });

  test('of one service only: the app starts, and the service’s calls fail naming them', () => {
    const env = { ...DEPLOYED, ACS_EMAIL_ENDPOINT: undefined, GRAPH_CLIENT_ID: '' };
    expect(checkSettingsAtStart(env).map((p) => [p.setting, p.scope])).toEqual([
      ['GRAPH_CLIENT_ID', 'graph'],
      ['ACS_EMAIL_ENDPOINT', 'email'],
    ]);
    expect(() => emailSettings(env)).toThrow(SettingsError);
    expect(() => emailSettings(env)).toThrow(/^email cannot be sent: ACS_EMAIL_ENDPOINT is not set, nor is ACS_EMAIL_CONNECTION_STRING — /);
  });

  test('mobile push with none of its settings is not configured, which is no problem; half of APNs is', () => {
    expect(named({ ...DEPLOYED })).toEqual([]);
    expect(named({ ...DEPLOYED, APNS_KEY_ID: 'ABCDE12345' })).toEqual([
      'APNS_KEY_FILE is not set, nor is APNS_KEY [apns]',
      'APNS_TEAM_ID is not set [apns]',
      'APNS_TOPIC is not set [apns]',
    ]);
  });

  test('push keys as the settings’ own text (Key Vault references on Azure), or as files, one of the two', () => {
    const account = JSON.stringify({
      project_id: 'contoso-herald',
      client_email: 'push@contoso-herald.iam.gserviceaccount.com',
      private_key: 'k',
    });
    const apns = { APNS_KEY_ID: 'ABCDE12345', APNS_TEAM_ID: 'FGHIJ67890', APNS_TOPIC: 'com.contoso.herald' };
    const key = '-----BEGIN PRIVATE KEY-----\nMIGT…\n-----END PRIVATE KEY-----';
    expect(fcmSettings({ ...DEPLOYED, FCM_SERVICE_ACCOUNT: account })).toEqual({ serviceAccount: { text: account } });
    expect(apnsSettings({ ...DEPLOYED, ...apns, APNS_KEY: key })).toMatchObject({ key: { text: key }, production: true });
    expect(apnsSettings({ ...LOCAL })).toMatchObject({ key: { file: '.devhost/standins/push/AuthKey_DEVHOSTK01.p8' } });
    expect(named({ ...DEPLOYED, ...apns, FCM_SERVICE_ACCOUNT: '{"project_id":"x"}', APNS_KEY: 'AuthKey.p8' })).toEqual([
      'FCM_SERVICE_ACCOUNT must be a service-account JSON with client_email and private_key [fcm]',
      'APNS_KEY must be the .p8 key’s text, -----BEGIN PRIVATE KEY-----… [apns]',
    ]);
    expect(
      named({
        ...DEPLOYED,
        ...apns,
        FCM_SERVICE_ACCOUNT: account,
        FCM_SERVICE_ACCOUNT_FILE: 'sa.json',
        APNS_KEY: key,
        APNS_KEY_FILE: 'k.p8',
      }),
    ).toEqual([
      'FCM_SERVICE_ACCOUNT is set beside FCM_SERVICE_ACCOUNT_FILE: set one of the two [fcm]',
      'APNS_KEY is set beside APNS_KEY_FILE: set one of the two [apns]',
    ]);
  });
});

describe('malformed settings', () => {
  test('are named with what is wrong with them', () => {
    expect(
      named({
        ...DEPLOYED,
        AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=stherald42',
        AZURE_CLIENT_ID: 'the identity',
        AUTH_ISSUER: 'https://login.microsoftonline.com/common/v2.0',
        AUTH_JWKS_URI: 'login.microsoftonline.com/keys',
        CLICK_LINK_SECRET: 'short',
        PUBLIC_BASE_URL: 'func-herald-42.azurewebsites.net',
        TEAMS_REQUESTS_PER_SECOND: 'fast',
        DELIVERY_LEASE_SECONDS: '0',
        GRAPH_ENDPOINT: 'graph',
        ACS_EMAIL_CONNECTION_STRING: 'endpoint=https://acs.example;accesskey=not base64!',
        EMAIL_SENDER_ADDRESS: 'DoNotReply',
        APNS_KEY_FILE: 'AuthKey.p8',
        APNS_KEY_ID: 'key',
        APNS_TEAM_ID: 'ABCDE12345',
        APNS_TOPIC: 'herald',
        APNS_PRODUCTION: 'yes',
        PUSH_CONNECT_TO: 'push.example',
      }),
    ).toEqual([
      'AzureWebJobsStorage must hold AccountName and AccountKey (or UseDevelopmentStorage=true) [start]',
      'AZURE_CLIENT_ID must be a client id (a GUID) [start]',
      'AUTH_ISSUER must contain {tenantid} [start]',
      'AUTH_JWKS_URI must be an http(s) URL [start]',
      'CLICK_LINK_SECRET is shorter than 32 characters [start]',
      'PUBLIC_BASE_URL must be an http(s) URL [start]',
      'TEAMS_REQUESTS_PER_SECOND must be a number, 0 or more [start]',
      'DELIVERY_LEASE_SECONDS must be a number above 0 [start]',
      'GRAPH_ENDPOINT must be an http(s) URL [graph]',
      'ACS_EMAIL_CONNECTION_STRING must hold accesskey=<base64 key> [email]',
      'EMAIL_SENDER_ADDRESS must be an email address [email]',
      'APNS_KEY_ID must be the 10-character key id (capital letters and digits) [apns]',
      'APNS_TOPIC must be a bundle id such as com.contoso.herald [apns]',
      'APNS_PRODUCTION must be true or false [apns]',
      'PUSH_CONNECT_TO must be host:port [push]',
    ]);
  });

  test('an accessor names its settings in one line, and reads them again when they change', () => {
    const env: Record<string, string | undefined> = { AUTH_ISSUER: 'https://login.example/common/v2.0', AUTH_AUDIENCE: 'api://herald' };
    expect(() => authSettings(env)).toThrow(
      /^authentication is not configured: AUTH_ISSUER must contain \{tenantid\} — .*; AUTH_JWKS_URI is not set — /,
    );
    env.AUTH_ISSUER = 'https://login.example/{tenantid}/v2.0';
    env.AUTH_JWKS_URI = 'https://login.example/keys';
    expect(authSettings(env)).toEqual({ issuerTemplate: env.AUTH_ISSUER, audience: 'api://herald', jwksUri: 'https://login.example/keys' });
  });
});

describe('outside Development', () => {
  test('the sample secrets and endpoints on this machine are refused at start, each named', () => {
    const { AZURE_FUNCTIONS_ENVIRONMENT: _, ...production } = LOCAL;
    expect(named(production)).toEqual([
      'CLICK_LINK_SECRET is the sample value from local.settings.sample.json, refused outside Development [start]',
      'GRAPH_CLIENT_SECRET is the sample value from local.settings.sample.json, refused outside Development [start]',
      'AUTH_ISSUER points at this machine (localhost), refused outside Development [start]',
      'AUTH_JWKS_URI points at this machine (localhost), refused outside Development [start]',
      'GRAPH_AUTHORITY points at this machine (127.0.0.1), refused outside Development [start]',
      'GRAPH_ENDPOINT points at this machine (localhost), refused outside Development [start]',
      'ACS_EMAIL_CONNECTION_STRING points at this machine (::1), refused outside Development [start]',
      'PUSH_CONNECT_TO points at this machine (127.0.0.1), refused outside Development [start]',
    ]);
    const message = startError({ ...production, AZURE_FUNCTIONS_ENVIRONMENT: 'Production' });
    expect(message).toMatch(/^Herald cannot start: 8 settings are wrong \(AZURE_FUNCTIONS_ENVIRONMENT is not Development/);
    expect(message).toMatch(
      /^ {2}- ACS_EMAIL_CONNECTION_STRING points at this machine \(::1\), refused outside Development — endpoint=https:/m,
    );
  });

  test('the same values are accepted in Development', () => {
    expect(checkSettingsAtStart(LOCAL)).toEqual([]);
  });

  test('only loopback names and addresses count as this machine', () => {
    for (const host of ['localhost', 'LOCALHOST', 'herald.localhost', '127.0.0.1', '127.1.2.3', '::1'])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ['localhost.contoso.com', '10.0.0.1', 'login.microsoftonline.com', '::ffff:10.0.0.1'])
      expect(isLoopback(host), host).toBe(false);
    expect(named({ ...DEPLOYED, ACS_EMAIL_ENDPOINT: 'https://[::1]:8443/' })).toEqual([
      'ACS_EMAIL_ENDPOINT points at this machine (::1), refused outside Development [start]',
    ]);
  });
});
