#!/usr/bin/env node
// Prints an Entra-shaped access token from the running devhost's stand-in issuer.
import { parseArgs } from 'node:util';

const USAGE = `usage: token --tenant <tenant id> --user <upn> --roles A,B [--expires 1h] [--audience <aud>]
             [--url http://localhost:7071] [--key <master key>] [--name <display name>]`;

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(1);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      user: { type: 'string' },
      roles: { type: 'string', default: '' },
      expires: { type: 'string' },
      audience: { type: 'string', default: process.env.DEVHOST_TOKEN_AUDIENCE },
      url: { type: 'string', default: process.env.DEVHOST_URL ?? 'http://localhost:7071' },
      key: { type: 'string', default: process.env.DEVHOST_MASTER_KEY },
      name: { type: 'string' },
    },
  }));
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
if (!values.tenant || !values.user || !values.audience) fail(`--tenant, --user and --audience are required\n${USAGE}`);
const body = {
  tenant: values.tenant,
  user: values.user,
  roles: values.roles
    ? values.roles
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean)
    : [],
  audience: values.audience,
  ...(values.expires ? { expiresIn: values.expires } : {}),
  ...(values.name ? { name: values.name } : {}),
};
let res: Response;
try {
  res = await fetch(`${values.url}/admin/devhost/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(values.key ? { 'x-functions-key': values.key } : {}) },
    body: JSON.stringify(body),
  });
} catch {
  fail(`no devhost answers at ${values.url}: start it first (npm start), or pass --url`);
}
const json = (await res.json()) as { token?: string; detail?: string };
if (!res.ok || !json.token) fail(json.detail ?? `the host answered ${res.status}`);
process.stdout.write(json.token + '\n');
