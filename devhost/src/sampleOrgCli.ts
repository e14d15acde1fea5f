#!/usr/bin/env node
// Writes a generated sample organisation for the Graph stand-in, which loads it at start.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSampleOrg, SAMPLE_TENANT_ID } from './standins/sampleOrg.js';
import { directoryFileName } from './standins/graph/directoryStore.js';

const USAGE = `usage: sample-org [--users 50] [--tenant <tenant id>] [--seed 1] [--out <file>]
  default --out: .devhost/standins/graph/${directoryFileName('<tenant>')} (where npm start's Graph stand-in looks)`;

function fail(message: string): never {
  process.stderr.write(`sample-org: ${message}\n`);
  process.exit(1);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      users: { type: 'string', default: '50' },
      tenant: { type: 'string', default: SAMPLE_TENANT_ID },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
if (values.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
const users = Number(values.users);
const seed = Number(values.seed);
if (!Number.isInteger(users) || users < 1) fail(`--users must be a positive whole number, got "${values.users}"`);
if (!Number.isInteger(seed)) fail(`--seed must be a whole number, got "${values.seed}"`);
if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.tenant))
  fail(`--tenant must be a GUID, got "${values.tenant}"`);

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
