#!/usr/bin/env node
// Writes a generated sample organisation for the Graph stand-in, which loads it at start; or lists the
// organisation a running host serves, so people can pick groups and users.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cliOptions, failWith } from './cliArgs.js';
import { findHostUrl } from './runFile.js';
import { generateSampleOrg, SAMPLE_TENANT_ID } from './standins/sampleOrg.js';
import { directoryFileName } from './standins/graph/directoryStore.js';
import type { GraphGroup, GraphUser } from './standins/graph/tenantDirectory.js';

const USAGE = `usage: sample-org [--users 50] [--tenant <tenant id>] [--seed 1] [--out <file>]
       sample-org --list [--tenant <tenant id>] [--json] [--url <host URL> | --app <dir>]

  --users   how many people (1 to 1,000,000)
  --tenant  the tenant id (default ${SAMPLE_TENANT_ID}, the one devhost generates at first start)
  --seed    the same seed gives the same organisation
  --out     default .devhost/standins/graph/${directoryFileName('<tenant>')} (where npm start's Graph stand-in looks)
  --list    print the groups (with their ids, for a message's audience) and users the running host serves for --tenant
  --json    with --list: the whole listing as JSON
  --url     with --list: the host to ask; default DEVHOST_URL, else the devhost running for --app
  --app     with --list: the app directory whose running devhost to ask (default: the current directory)
  --help    this text`;

const fail: (message: string) => never = failWith('sample-org');

const values = cliOptions('sample-org', USAGE, {
  users: { type: 'string', default: '50' },
  tenant: { type: 'string', default: SAMPLE_TENANT_ID },
  seed: { type: 'string', default: '1' },
  out: { type: 'string' },
  list: { type: 'boolean' },
  json: { type: 'boolean' },
  url: { type: 'string' },
  app: { type: 'string', default: '.' },
});
if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.tenant))
  fail(`--tenant must be a GUID, got "${values.tenant}"`);

if (values.list) await list();
else write();

function write(): void {
  const users = Number(values.users);
  const seed = Number(values.seed);
  if (!Number.isInteger(users) || users < 1) fail(`--users must be a positive whole number, got "${values.users}"`);
  if (!Number.isInteger(seed)) fail(`--seed must be a whole number, got "${values.seed}"`);
  const started = performance.now();
  const org = generateSampleOrg({ tenantId: values.tenant, users, seed });
  const out = resolve(values.out ?? join('.devhost', 'standins', 'graph', directoryFileName(values.tenant)));
  mkdirSync(dirname(out), { recursive: true });
  const text = JSON.stringify(org);
  writeFileSync(out, text);
  const [first, second] = org.users;
  process.stdout.write(
    `wrote ${out}: tenant ${org.tenantId}, ${org.users.length} users, ${org.groups.length} groups, ` +
      `${(text.length / 1e6).toFixed(1)} MB in ${Math.round(performance.now() - started)} ms\n` +
      `sample users: ${first!.userPrincipalName}, ${second?.userPrincipalName ?? '-'} (restart devhost to serve it)\n`,
  );
}

interface Listing {
  tenantId: string;
  groups: (GraphGroup & { members: { kind: string; id: string }[]; transitiveUsers: number })[];
  users: GraphUser[];
}

async function list(): Promise<void> {
  let url: string;
  try {
    url = findHostUrl({ url: values.url, appDir: values.app });
  } catch (error) {
    fail((error as Error).message);
  }
  let res: Response;
  try {
    res = await fetch(`${url}/devhost/graph/_control/tenants/${values.tenant}/directory`);
  } catch {
    fail(`no devhost answers at ${url}: start it first (npm start), or pass --url`);
  }
  const body = (await res.json().catch(() => ({}))) as Listing & { detail?: string };
  if (!res.ok) fail(body.detail ?? `${url} answered ${res.status}`);
  if (values.json) return void process.stdout.write(JSON.stringify(body, null, 2) + '\n');
  const dash = (v: string | null) => v ?? '-';
  const kinds = (g: Listing['groups'][number]) => {
    const count = (kind: string) => g.members.filter((m) => m.kind === kind).length;
    return [
      count('user') && `${count('user')} users`,
      count('group') && `${count('group')} groups`,
      count('device') && `${count('device')} devices`,
    ]
      .filter(Boolean)
      .join(', ');
  };
  process.stdout.write(
    `Tenant ${body.tenantId} on ${url}: ${body.users.length} users, ${body.groups.length} groups\n\n` +
      `Groups (an id goes in a message's audience.groups; "reaches": the users in it, nested groups followed):\n` +
      table(
        ['id', 'name', 'kind', 'reaches', 'direct members'],
        body.groups.map((g) => [
          g.id,
          g.displayName,
          g.groupTypes.includes('Unified') ? 'Microsoft 365' : g.securityEnabled ? 'security' : 'distribution',
          String(g.transitiveUsers),
          kinds(g),
        ]),
      ) +
      `\nUsers (a UPN is a token's --user; audience.departments and companies match these columns, locations the office, city or country):\n` +
      table(
        ['upn', 'name', 'department', 'company', 'office', 'city', 'country', 'language', ''],
        body.users.map((u) => [
          u.userPrincipalName,
          dash(u.displayName),
          dash(u.department),
          dash(u.companyName),
          dash(u.officeLocation),
          dash(u.city),
          dash(u.country),
          dash(u.preferredLanguage),
          [u.userType === 'Guest' ? 'guest' : '', u.accountEnabled ? '' : 'disabled'].filter(Boolean).join(', '),
        ]),
      ),
  );
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd() +
    '\n';
  return line(header) + rows.map(line).join('');
}
