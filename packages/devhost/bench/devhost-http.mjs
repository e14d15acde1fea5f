#!/usr/bin/env node
// Benchmark (not a test): requests/s and p50/p99 latency of a trivial HTTP function hosted by devhost,
// against a bare node:http server doing the same work, both as child processes, under the same
// autocannon load in the same run. Target: at the same offered load (--rate requests/s over --connections),
// devhost p99 ≤ 2 × bare p99. A second phase drives both flat out: that compares capacity, not cost, and is
// printed for information. Prints PASS/MISS; exits 0 unless something crashed. Run: `npm run bench:devhost-http`.
//
// Options: --connections <n> (10)  --rate <req/s> (1000)  --duration <s> (10)  --warmup <s> (3)  --pipelining <n> (1)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { azuritePids, checkGone, cpuMeter } from './lib/proc.mjs';
import { cleanupAll, onCleanup } from './lib/cleanup.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: opts } = parseArgs({
  options: {
    connections: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    pipelining: { type: 'string', default: '1' },
  },
});
const CONNECTIONS = Number(opts.connections);
const RATE = Number(opts.rate);
const DURATION = Number(opts.duration);
const WARMUP = Number(opts.warmup);
const PIPELINING = Number(opts.pipelining);
const TARGET_RATIO = 2;
/** Seconds of each alternating window of the paced (target) phase. */
const PACED_WINDOW = 2;

const { startHost } = await import(join(root, 'dist/testing.js')).catch((error) => {
  throw new Error(`dist/testing.js is missing: run \`npm run build\` first (${error.message})`);
});

