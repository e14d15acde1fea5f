#!/usr/bin/env node
// The fault suite: each scenario in bench/faults/<scenario>.mjs breaks Herald on purpose — kill -9 of the
// host's process tree mid-send, a cancel, races — on devhost over Azurite, then prints what the people and
// the providers' stand-ins got (audience, received, duplicates, misses, sends after a cancel) and PASS or
// FAIL with the reasons. Exit code 1 when any scenario fails.
//
//   node bench/faults.mjs [--short] [--users N] [--only name,name] [--list]
//
// --short runs every scenario at a small size (what CI runs, through test/integration/faults/); without it
// each runs at full size (5,000 people). Build first: npm run build.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanupAll } from '../packages/devhost/bench/lib/cleanup.mjs';
import { revision } from './lib/faults.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    users: { type: 'string' },
    only: { type: 'string' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: node bench/faults.mjs [--short] [--users N] [--only name,name] [--list]');
  process.exit(0);
}
const users = values.users ? Number(values.users) : values.short ? 400 : 5000;
if (!Number.isInteger(users) || users < 1) {
  console.error('--users: must be a whole number above 0');
  process.exit(2);
}

const scenarios = [];
for (const file of readdirSync(join(here, 'faults'))
  .filter((f) => f.endsWith('.mjs'))
  .sort()) {
  const { default: scenario } = await import(pathToFileURL(join(here, 'faults', file)).href);
  scenarios.push(scenario);
}
if (values.list) {
  for (const s of scenarios) console.log(`${s.name}\t${s.title}`);
  process.exit(0);
}
const only = values.only?.split(',').filter(Boolean);
const unknown = only?.filter((n) => !scenarios.some((s) => s.name === n)) ?? [];
if (unknown.length) {
  console.error(`--only: no scenario ${unknown.join(', ')} (there are ${scenarios.map((s) => s.name).join(', ')})`);
  process.exit(2);
}

console.log(`Herald fault suite at ${revision(root)}: ${values.short ? 'short' : 'full'} run, ${users} people per scenario`);
const results = [];
for (const scenario of scenarios.filter((s) => !only || only.includes(s.name))) {
  console.log(`\n${scenario.name} — ${scenario.title}`);
  const t0 = Date.now();
  let result;
  try {
    result = await scenario.run({ root, users, short: values.short, log: (line) => console.log(line) });
  } catch (error) {
    result = { verdict: 'FAIL', why: [`crashed: ${error.stack ?? error}`] };
    console.log(`${scenario.name}: FAIL: ${result.why[0]}`);
  } finally {
    await cleanupAll();
  }
  results.push({ name: scenario.name, verdict: result.verdict, seconds: (Date.now() - t0) / 1000 });
}

console.log('\nsummary');
for (const r of results) console.log(`  ${r.verdict.padEnd(4)} ${r.name} (${r.seconds.toFixed(0)} s)`);
process.exit(results.some((r) => r.verdict === 'FAIL') ? 1 : 0);
