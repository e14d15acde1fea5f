// What devhost supplies to an app (WEBSITE_HOSTNAME and DEVHOST_*, referred to as %DEVHOST_…% in its
// settings), hosts side by side on free ports with every stand-in working on each, and the CLIs: --help,
// signed durations, and finding the running host without being told its port. Fixture: supply (it has only a
// local.settings.sample.json, as a fresh clone has no local.settings.json).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { connect } from 'node:tls';
import { EmailClient } from '@azure/communication-email';
import apn from '@parse/node-apn';
import { cert, deleteApp, initializeApp } from 'firebase-admin/app';
import { getMessaging } from 'firebase-admin/messaging';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, test } from 'vitest';
import { SAMPLE_TENANT_ID } from '../../../src/standins/sampleOrg.js';
import { startHost, type TestHost } from '../../../src/testing.js';

const APP = 'test/fixtures/devhost/supply';

interface Settings {
  ISSUER: string;
  JWKS: string;
  TOKEN_AUTHORITY: string;
  GRAPH_BASE: string;
  MAIL_CONNECTION: string;
  PUSH_TO: string;
  PUSH_CA: string;
  FCM_ACCOUNT: string;
  APNS_KEY: string;
  APNS_KEY_ID: string;
  APNS_TEAM: string;
  SELF: string;
  PERCENT_TEXT: string;
  OVERRIDDEN: string;
  WEBSITE_HOSTNAME: string;
  AZURE_FUNCTIONS_ENVIRONMENT: string;
}

const hosts: TestHost[] = [];
const start = async (options: Partial<Parameters<typeof startHost>[0]> = {}) => {
  const host = await startHost({ app: APP, ...options });
  hosts.push(host);
  return host;
};
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

async function settingsOf(host: TestHost): Promise<{ atLoad: Settings; now: Settings }> {
  const res = await host.fetch('/api/settings');
  expect(res.status).toBe(200);
  return (await res.json()) as { atLoad: Settings; now: Settings };
}

/** Every connection to 127.0.0.1:<port> of PUSH_TO, keeping the real host as TLS server name, trusting PUSH_CA only. */
class PushAgent extends Agent {
  constructor(private readonly s: Settings) {
    super({ keepAlive: false });
  }
  override createConnection(options: { host?: string; servername?: string }): Duplex {
    const [host, port] = this.s.PUSH_TO.split(':');
    return connect({ host, port: Number(port), servername: options.servername || options.host, ca: readFileSync(this.s.PUSH_CA) });
  }
}

/**
 * Uses each stand-in exactly as an app would from the settings it was given — the issuer, Graph with an app
 * token, ACS Email, FCM and APNs — and checks this host (not another) received what was sent.
 */
