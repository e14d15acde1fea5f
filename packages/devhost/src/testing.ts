/**
 * A vitest-friendly harness: `startHost({ app, clock })` runs devhost as a child process (so a test can
 * restart or kill it like a real host) and returns the base URL, fetch, queue helpers, the clock, `idle()`
 * and `stop()`. It drives the host through its admin API only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { Keys } from './http/keys.js';
import { ensurePushMaterial, pushConnection, type PushConnection, type PushMaterial } from './standins/push.js';
import { freePort, type AzuriteInstance } from './storage/azurite.js';

// What a test of a hosted app needs besides the host: ids as the stand-in issuer and Graph mint them, the
// sample organisation, the stand-ins' connection facts and what they received, a free port. The in-process
// orchestration driver is `@herald/devhost/orchestration`: importing it takes over `@azure/functions-core`.
export { objectId } from './identity/issuer.js';
export { generateSampleOrg, SAMPLE_TENANT_ID } from './standins/sampleOrg.js';
export { acsConnectionString } from './standins/acsEmail.js';
export type { ReceivedEmail } from './standins/acsEmail/store.js';
export type { ReceivedNotification } from './standins/push/store.js';
export type { PushConnection } from './standins/push.js';
export { freePort };

export interface StartHostOptions {
  app: string;
  /** `real` (default), `test` (virtual time from now), or a start time for the virtual clock. */
  clock?: 'real' | 'test' | Date | string | number;
  /** `memory` (default: a fresh Azurite), `disk`, or a connection string (share storage across restarts). */
  storage?: string;
  keys?: Keys;
  /** The local settings file (`--settings`); default the app's local.settings.json, else its local.settings.sample.json. */
  settings?: string;
  /**
   * Extra environment. What the app needs to reach the host and its stand-ins, devhost supplies itself
   * (`DEVHOST_*`, which settings refer to as `%DEVHOST_…%`); as a function it gets the host's URL and the push
   * stand-in's connection facts, settled before the host starts, for an app that reads settings of its own.
   */
  env?: Record<string, string> | ((url: string, push: PushConnection) => Record<string, string>);
  /** Default: a free port, picked before the host starts so its URL is known in advance. */
  port?: number;
  /** The address to listen on (`--host`); default 127.0.0.1. */
  host?: string;
  verbose?: boolean;
  /** How long to wait for the host to start. */
  startTimeoutMs?: number;
}

export interface ClockControl {
  now(): Promise<Date>;
  set(time: Date | string | number): Promise<Date>;
  advance(ms: number): Promise<Date>;
  /** Moves to the next time a timer waits for; returns undefined when nothing waits. */
  skip(): Promise<Date | undefined>;
}

export interface QueueHelpers {
  client(name: string): QueueClient;
  /** Sends as the Functions host expects it (base64, objects as JSON) unless `encoding: 'none'`. */
  send(name: string, body: unknown, options?: { encoding?: 'base64' | 'none' }): Promise<void>;
  /** Removes and returns every visible message, decoded (JSON parsed when it parses). */
  drain(name: string, options?: { encoding?: 'base64' | 'none' }): Promise<unknown[]>;
  /** Visible messages without removing them (at most 32). */
  peek(name: string, options?: { encoding?: 'base64' | 'none' }): Promise<unknown[]>;
}

export interface TestHost {
  url: string;
  storage: string;
  /** What devhost supplied to the app: `WEBSITE_HOSTNAME` and the `DEVHOST_*` settings. */
  supplied: Record<string, string>;
  /** How to reach the push stand-in (FCM and APNs): its TLS port, CA, service account and APNs key. */
  push: PushConnection;
  process: ChildProcess;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The master key when keys are configured, so admin calls work. */
  adminFetch(path: string, init?: RequestInit): Promise<Response>;
  queue: QueueHelpers;
  clock: ClockControl;
  idle(timeoutMs?: number): Promise<void>;
  /** Everything the host printed so far (stdout and stderr). */
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Ctrl-C: SIGINT, then waits for the exit. Returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** An Entra-shaped bearer token from the host's stand-in issuer. */
  token(request: {
    tenant: string;
    user: string;
    roles?: string[];
    audience: string;
    expiresIn?: number | string;
    name?: string;
  }): Promise<string>;
}

