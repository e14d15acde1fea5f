// Runs the interop app on devhost over a fresh Azurite, takes its instances to known states, then hands the
// same task hub to the .NET check (argv[2]: its built DurableInterop.dll) and exits with its exit code.
// INTEROP_INSTANCES=2 runs devhost as two instances over that storage, the hub's partitions split between them:
// instances start through one and are decided through the other, and the check's own starts run on either.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const app = join(here, 'app');
const dll = process.argv[2];
const LARGE_LENGTH = 60_000;
const WAIT_MS = 90_000;

/** devhost's test harness, wherever this checkout builds it. */
async function harness() {
  try {
    return await import('@herald/devhost/testing');
  } catch {
    const built = ['packages/devhost/dist/src/testing.js', 'packages/devhost/dist/testing.js', 'dist/devhost/src/testing.js']
      .map((p) => join(root, p))
      .find((p) => existsSync(p));
    if (!built) throw new Error('devhost is not built: run `npm run build` first');
    return import(pathToFileURL(built).href);
  }
}

// The same text the .NET side builds: ASCII with a two-byte character every ten, so UTF-8 and UTF-16 sizes differ.
const largeText = (length) => Array.from({ length }, (_, i) => (i % 10 === 9 ? 'é' : String.fromCharCode(97 + (i % 26)))).join('');

async function until(what, probe) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const { startAzurite, startHost } = await harness();
const azurite = await startAzurite();
const INSTANCES = Number(process.env.INTEROP_INSTANCES || 1);
const hosts = [];
let code = 1;
try {
  for (let i = 0; i < INSTANCES; i++) hosts.push(await startHost({ app, storage: azurite.connectionString }));
  const hub = JSON.parse(readFileSync(join(app, 'host.json'), 'utf8')).extensions.durableTask;
  const owned = async (h) => (await (await h.adminFetch('/admin/devhost/info')).json()).durable.partitions;
  if (INSTANCES > 1) {
    await until('the partitions to split between the instances', async () => {
      const shares = await Promise.all(hosts.map(owned));
      return shares.every((p) => p.length > 0) && shares.flat().length === hub.storageProvider.partitionCount;
    });
    console.log(`interop: ${INSTANCES} devhost instances, partitions ${JSON.stringify(await Promise.all(hosts.map(owned)))}`);
  }
  // Starts go through the first instance, decisions and the check's HTTP reads through the last.
  const host = hosts[0];
  const other = hosts[hosts.length - 1];
  const status = async (id) => (await other.fetch(`/runtime/webhooks/durabletask/instances/${id}`)).json();
  const start = async (name, id, input) => {
    const answer = await host.fetch(`/api/start/${name}/${id}`, { method: 'POST', body: JSON.stringify(input) });
    if (answer.status !== 202) throw new Error(`starting ${id}: ${answer.status} ${await answer.text()}`);
  };
  const stage = (id, wanted) => until(`${id} to reach ${wanted}`, async () => (await status(id)).customStatus?.stage === wanted);
  const completed = (id) => until(`${id} to complete`, async () => (await status(id)).runtimeStatus === 'Completed');
  const decide = async (id) => {
    await stage(id, 'waiting');
    const body = JSON.stringify({ approved: true, by: 'devhost' });
    const answer = await other.fetch(`/runtime/webhooks/durabletask/instances/${id}/raiseEvent/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    if (answer.status !== 202) throw new Error(`raising decision on ${id}: ${answer.status}`);
    await completed(id);
  };

  await start('approval', 'interop-approved', { name: 'Ada', amount: 42 });
  await start('approval', 'interop-waiting', { name: 'Grace', amount: 1 });
  await start('approval', 'interop-running', { name: 'Alan', amount: 3 });
  await start('approval', 'interop-purge', { name: 'Edsger', amount: 0 });
  await start('large', 'interop-large', { text: largeText(LARGE_LENGTH) });
  await Promise.all([decide('interop-approved'), decide('interop-purge'), completed('interop-large')]);
  await Promise.all([stage('interop-waiting', 'waiting'), stage('interop-running', 'waiting')]);
  console.log('interop: devhost ran its instances; the .NET check takes over');

  const dotnet = spawn('dotnet', [dll], {
    stdio: 'inherit',
    env: {
      ...process.env,
      INTEROP_STORAGE: azurite.connectionString,
      INTEROP_HUB: hub.hubName,
      INTEROP_PARTITIONS: String(hub.storageProvider.partitionCount),
      INTEROP_HOST_URL: other.url,
      INTEROP_LARGE_LENGTH: String(LARGE_LENGTH),
    },
  });
  code = await new Promise((r) => dotnet.once('exit', (c) => r(c ?? 1)));
} catch (error) {
  console.error(`interop: ${error.stack ?? error}`);
} finally {
  if (code !== 0) for (const h of hosts) console.error(`--- devhost output (${h.url}) ---\n${h.output()}`);
  await Promise.all(hosts.map((h) => h.stop()));
  await azurite.stop();
}
process.exit(code);