async function everyChannel(host: TestHost, s: Settings, tag: string): Promise<void> {
  const issuer = s.ISSUER.replace('{tenantid}', SAMPLE_TENANT_ID);
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
  expect(discovery).toMatchObject({ issuer, jwks_uri: s.JWKS });
  expect((await fetch(s.JWKS)).status).toBe(200);

  const grant = await fetch(`${s.TOKEN_AUTHORITY}/${SAMPLE_TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'supply-app',
      client_secret: 'secret',
      scope: 'https://graph.microsoft.com/.default',
    }),
  });
  const { access_token: graphToken } = (await grant.json()) as { access_token: string };
  const users = await fetch(`${s.GRAPH_BASE}/users?$top=2`, { headers: { authorization: `Bearer ${graphToken}` } });
  expect(users.status, await users.clone().text()).toBe(200);
  expect(((await users.json()) as { value: unknown[] }).value).toHaveLength(2);

  const poller = await new EmailClient(s.MAIL_CONNECTION, { allowInsecureConnection: true }).beginSend({
    senderAddress: 'app@supply.test',
    content: { subject: tag, plainText: 'through the supplied connection string' },
    recipients: { to: [{ address: `${tag}@supply.test` }] },
  });
  expect((await poller.pollUntilDone()).status).toBe('Succeeded');
  const emails = (await (await host.fetch('/devhost/acs/_control/emails')).json()) as { emails: { subject: string }[] };
  expect(emails.emails.map((e) => e.subject)).toEqual([tag]);

  const agent = new PushAgent(s);
  const { project_id: projectId } = JSON.parse(readFileSync(s.FCM_ACCOUNT, 'utf8')) as { project_id: string };
  const firebase = initializeApp({ projectId, credential: cert(s.FCM_ACCOUNT, agent), httpAgent: agent }, `supply-${tag}`);
  try {
    await getMessaging(firebase).send({
      token: `${tag}:${randomBytes(20).toString('base64url')}`,
      notification: { title: tag, body: 'fcm' },
    });
  } finally {
    await deleteApp(firebase);
  }
  const [address, port] = s.PUSH_TO.split(':');
  const provider = new apn.Provider({
    token: { key: readFileSync(s.APNS_KEY), keyId: s.APNS_KEY_ID, teamId: s.APNS_TEAM },
    address,
    port: Number(port),
    ca: [readFileSync(s.PUSH_CA)],
    production: true,
  });
  try {
    const note = Object.assign(new apn.Notification(), { topic: 'com.supply.app', alert: { title: tag, body: 'apns' }, pushType: 'alert' });
    expect((await provider.send(note, randomBytes(32).toString('hex'))).failed).toEqual([]);
  } finally {
    provider.shutdown();
  }
  const received = (await (await host.fetch('/devhost/push/_control/received')).json()) as {
    notifications: { platform: string; title: string }[];
  };
  expect(received.notifications.map((n) => [n.platform, n.title])).toEqual([
    ['fcm', tag],
    ['apns', tag],
  ]);
}

describe('settings devhost supplies', () => {
  test('an app sees where this host and its stand-ins answer, before it loads: its port, and a push port devhost picked', async () => {
    const host = await start({ env: { OVERRIDDEN: 'the environment wins' } });
    const { atLoad, now } = await settingsOf(host);
    expect(atLoad).toEqual(now);
    expect(host.url).not.toBe('http://localhost:7071');
    expect(host.push.port).not.toBe(7443);
    expect(now).toEqual({
      ISSUER: `${host.url}/devhost/identity/{tenantid}/v2.0`,
      JWKS: `${host.url}/devhost/identity/discovery/v2.0/keys`,
      TOKEN_AUTHORITY: `${host.url}/devhost/identity`,
      GRAPH_BASE: `${host.url}/devhost/graph/v1.0`,
      MAIL_CONNECTION: expect.stringMatching(new RegExp(`^endpoint=${host.url}/;accesskey=[A-Za-z0-9+/=]+$`)),
      PUSH_TO: `127.0.0.1:${host.push.port}`,
      PUSH_CA: host.push.caFile,
      FCM_ACCOUNT: host.push.fcm.serviceAccountFile,
      APNS_KEY: host.push.apns.keyFile,
      APNS_KEY_ID: host.push.apns.keyId,
      APNS_TEAM: host.push.apns.teamId,
      SELF: `http://${new URL(host.url).host}/api`,
      PERCENT_TEXT: '100%OFF caf%C3%A9',
      OVERRIDDEN: 'the environment wins',
      WEBSITE_HOSTNAME: new URL(host.url).host,
      AZURE_FUNCTIONS_ENVIRONMENT: 'Development',
    });
    expect(host.supplied).toMatchObject({ DEVHOST_URL: host.url, DEVHOST_PUSH_CONNECT_TO: now.PUSH_TO });
    expect(host.output()).toContain(`Settings: ${join(APP, 'local.settings.sample.json')}`);
    await everyChannel(host, now, 'solo');
  });

  test('two hosts of the same app side by side, each on free ports of its own: every channel works on both', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const [sa, sb] = await Promise.all([settingsOf(a), settingsOf(b)]);
    expect(a.url).not.toBe(b.url);
    expect(sa.now.PUSH_TO).not.toBe(sb.now.PUSH_TO);
    expect(sb.now.GRAPH_BASE).toBe(`${b.url}/devhost/graph/v1.0`);
    await Promise.all([everyChannel(a, sa.now, 'first'), everyChannel(b, sb.now, 'second')]);
  });

  test('a setting refers to a %DEVHOST_…% devhost does not supply: the host does not start, and says which', async () => {
    const { code, stderr } = await run('cli.js', ['--app', APP, '--port', '0'], { GRAPH_BASE: '%DEVHOST_GRAPH%/v1.0' });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /the environment: GRAPH_BASE refers to %DEVHOST_GRAPH%, which devhost does not supply \(it supplies .*DEVHOST_GRAPH_ENDPOINT/,
    );
  });

  test('settings written for another port are pointed out at start', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'devhost-settings-')), 'old.settings.json');
    writeFileSync(file, JSON.stringify({ Values: { GRAPH_BASE: 'http://localhost:7071/devhost/graph/v1.0', FINE: '%DEVHOST_URL%' } }));
    const host = await start({ settings: file });
    expect(host.output()).toContain('warning: GRAPH_BASE names localhost:7071');
    expect((await settingsOf(host)).now.GRAPH_BASE).toBe('http://localhost:7071/devhost/graph/v1.0');
  });
});