function cliPath(): string {
  const here = fileURLToPath(import.meta.url);
  // Run from source under vitest: use the built CLI (npm test builds first).
  if (here.endsWith('.ts')) return resolve(dirname(here), '../dist/cli.js');
  return join(dirname(here), 'cli.js');
}

function decode(text: string, encoding: 'base64' | 'none'): unknown {
  const plain = encoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text;
  try {
    return JSON.parse(plain);
  } catch {
    return plain;
  }
}

/** Starts an Azurite on free ports; hand its connection string to several hosts to share storage. */
export async function startAzurite(options: { location?: string } = {}): Promise<AzuriteInstance> {
  // Azurite runs under azuriteGuard.js, which only exists built: from source (vitest) use the built module, as cliPath does.
  const here = fileURLToPath(import.meta.url);
  const module = here.endsWith('.ts') ? pathToFileURL(resolve(dirname(here), '../dist/storage/azurite.js')).href : './storage/azurite.js';
  const { startAzurite: launch } = (await import(module)) as typeof import('./storage/azurite.js');
  return launch(options);
}

/**
 * Key material for hosts without a stand-ins state dir: made once per test process and shared by its hosts
 * (nothing else is kept there). One promise, so hosts started at once do not each make (and overwrite) it.
 */
let sharedPushMaterial: Promise<PushMaterial> | undefined;

function ensureSharedPushMaterial(): Promise<PushMaterial> {
  const dir = mkdtempSync(join(tmpdir(), 'devhost-push-'));
  // Hosts read their material at start, so the files can go with the test process.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return ensurePushMaterial(dir);
}

/**
 * Where the push stand-in keeps its key material: `<stand-ins dir>/push`, else one temporary directory shared
 * by this process's hosts (making the keys is the slow part of a start). Given to devhost as DEVHOST_PUSH_DIR
 * unless the environment names one. For an `env` function, which must know the push connection before the
 * host starts, a free port is settled too and given as DEVHOST_PUSH_PORT; otherwise devhost picks one.
 */
async function pushEnvironment(options: StartHostOptions): Promise<{ push?: PushConnection; env: Record<string, string> }> {
  const fixed = { ...process.env, ...(typeof options.env === 'object' ? options.env : {}) };
  const standInsDir =
    fixed.DEVHOST_STANDINS_DIR ?? (options.storage === 'disk' ? join(resolve(options.app), '.devhost', 'standins') : undefined);
  const dir = fixed.DEVHOST_PUSH_DIR || (standInsDir ? join(standInsDir, 'push') : undefined);
  const material = await (dir ? ensurePushMaterial(dir) : (sharedPushMaterial ??= ensureSharedPushMaterial()));
  const env = { DEVHOST_PUSH_DIR: material.dir };
  if (typeof options.env !== 'function') return { env };
  const port = fixed.DEVHOST_PUSH_PORT && fixed.DEVHOST_PUSH_PORT !== '0' ? Number(fixed.DEVHOST_PUSH_PORT) : await freePort();
  return { push: pushConnection(material, port), env: { ...env, DEVHOST_PUSH_PORT: String(port) } };
}