async function startBare() {
  const child = spawn(process.execPath, [join(here, 'lib/bare-http-server.mjs'), '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').catch(() => undefined);
  onCleanup(async () => {
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
  onCleanup(async () => {
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

/**
 * One autocannon run; latencies from its per-response hrtime durations (sub-millisecond), 2xx only.
 * Also the CPU the server process used per request, which does not depend on how the two cores are shared.
 */
async function load(target, seconds, connections = CONNECTIONS, rate = undefined) {
  const durations = [];
  const connected = new Set();
  const meter = cpuMeter({ server: target.pid, autocannon: process.pid });
  const instance = autocannon({
    url: target.url,
    connections,
    pipelining: PIPELINING,
    duration: seconds,
    timeout: 10,
    ...(rate ? { overallRate: rate } : {}),
  });
  instance.on('response', (client, status, _bytes, ms) => {
    // A connection's first response includes its TCP connect: with short paced windows that would be 0.5 %
    // of the samples, right where p99 is read, so it is left out (for both servers alike).
    if (!connected.has(client)) return void connected.add(client);
    if (status >= 200 && status < 300) durations.push(ms);
  });
  const result = await instance;
  const cpu = meter.since();
  return summary(durations, result, cpu);
}

/** Figures of one run, or of several pooled (`pooled`), from their latencies, autocannon results and CPU. */
function summary(durations, result, cpu) {
  const sorted = Float64Array.from(durations).sort();
  return {
    durations,
    result,
    cpu,
    rps: result.requests.total / result.duration,
    total: result.requests.total,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    acP50: result.latency.p50,
    acP99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    serverCpu: cpu.used.server / cpu.wall,
    serverWait: cpu.waited.server / cpu.wall,
    autocannonCpu: cpu.used.autocannon / cpu.wall,
    cpuPerRequestUs: (cpu.used.server / result.requests.total) * 1e6,
  };
}

function pooled(runs) {
  const sum = (f) => runs.reduce((a, r) => a + f(r), 0);
  const result = {
    requests: { total: sum((r) => r.result.requests.total) },
    duration: sum((r) => r.result.duration),
    latency: { p50: NaN, p99: NaN },
    errors: sum((r) => r.result.errors),
    timeouts: sum((r) => r.result.timeouts),
    non2xx: sum((r) => r.result.non2xx),
  };
  const cpu = {
    wall: sum((r) => r.cpu.wall),
    used: { server: sum((r) => r.cpu.used.server), autocannon: sum((r) => r.cpu.used.autocannon) },
    waited: { server: sum((r) => r.cpu.waited.server), autocannon: sum((r) => r.cpu.waited.autocannon) },
  };
  return summary(
    runs.flatMap((r) => r.durations),
    result,
    cpu,
  );
}

/**
 * The target phase: both servers at the same paced load, in alternating windows of PACED_WINDOW seconds
 * (the first of each pair swapping every round), so a neighbour's load on the machine falls on both alike
 * rather than on whichever ran while it lasted. Latencies are pooled per server.
 */
async function pacedInterleaved(targets, seconds) {
  const runs = new Map(targets.map((t) => [t, []]));
  for (let round = 0; round * PACED_WINDOW < seconds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) runs.get(target).push(await load(target, PACED_WINDOW, CONNECTIONS, RATE));
  }
  return new Map(targets.map((t) => [t, pooled(runs.get(t))]));
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

function table(rows) {
  console.log(
    `${pad('target', 16)}${lpad('req/s', 9)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('requests', 10)}${lpad('errors', 8)}${lpad('non-2xx', 9)}${lpad('server CPU', 12)}${lpad('(waiting)', 10)}${lpad('CPU µs/req', 12)}`,
  );
  for (const [t, r] of rows) {
    console.log(
      `${pad(t.name, 16)}${lpad(Math.round(r.rps), 9)}${lpad(fmt(r.p50), 9)}${lpad(fmt(r.p99), 9)}${lpad(r.total, 10)}${lpad(r.errors + r.timeouts, 8)}${lpad(r.non2xx, 9)}${lpad(fmt(r.serverCpu * 100, 0) + '%', 12)}${lpad(fmt(r.serverWait * 100, 0) + '%', 10)}${lpad(fmt(r.cpuPerRequestUs, 0), 12)}`,
    );
  }
}

let devhostStorage;
const startedPids = [];
async function main() {
  console.log(
    `devhost HTTP benchmark — ${CONNECTIONS} connections, pipelining ${PIPELINING}, ${WARMUP} s warm-up + ${DURATION} s measured per target, loopback only`,
  );
  const bare = await startBare();
  const devhost = await startDevhost();
  devhostStorage = devhost.host.storage;
  startedPids.push(bare.pid, devhost.pid);
  await checkBody(bare);
  await checkBody(devhost);
  console.log(`bare server pid ${bare.pid} at ${bare.url}; devhost pid ${devhost.pid} at ${devhost.url}`);

  // The target phase: the same offered load for both, well under either's capacity.
  for (const target of [bare, devhost]) {
    process.stdout.write(`${target.name}: warm-up ${WARMUP} s… `);
    await load(target, WARMUP);
    console.log('done');
  }
  process.stdout.write(`both: measuring ${DURATION} s each at ${RATE} req/s, in alternating ${PACED_WINDOW} s windows… `);
  const paced = await pacedInterleaved([bare, devhost], DURATION);
  console.log([...paced.values()].map((r) => `${Math.round(r.rps)} req/s`).join(', '));
  // Capacity (informational): both driven flat out, so p99 is mostly queueing behind a saturated CPU.
  const results = new Map();
  for (const target of [bare, devhost]) {
    process.stdout.write(`${target.name}, flat out: measuring ${DURATION} s… `);
    const r = await load(target, DURATION);
    results.set(target, r);
    console.log(`${Math.round(r.rps)} req/s`);
  }
  // Informational: one connection, so latency is service time plus the loopback round trip, no queueing.
  const single = new Map();
  const singleSeconds = Math.min(DURATION, 5);
  for (const target of [bare, devhost]) {
    process.stdout.write(`${target.name}, 1 connection: measuring ${singleSeconds} s… `);
    const r = await load(target, singleSeconds, 1);
    single.set(target, r);
    console.log(`${Math.round(r.rps)} req/s`);
  }

  const pb = paced.get(bare);
  const pd = paced.get(devhost);
  console.log('');
  console.log(
    `Same offered load (${RATE} req/s over ${CONNECTIONS} connections, ${DURATION} s each in alternating ${PACED_WINDOW} s windows) — the target:`,
  );
  table([
    [bare, pb],
    [devhost, pd],
  ]);
  const ratio = pd.p99 / pb.p99;
  console.log(
    `devhost / bare:  p50 ${fmt(pd.p50 / pb.p50)}x   p99 ${fmt(ratio)}x   CPU per request ${fmt(pd.cpuPerRequestUs / pb.cpuPerRequestUs)}x`,
  );

  const b = results.get(bare);
  const d = results.get(devhost);
  console.log('');
  console.log(`Flat out (${CONNECTIONS} connections, ${DURATION} s each) — capacity, informational:`);
  table([
    [bare, b],
    [devhost, d],
  ]);
  console.log(
    `devhost / bare:  req/s ${fmt(d.rps / b.rps)}x   p50 ${fmt(d.p50 / b.p50)}x   p99 ${fmt(d.p99 / b.p99)}x   CPU per request ${fmt(d.cpuPerRequestUs / b.cpuPerRequestUs)}x`,
  );
  console.log(
    `(autocannon's own whole-ms histogram: bare p50/p99 ${b.acP50}/${b.acP99} ms, devhost ${d.acP50}/${d.acP99} ms; autocannon used ${fmt(b.autocannonCpu * 100, 0)}% / ${fmt(d.autocannonCpu * 100, 0)}% of a core)`,
  );
  const sb = single.get(bare);
  const sd = single.get(devhost);
  console.log('');
  console.log(`Informational, 1 connection (${singleSeconds} s each):`);
  table([
    [bare, sb],
    [devhost, sd],
  ]);
  console.log(`devhost / bare:  p50 ${fmt(sd.p50 / sb.p50)}x   p99 ${fmt(sd.p99 / sb.p99)}x`);
  console.log('');
  const clean = [pb, pd, b, d, sb, sd].every((r) => r.errors + r.timeouts + r.non2xx === 0);
  const verdict = ratio <= TARGET_RATIO && clean ? 'PASS' : 'MISS';
  console.log(
    `Target: devhost p99 ≤ ${TARGET_RATIO}x bare p99 at the same offered load (${RATE} req/s, ${CONNECTIONS} connections) → ${fmt(ratio)}x: ${verdict}${clean ? '' : ' (errors or non-2xx answers)'}`,
  );
  console.log(
    `Flat out, devhost reaches ${fmt(d.rps / b.rps)}x the bare server's requests/s: each request costs ~${fmt(d.cpuPerRequestUs, 0)} µs of CPU, most of it in the real @azure/functions library (undici Request/Response per invocation), as in the Node worker.`,
  );
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`benchmark failed: ${error.stack ?? error}`);
} finally {
  await cleanupAll();
  await checkGone("bare server, devhost and devhost's Azurite", [...startedPids, ...azuritePids(devhostStorage)]);
}
process.exit(failed ? 1 : 0);