/** Runs a built devhost CLI (`dist/<script>`) without DEVHOST_URL, so it has to find the host itself. */
function run(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { DEVHOST_URL: _ignored, ...inherited } = process.env;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [resolve('dist', script), ...args], {
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not exit:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(guard);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const TOKEN_ARGS = ['--tenant', SAMPLE_TENANT_ID, '--user', 'ann@contoso.test', '--roles', 'Messages.Write', '--audience', 'api://supply'];

describe('the CLIs', () => {
  test('--help prints the usage and exits 0, on every CLI', async () => {
    for (const script of ['cli.js', 'tokenCli.js', 'sampleOrgCli.js']) {
      const { code, stdout, stderr } = await run(script, ['--help']);
      expect({ script, code, stderr }).toEqual({ script, code: 0, stderr: '' });
      expect(stdout).toMatch(/^usage: /);
      expect(stdout).toContain('--help');
    }
  });

  test('a mistake names the option and exits 2', async () => {
    expect(await run('tokenCli.js', [...TOKEN_ARGS, '--expiry', '1h'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^token: unknown option --expiry\nusage: /),
    });
    expect(await run('tokenCli.js', [...TOKEN_ARGS, '--expires'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^token: --expires needs a value/),
    });
    expect(await run('cli.js', ['--app', APP, '--prot', '7072'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^devhost: unknown option --prot/),
    });
    expect(await run('sampleOrgCli.js', ['--users'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^sample-org: --users needs a value/),
    });
    expect(await run('tokenCli.js', [...TOKEN_ARGS, '--expires', '5x', '--url', 'http://localhost:1'])).toMatchObject({
      code: 1,
      stderr: 'token: --expires: "5x" is not a duration like 3600, 15m, 1h, 2d or -5m\n',
    });
  });

  test('the token CLI finds the one host running for the app, and --expires -5m mints a token that has expired', async () => {
    const none = await run('tokenCli.js', [...TOKEN_ARGS, '--app', APP]);
    expect(none).toMatchObject({ code: 1, stderr: expect.stringMatching(/no devhost is running for .*supply: start one/) });

    const host = await start();
    const { code, stdout, stderr } = await run('tokenCli.js', [...TOKEN_ARGS, '--app', APP, '--expires', '-5m']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const claims = decodeJwt(stdout.trim());
    expect(claims.iss).toBe(`${host.url}/devhost/identity/${SAMPLE_TENANT_ID}/v2.0`);
    expect(claims.exp! * 1000).toBeLessThan(Date.now() - 4 * 60_000);
    expect(claims.roles).toEqual(['Messages.Write']);

    const second = await start();
    const several = await run('tokenCli.js', [...TOKEN_ARGS, '--app', APP]);
    expect(several.code).toBe(1);
    expect(several.stderr).toContain(`2 devhosts are running for ${resolve(APP)} (${host.url}, ${second.url}): pass --url`);
    const chosen = await run('tokenCli.js', [...TOKEN_ARGS, '--url', second.url, '--expires', '+15m']);
    expect(decodeJwt(chosen.stdout.trim()).iss).toBe(`${second.url}/devhost/identity/${SAMPLE_TENANT_ID}/v2.0`);
  });

  test('sample-org --list shows the groups and users the running host serves', async () => {
    const host = await start();
    const listing = (await (await host.fetch(`/devhost/graph/_control/tenants/${SAMPLE_TENANT_ID}/directory`)).json()) as {
      groups: { id: string; displayName: string; transitiveUsers: number }[];
      users: { userPrincipalName: string }[];
    };
    const allStaff = listing.groups.find((g) => g.displayName === 'All Staff')!;
    expect(allStaff.transitiveUsers).toBeGreaterThan(40);

    const text = await run('sampleOrgCli.js', ['--list', '--app', APP]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      `Tenant ${SAMPLE_TENANT_ID} on ${host.url}: ${listing.users.length} users, ${listing.groups.length} groups`,
    );
    expect(text.stdout).toMatch(new RegExp(`${allStaff.id}\\s+All Staff\\s+security\\s+${allStaff.transitiveUsers}\\s`));
    for (const user of listing.users) expect(text.stdout).toContain(user.userPrincipalName);

    const json = await run('sampleOrgCli.js', ['--list', '--json', '--url', host.url]);
    expect(JSON.parse(json.stdout)).toEqual(listing);
    const unknown = await run('sampleOrgCli.js', ['--list', '--url', host.url, '--tenant', '00000000-0000-4000-8000-000000000000']);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/serves no tenant 00000000-0000-4000-8000-000000000000/) });
  });
});