/** Runs a devhost process and resolves once it serves requests. */
export async function startHost(options: StartHostOptions): Promise<TestHost> {
  const port = options.port ?? (await freePort());
  const args = [cliPath(), '--app', options.app, '--port', String(port)];
  if (options.storage) args.push('--storage', options.storage);
  if (options.host) args.push('--host', options.host);
  if (options.verbose) args.push('--verbose');
  if (options.settings) args.push('--settings', options.settings);
  const clock = options.clock ?? 'real';
  if (clock !== 'real') {
    const start = clock === 'test' ? new Date() : new Date(clock);
    args.push('--clock', `test=${start.toISOString()}`);
  }
  if (options.keys) {
    const file = join(mkdtempSync(join(tmpdir(), 'devhost-keys-')), 'keys.json');
    writeFileSync(file, JSON.stringify(options.keys));
    args.push('--keys', file);
  }
  const pushEnv = await pushEnvironment(options);
  const env = typeof options.env === 'function' ? options.env(`http://localhost:${port}`, pushEnv.push!) : options.env;
  const child = spawn(process.execPath, args, { env: { ...process.env, ...pushEnv.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((l) => l());
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  const waitForOutput = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpMatchArray>((resolvePromise, reject) => {
      const check = () => {
        const m = output.match(pattern);
        if (m) {
          done();
          resolvePromise(m);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${pattern} in devhost output:\n${output}`));
      }, timeoutMs);
      const onExit = () => {
        setTimeout(() => {
          if (!output.match(pattern)) {
            done();
            reject(new Error(`devhost exited before printing ${pattern}:\n${output}`));
          }
        }, 20);
      };
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off('exit', onExit);
      };
      listeners.add(check);
      child.once('exit', onExit);
      check();
    });

  const started = await waitForOutput(/Host started: (http:\/\/\S+)/, options.startTimeoutMs ?? 20_000);
  const url = started[1]!;
  const masterKey = options.keys?.masterKey;
  const adminFetch = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (masterKey) headers.set('x-functions-key', masterKey);
    return fetch(url + path, { ...init, headers });
  };
  const adminJson = async (path: string, body?: unknown) => {
    const res = await adminFetch(
      path,
      body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
    );
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const info = await adminJson('/admin/devhost/info');
  const storage = String(info.storage);
  const push = (await (await fetch(`${url}/devhost/push/_control/connection`)).json()) as PushConnection;
  const queues = QueueServiceClient.fromConnectionString(storage);
  const clockTime = (j: Record<string, unknown>) => new Date(String(j.now));

  return {
    url,
    storage,
    supplied: info.supplied as Record<string, string>,
    push,
    process: child,
    fetch: (path, init) => fetch(url + path, init),
    adminFetch,
    output: () => output,
    waitForOutput,
    queue: {
      client: (name) => queues.getQueueClient(name),
      async send(name, body, opts = {}) {
        const client = queues.getQueueClient(name);
        await client.createIfNotExists();
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        await client.sendMessage((opts.encoding ?? 'base64') === 'base64' ? Buffer.from(text).toString('base64') : text);
      },
      async drain(name, opts = {}) {
        const client = queues.getQueueClient(name);
        if (!(await client.exists())) return [];
        const out: unknown[] = [];
        for (;;) {
          const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32 });
          if (receivedMessageItems.length === 0) return out;
          for (const m of receivedMessageItems) {
            out.push(decode(m.messageText, opts.encoding ?? 'base64'));
            await client.deleteMessage(m.messageId, m.popReceipt);
          }
        }
      },
      async peek(name, opts = {}) {
        const client = queues.getQueueClient(name);
        if (!(await client.exists())) return [];
        const { peekedMessageItems } = await client.peekMessages({ numberOfMessages: 32 });
        return peekedMessageItems.map((m) => decode(m.messageText, opts.encoding ?? 'base64'));
      },
    },
    clock: {
      now: async () => clockTime(await adminJson('/admin/devhost/clock')),
      set: async (time) => clockTime(await adminJson('/admin/devhost/clock', { set: new Date(time).toISOString() })),
      advance: async (ms) => clockTime(await adminJson('/admin/devhost/clock', { advance: ms })),
      skip: async () => {
        const j = await adminJson('/admin/devhost/clock/skip', {});
        return j.skipped ? clockTime(j) : undefined;
      },
    },
    async idle(timeoutMs = 30_000) {
      const res = await adminFetch(`/admin/devhost/idle?timeoutMs=${timeoutMs}`, { method: 'POST' });
      if (!res.ok) throw new Error(`devhost did not become idle within ${timeoutMs} ms: ${await res.text()}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
    async token(request) {
      return String((await adminJson('/admin/devhost/identity/token', request)).token);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
