#!/usr/bin/env node
// Prints an Entra-shaped access token from the running devhost's stand-in issuer.
import { cliOptions, failWith } from './cliArgs.js';
import { parseExpiry } from './identity/expiry.js';
import { findHostUrl } from './runFile.js';

const USAGE = `usage: token --tenant <tenant id> --user <upn> [--roles A,B] [--expires 1h] [--audience <aud>]
             [--name <display name>] [--url <host URL> | --app <dir>] [--key <master key>]

  --tenant    the token's tid
  --user      the signed-in user's UPN (preferred_username; oid is derived from tenant and UPN)
  --roles     app roles, comma-separated
  --expires   lifetime: 3600, 90s, 15m, 1h, 2d; negative (-5m) for a token that has already expired; default 1h
  --audience  aud (default DEVHOST_TOKEN_AUDIENCE)
  --name      the display name (default: from the UPN)
  --url       the host to ask; default DEVHOST_URL, else the devhost running for --app
  --app       the app directory whose running devhost to find (default: the current directory)
  --key       the master key, when the host enforces keys (default DEVHOST_MASTER_KEY)
  --help      this text`;

const fail: (message: string) => never = failWith('token');

const values = cliOptions('token', USAGE, {
  tenant: { type: 'string' },
  user: { type: 'string' },
  roles: { type: 'string', default: '' },
  expires: { type: 'string' },
  audience: { type: 'string', default: process.env.DEVHOST_TOKEN_AUDIENCE },
  url: { type: 'string' },
  app: { type: 'string', default: '.' },
  key: { type: 'string', default: process.env.DEVHOST_MASTER_KEY },
  name: { type: 'string' },
});
for (const option of ['tenant', 'user', 'audience'] as const) if (!values[option]) fail(`--${option} is required\n${USAGE}`);
let expiresIn: number | undefined;
try {
  expiresIn = values.expires === undefined ? undefined : parseExpiry(values.expires);
} catch (error) {
  fail(`--expires: ${(error as Error).message}`);
}
let url: string;
try {
  url = findHostUrl({ url: values.url, appDir: values.app });
} catch (error) {
  fail((error as Error).message);
}
const body = {
  tenant: values.tenant,
  user: values.user,
  roles: values.roles
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean),
  audience: values.audience,
  ...(expiresIn === undefined ? {} : { expiresIn }),
  ...(values.name ? { name: values.name } : {}),
};
let res: Response;
try {
  res = await fetch(`${url}/admin/devhost/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(values.key ? { 'x-functions-key': values.key } : {}) },
    body: JSON.stringify(body),
  });
} catch {
  fail(`no devhost answers at ${url}: start it first (npm start), or pass --url`);
}
if (res.status === 401) fail(`${url} enforces keys: pass its master key as --key`);
const json = (await res.json().catch(() => ({}))) as { token?: string; detail?: string };
if (!res.ok || !json.token) fail(json.detail ?? `${url} answered ${res.status}`);
process.stdout.write(json.token + '\n');
