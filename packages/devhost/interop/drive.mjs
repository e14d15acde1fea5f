// Runs the interop app on devhost over a fresh Azurite, takes its instances to known states, then hands the
// same task hub to the .NET check (argv[2]: its built DurableInterop.dll) and exits with its exit code.
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
let host;
let code = 1;
try {
  host = await startHost({ app, storage: azurite.connectionString });
  const hub = JSON.parse(readFileSync(join(app, 'host.json'), 'utf8')).extensions.durableTask;
  const status = async (id) => (await host.fetch(`/runtime/webhooks/durabletask/instances/${id}`)).json();
  const start = async (name, id, input) => {
    const answer = await host.fetch(`/api/start/${name}/${id}`, { method: 'POST', body: JSON.stringify(input) });
    if (answer.status !== 202) throw new Error(`starting ${id}: ${answer.status} ${await answer.text()}`);
  };
  const stage = (id, wanted) => until(`${id} to reach ${wanted}`, async () => (await status(id)).customStatus?.stage === wanted);
  const completed = (id) => until(`${id} to complete`, async () => (await status(id)).runtimeStatus === 'Completed');
  const decide = async (id) => {
    await stage(id, 'waiting');
    const body = JSON.stringify({ approved: true, by: 'devhost' });
    const answer = await host.fetch(`/runtime/webhooks/durabletask/instances/${id}/raiseEvent/decision`, {
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
      INTEROP_HOST_URL: host.url,
      INTEROP_LARGE_LENGTH: String(LARGE_LENGTH),
    },
  });
  code = await new Promise((r) => dotnet.once('exit', (c) => r(c ?? 1)));
} catch (error) {
  console.error(`interop: ${error.stack ?? error}`);
} finally {
  if (code !== 0 && host) console.error(`--- devhost output ---\n${host.output()}`);
  await host?.stop();
  await azurite.stop();
}
process.exit(code);
