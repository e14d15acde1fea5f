// The services outside Herald — Graph, ACS, FCM/APNs, Outlook and the identity provider — as the stand-ins of
// a devhost of their own, an app with no functions. On Azure none of them shares the Functions host's process,
// heap or thread; a benchmark that runs them inside Herald's devhost charges their CPU, memory and garbage to
// Herald (the Graph stand-in's 100,000-user directory alone is ~300 MB of devhost's heap).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SETTINGS = 'local.settings.sample.json';

/** A devhost of an app with no functions over `storage`: only its stand-ins. `env` adds settings (a profiler). */
export async function startProviders(startHost, storage, { env = {}, startTimeoutMs = 120_000 } = {}) {
  const app = mkdtempSync(join(tmpdir(), 'herald-providers-'));
  writeFileSync(join(app, 'host.json'), JSON.stringify({ version: '2.0' }));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'providers', type: 'module', main: 'index.js' }));
  writeFileSync(join(app, 'index.js'), '');
  return startHost({
    app,
    storage,
    startTimeoutMs,
    env: { DEVHOST_STANDINS_DIR: mkdtempSync(join(tmpdir(), 'herald-providers-state-')), ...env },
  });
}

/**
 * Herald's settings (from its sample settings) that name devhost's endpoints, expanded to the providers'
 * host's: what an instance of Herald needs to reach the stand-ins of `providers` instead of its own.
 */
export function providersOf(root, providers) {
  const { Values } = JSON.parse(readFileSync(join(root, SETTINGS), 'utf8'));
  const out = {};
  for (const [name, value] of Object.entries(Values))
    if (typeof value === 'string' && /%DEVHOST_[A-Z0-9_]+%/.test(value))
      out[name] = value.replace(/%(DEVHOST_[A-Z0-9_]+)%/g, (_, ref) => {
        if (providers.supplied[ref] === undefined) throw new Error(`the providers' host supplies no ${ref} (for ${name})`);
        return providers.supplied[ref];
      });
  return out;
}
