// What the Herald benchmarks share: loading the built modules, and the settings Herald runs with on devhost
// (as test/integration/herald/support.ts gives them to the test host).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll } from '../../packages/devhost/bench/lib/cleanup.mjs';
import { summarizeProfile } from './cpuprofile.mjs';
import { checkGone } from '../../packages/devhost/bench/lib/proc.mjs';

export const AUDIENCE = 'api://herald';

/** A module of the build (`dist/`), with a clear message when the build is missing. */
export const loadBuilt = (root, file) =>
  import(join(root, 'dist', file)).catch((error) => {
    throw new Error(`dist/${file} is missing: run \`npm run build\` first (${error.message})`);
  });

/** Herald's settings for a devhost at a URL: its own issuer, the Graph and ACS stand-ins, no resend timer. */
export async function heraldSettings(root, name) {
  const { acsConnectionString } = await import('@herald/devhost/testing');
  return (url) => ({
    AUTH_ISSUER: `${url}/devhost/identity/{tenantid}/v2.0`,
    AUTH_AUDIENCE: AUDIENCE,
    AUTH_JWKS_URI: `${url}/devhost/identity/discovery/v2.0/keys`,
    GRAPH_ENDPOINT: `${url}/devhost/graph`,
    GRAPH_AUTHORITY: `${url}/devhost/identity`,
    GRAPH_CLIENT_ID: name,
    GRAPH_CLIENT_SECRET: 'not-checked-by-the-stand-in',
    CLICK_LINK_SECRET: `${name}-click-link-secret-0123456789-abcdef`,
    ACS_EMAIL_CONNECTION_STRING: acsConnectionString(url),
    AzureWebJobs_frequencyResends_Disabled: 'true',
  });
}

/**
 * Runs a Herald benchmark's `main`: a crash is reported with the end of devhost's output, `report` prints
 * what the run checked, and everything the bench started is stopped and confirmed gone. Returns whether
 * it failed.
 */
export async function runHeraldBench(main, { host, started, report = () => {} }) {
  let failed = false;
  try {
    await main();
  } catch (error) {
    failed = true;
    console.error(`benchmark failed: ${error.stack ?? error}`);
    const h = host();
    if (h) console.error(`devhost output (last 3000 characters):\n${h.output().slice(-3000)}`);
  } finally {
    report();
    await cleanupAll();
    const pids = started();
    if (pids.length) await checkGone('devhost and Azurite', pids);
  }
  return failed;
}

/** Prints where each process's CPU went, from the profiles `--cpu-prof` wrote (pids: [azurite, devhost]). */
export async function printProfiles(root, dir, [azuritePid, devhostPid], what = '') {
  for (const [name, pid] of [
    ['devhost', devhostPid],
    ['azurite', azuritePid],
  ]) {
    const folder = join(dir, name);
    const file = readdirSync(folder).find((f) => f === `${pid}.cpuprofile`);
    if (!file) console.log(`\nno CPU profile for ${name} (pid ${pid}) in ${folder}`);
    else console.log(`\n${name} CPU profile${what} ${join(folder, file)}:\n${summarizeProfile(join(folder, file), { root })}`);
  }
}
