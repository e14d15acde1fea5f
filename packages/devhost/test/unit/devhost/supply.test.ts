import { expect, test } from 'vitest';
import { parseOptions, UsageError } from '../../../src/cliArgs.js';
import { parseExpiry } from '../../../src/identity/expiry.js';
import { expandSupplied, refersToSupplied, settingsNamingOtherPorts, suppliedSettings } from '../../../src/supply.js';

const push = {
  port: 50443,
  caFile: '/state/push/ca.pem',
  caPem: '',
  fcm: { projectId: 'devhost-push', serviceAccountFile: '/state/push/service-account.json' },
  apns: { keyFile: '/state/push/AuthKey_K.p8', keyId: 'K', teamId: 'T' },
};

test('what devhost supplies follows its own origin and the push port it got', () => {
  const supplied = suppliedSettings({ url: 'http://localhost:7123', acsAccessKey: 'a2V5', push, environment: undefined });
  expect(supplied).toEqual({
    AZURE_FUNCTIONS_ENVIRONMENT: 'Development',
    WEBSITE_HOSTNAME: 'localhost:7123',
    DEVHOST_URL: 'http://localhost:7123',
    DEVHOST_IDENTITY_AUTHORITY: 'http://localhost:7123/devhost/identity',
    DEVHOST_IDENTITY_JWKS_URI: 'http://localhost:7123/devhost/identity/discovery/v2.0/keys',
    DEVHOST_GRAPH_ENDPOINT: 'http://localhost:7123/devhost/graph',
    DEVHOST_ACS_ENDPOINT: 'http://localhost:7123/',
    DEVHOST_ACS_CONNECTION_STRING: 'endpoint=http://localhost:7123/;accesskey=a2V5',
    DEVHOST_PUSH_CONNECT_TO: '127.0.0.1:50443',
    DEVHOST_PUSH_CA_FILE: '/state/push/ca.pem',
    DEVHOST_PUSH_FCM_PROJECT_ID: 'devhost-push',
    DEVHOST_PUSH_FCM_SERVICE_ACCOUNT_FILE: '/state/push/service-account.json',
    DEVHOST_PUSH_APNS_KEY_FILE: '/state/push/AuthKey_K.p8',
    DEVHOST_PUSH_APNS_KEY_ID: 'K',
    DEVHOST_PUSH_APNS_TEAM_ID: 'T',
  });
  expect(suppliedSettings({ url: 'http://localhost:1', acsAccessKey: 'k', push: undefined, environment: 'Staging' })).toMatchObject({
    AZURE_FUNCTIONS_ENVIRONMENT: 'Staging',
  });
});

test('settings refer to what devhost supplies as %NAME%; other percent text stays; an unknown DEVHOST_ name is an error naming the setting', () => {
  const supplied = { DEVHOST_URL: 'http://localhost:7123', WEBSITE_HOSTNAME: 'localhost:7123' };
  expect(expandSupplied('%DEVHOST_URL%/devhost/identity/{tenantid}/v2.0', supplied, 'x')).toBe(
    'http://localhost:7123/devhost/identity/{tenantid}/v2.0',
  );
  expect(expandSupplied('https://%WEBSITE_HOSTNAME%/api', supplied, 'x')).toBe('https://localhost:7123/api');
  expect(refersToSupplied('caf%C3%A9 100%OTHER%')).toBe(false);
  expect(refersToSupplied('%DEVHOST_URL%')).toBe(true);
  expect(() => expandSupplied('%DEVHOST_GRAPH%', supplied, 'local.settings.json: GRAPH_ENDPOINT')).toThrow(
    /local.settings.json: GRAPH_ENDPOINT refers to %DEVHOST_GRAPH%, which devhost does not supply \(it supplies DEVHOST_URL, WEBSITE_HOSTNAME\)/,
  );
});

test('a setting naming a local port no listener has is reported, once per setting', () => {
  expect(
    settingsNamingOtherPorts(
      {
        GRAPH_ENDPOINT: 'http://localhost:7071/devhost/graph',
        AUTH_JWKS_URI: 'http://localhost:7123/keys',
        PUSH_CONNECT_TO: '127.0.0.1:7443 127.0.0.1:7444',
        PUBLIC: 'https://herald.example',
      },
      [7123, 50443],
    ),
  ).toEqual(['GRAPH_ENDPOINT names localhost:7071', 'PUSH_CONNECT_TO names 127.0.0.1:7443']);
});

test('durations take a sign: -5m ended five minutes ago', () => {
  expect(parseExpiry('-5m')).toBe(-300);
  expect(parseExpiry('+1h')).toBe(3600);
  expect(parseExpiry('90')).toBe(90);
  expect(parseExpiry('2d')).toBe(172_800);
  expect(() => parseExpiry('5x')).toThrow('"5x" is not a duration like 3600, 15m, 1h, 2d or -5m');
});

test('options: --name value and --name=value, a dashed value, the last repeat, and errors naming the option', () => {
  const spec = { expires: { type: 'string' }, roles: { type: 'string', default: '' }, json: { type: 'boolean' } } as const;
  expect(parseOptions(['--expires', '-5m', '--roles=A,B', '--json'], spec)).toEqual({
    help: false,
    expires: '-5m',
    roles: 'A,B',
    json: true,
  });
  expect(parseOptions(['--expires', '1h', '--expires', '2h'], spec).expires).toBe('2h');
  expect(parseOptions(['--help'], spec).help).toBe(true);
  expect(parseOptions([], spec)).toEqual({ help: false, expires: undefined, roles: '', json: false });
  const error = (argv: string[]) => {
    try {
      parseOptions(argv, spec);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };
  expect(error(['--expiry', '1h'])).toBe('unknown option --expiry');
  expect(error(['-x'])).toBe('unknown option -x');
  expect(error(['--expires'])).toBe('--expires needs a value');
  expect(error(['--expires', '--json'])).toBe('--expires needs a value');
  expect(error(['--json=yes'])).toBe('--json takes no value');
  expect(error(['stray'])).toBe('unexpected argument "stray" (options start with --)');
});
