#!/usr/bin/env node
// Benchmark (not a test): requests/s and p50/p99 latency of a trivial HTTP function hosted by devhost,
// against a bare node:http server doing the same work, both as child processes, under the same
// autocannon load in the same run. Target: devhost p99 ≤ 2 × bare p99. Prints PASS/MISS; exits 0
// unless something crashed. Run after a build: `npm run bench:devhost-http`.
//
// Options: --connections <n> (10)  --duration <s> (10)  --warmup <s> (3)  --pipelining <n> (1)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: opts } = parseArgs({
  options: {
    connections: { type: 'string', default: '10' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    pipelining: { type: 'string', default: '1' },
  },
});
const CONNECTIONS = Number(opts.connections);
const DURATION = Number(opts.duration);
const WARMUP = Number(opts.warmup);
const PIPELINING = Number(opts.pipelining);
const TARGET_RATIO = 2;

const { startHost } = await import(join(root, 'dist/devhost/src/testing.js')).catch((error) => {
  throw new Error(`dist/devhost/src/testing.js is missing: run \`npm run build\` first (${error.message})`);
});

/** Every child we start, so any exit path can end them. */
const cleanups = [];
async function cleanupAll() {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the servers…\n`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

async function startBare() {
  const child = spawn(process.execPath, [join(here, 'lib/bare-http-server.mjs'), '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bare server exited (code ${code}) before listening:\n${out}`)));
  });
  return { name: 'bare node:http', url: `http://127.0.0.1:${port}/api/ping`, pid: child.pid };
}

async function startDevhost() {
  // A fresh in-memory Azurite comes with it (devhost always starts one); it stays idle here.
  const host = await startHost({ app: join(here, 'apps/http-ping'), port: 0, startTimeoutMs: 60_000 });
  cleanups.push(async () => {
    const timer = setTimeout(() => host.kill(), 15_000);
    await host.stop();
    clearTimeout(timer);
  });
  const port = new URL(host.url).port; // devhost prints localhost; we load it over 127.0.0.1 only
  return { name: 'devhost', url: `http://127.0.0.1:${port}/api/ping`, pid: host.process.pid, host };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** One autocannon run; latencies from its per-response hrtime durations (sub-millisecond), 2xx only. */
async function load(target, seconds) {
  const durations = [];
  const instance = autocannon({
    url: target.url,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    duration: seconds,
    timeout: 10,
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) durations.push(ms);
  });
  const result = await instance;
  const sorted = Float64Array.from(durations).sort();
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    acP50: result.latency.p50,
    acP99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

async function checkBody(target) {
  const res = await fetch(target.url);
  const text = await res.text();
  if (res.status !== 200 || text !== '{"ok":true,"service":"herald","message":"pong"}') {
    throw new Error(`${target.name} answered ${res.status} ${text}`);
  }
}

const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

async function main() {
  console.log(
    `devhost HTTP benchmark — ${CONNECTIONS} connections, pipelining ${PIPELINING}, ${WARMUP} s warm-up + ${DURATION} s measured per target, loopback only`,
  );
  const bare = await startBare();
  const devhost = await startDevhost();
  await checkBody(bare);
  await checkBody(devhost);
  console.log(`bare server pid ${bare.pid} at ${bare.url}; devhost pid ${devhost.pid} at ${devhost.url}`);

  const results = new Map();
  for (const target of [bare, devhost]) {
    process.stdout.write(`warming up ${target.name}… `);
    await load(target, WARMUP);
    process.stdout.write(`measuring ${DURATION} s… `);
    const r = await load(target, DURATION);
    results.set(target, r);
    console.log(`${Math.round(r.rps)} req/s`);
  }

  const b = results.get(bare);
  const d = results.get(devhost);
  console.log('');
  console.log(`${pad('target', 16)}${lpad('req/s', 10)}${lpad('p50 ms', 10)}${lpad('p99 ms', 10)}${lpad('requests', 10)}${lpad('errors', 8)}${lpad('non-2xx', 9)}`);
  for (const [t, r] of [
    [bare, b],
    [devhost, d],
  ]) {
    console.log(
      `${pad(t.name, 16)}${lpad(Math.round(r.rps), 10)}${lpad(fmt(r.p50), 10)}${lpad(fmt(r.p99), 10)}${lpad(r.total, 10)}${lpad(r.errors + r.timeouts, 8)}${lpad(r.non2xx, 9)}`,
    );
  }
  const ratio = d.p99 / b.p99;
  console.log('');
  console.log(`devhost / bare:  req/s ${fmt(d.rps / b.rps)}x   p50 ${fmt(d.p50 / b.p50)}x   p99 ${fmt(ratio)}x`);
  console.log(`(autocannon's own whole-ms histogram: bare p50/p99 ${b.acP50}/${b.acP99} ms, devhost ${d.acP50}/${d.acP99} ms)`);
  const clean = b.errors + b.timeouts + b.non2xx + d.errors + d.timeouts + d.non2xx === 0;
  const verdict = ratio <= TARGET_RATIO && clean ? 'PASS' : 'MISS';
  console.log(`Target: devhost p99 ≤ ${TARGET_RATIO}x bare p99 → ${fmt(ratio)}x: ${verdict}${clean ? '' : ' (errors or non-2xx answers)'}`);
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`benchmark failed: ${error.stack ?? error}`);
} finally {
  await cleanupAll();
}
process.exit(failed ? 1 : 0);
