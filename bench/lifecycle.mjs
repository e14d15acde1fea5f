#!/usr/bin/env node
// Benchmark (not a test): the Herald API itself (app: the repo root) on devhost, over an in-memory Azurite
// the bench starts, with tokens from devhost's stand-in issuer. In one run:
//   1. seeds --messages (10,000) messages in tenant A — straight into the `messages` table in 100-row
//      transactions, every row a copy of one the API itself wrote (--seed api: through POST /api/messages
//      instead) — and --other (300) in tenant B through the API, so isolation is exercised;
//   2. p50/p99 of GET /api/messages (one page of 25, newest first) and GET /api/messages/{id} (random seeded
//      ids), --requests (500) sequential requests each after --warmup (50);
//   3. lifecycles/s: create → submit → approve → Scheduled, --clients (20) concurrent clients doing
//      --lifecycles (200) lifecycles in all; every one must end Scheduled; with CPU ms and devhost's
//      requests (lib/count-requests.mjs) per lifecycle; then the same in a tenant of --small (100) rows,
//      as Azurite's point operations cost O(rows in the partition) and Azure's do not (no target);
//   4. same-run baseline on the same Azurite: raw table getEntity and a raw 25-row partition query (p50/p99),
//      so the HTTP + auth + devhost + app overhead can be read off.
// Targets: list p99 ≤ 50 ms, get p99 ≤ 50 ms, ≥ 20 lifecycles/s. Prints PASS/MISS; exits 0 unless something
// crashed. Run: `npm run bench:lifecycle`.
//
// Options: --messages <n> (10000)  --other <n> (300)  --requests <n> (500)  --warmup <n> (50)
//          --lifecycles <n> (200)  --clients <n> (20)  --small <n> (100; 0: no second lifecycle phase)
//          --seed table|api (table)
//          --only <phases> (all: raw,list,get,lifecycle; seeding always runs)
//          --cpu-prof <dir>: CPU-profile devhost and Azurite over the timed part of one phase only
//          (lib/profile-window.mjs: seeding and warm-up would drown it), write
//          <dir>/{devhost,azurite}/<pid>.cpuprofile and print each one's hottest packages and functions
//          --cpu-prof-phase list|get|lifecycle|small (lifecycle: the 10,000-row lifecycles)
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { odata, TableClient } from '@azure/data-tables';
import { azuritePids, checkGone, cpuMeter } from '../packages/devhost/bench/lib/proc.mjs';
import { cleanupAll, onCleanup } from '../packages/devhost/bench/lib/cleanup.mjs';
import { summarizeProfile } from './lib/cpuprofile.mjs';
import { loadText, running } from './lib/quiet.mjs';
import { stopAtCleanup } from './lib/host-calls.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    other: { type: 'string', default: '300' },
    requests: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '50' },
    lifecycles: { type: 'string', default: '200' },
    clients: { type: 'string', default: '20' },
    small: { type: 'string', default: '100' },
    seed: { type: 'string', default: 'table' },
    only: { type: 'string', default: 'raw,list,get,lifecycle' },
    'cpu-prof': { type: 'string' },
    'cpu-prof-phase': { type: 'string', default: 'lifecycle' },
  },
});
const N = {
  messages: Number(opts.messages),
  other: Number(opts.other),
  requests: Number(opts.requests),
  warmup: Number(opts.warmup),
  lifecycles: Number(opts.lifecycles),
  clients: Number(opts.clients),
  small: Number(opts.small),
};
const SMALL = 'lifecycle, small partition';
/** What else may load the machine during a timed phase: test runs, builds, the other benchmarks. */
const NEIGHBOURS = [
  'vitest',
  'tsc',
  'bench/inbox.mjs',
  'bench/fanout.mjs',
  'bench/push.mjs',
  'bench/reports.mjs',
  'bench/durable.mjs',
  'bench/faults.mjs',
  'bench/devhost-http.mjs',
];

/** Watches for neighbours until the returned function is called, which says what it saw and the load average. */
function watchNeighbours() {
  const seen = new Set();
  // Only the programs themselves: a `flock` or shell queued to run one names it too, but waits.
  const program = (pid) => {
    try {
      return !['flock', 'sh', 'bash', 'timeout'].includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    } catch {
      return false; // gone meanwhile
    }
  };
  const look = () => NEIGHBOURS.forEach((n) => running(n).some(program) && seen.add(n));
  look();
  const timer = setInterval(look, 2000);
  const startLoad = loadText();
  return () => {
    clearInterval(timer);
    look();
    const beside = seen.size ? `beside ${[...seen].join(', ')}` : 'quiet: no test run, build or other benchmark';
    return `${beside}; load average ${startLoad} at the start, ${loadText()} at the end`;
  };
}
if (!['table', 'api'].includes(opts.seed)) throw new Error('--seed must be table or api');
const PHASES = new Set(opts.only.split(',').map((s) => s.trim()));
const PROFILE_DIR = opts['cpu-prof'] ? resolve(opts['cpu-prof']) : undefined;
const PROFILED = opts['cpu-prof-phase'];
if (!['list', 'get', 'lifecycle', 'small'].includes(PROFILED)) throw new Error('--cpu-prof-phase must be list, get, lifecycle or small');
const TARGETS = { listP99: 50, getP99: 50, lifecyclesPerSecond: 20 };
const AUDIENCE = 'api://herald';
const TENANT_A = '11111111-1111-4111-8111-111111111111';
const TENANT_B = '22222222-2222-4222-8222-222222222222';
const TENANT_C = '33333333-3333-4333-8333-333333333333';
const GROUP = '11111111-2222-3333-4444-555555555555';
const DAY = 86_400_000;
const SEED_BATCH = 100;
const SEED_PARALLEL_TRANSACTIONS = 4;
const API_SEED_CONCURRENCY = 16;

const load = (file) =>
  import(join(root, 'dist', file)).catch((error) => {
    throw new Error(`dist/${file} is missing: run \`npm run build\` first (${error.message})`);
  });
const { startAzurite, startHost } = await import('@herald/devhost/testing');
const { messageId } = await load('adapters/stores/keys.js');

// ---- small helpers ----------------------------------------------------------------------------------------

const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

/** Nearest-rank percentile of an unsorted array of numbers. */
function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const stats = (ms) => ({ n: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) });

/** A deterministic PRNG (mulberry32), so every run asks for the same "random" ids. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `worker(i)` for i in [0, n) on `concurrency` lanes. */
async function pool(n, concurrency, worker) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await worker(next++);
    }),
  );
}

/** CPU each process used over a phase: % of one core, ms per operation, and % of time waiting for a core. */
function cpuFigures(cpu, ops) {
  return Object.fromEntries(
    Object.entries(cpu.used).map(([name, s]) => [
      name,
      { pct: (100 * s) / cpu.wall, msPerOp: (1000 * s) / ops, waitPct: (100 * cpu.waited[name]) / cpu.wall },
    ]),
  );
}
const cpuText = (fig) =>
  Object.entries(fig)
    .map(([name, f]) => `${name} ${fmt(f.pct, 0)}% (${fmt(f.msPerOp, 2)} ms/op)${f.waitPct >= 1 ? ` +${fmt(f.waitPct, 0)}% waiting` : ''}`)
    .join(', ');

/**
 * What bounds a phase, judged from CPU. Sequential (one request at a time): the request is a chain through
 * the processes, so each one's CPU per request is its share of the latency; the rest is waiting (I/O, timers,
 * polls). Concurrent: a process whose main thread is never idle (on a core or waiting for one ≥ 90% of the
 * time; Node runs JavaScript on one thread) is the bottleneck; several such, or all of them together near the
 * machine's cores, means the machine is.
 */
function bound(fig, { sequential, latencyMs, cores }) {
  const names = Object.keys(fig).filter((n) => n !== 'bench');
  const top = names.reduce((a, b) => (fig[a].msPerOp >= fig[b].msPerOp ? a : b));
  if (sequential) {
    const cpuMs = names.reduce((s, n) => s + fig[n].msPerOp, 0) + fig.bench.msPerOp;
    const share = (n) => `${n} ${fmt((100 * fig[n].msPerOp) / latencyMs, 0)}%`;
    return `CPU: ${names.map(share).join(', ')}, bench ${fmt((100 * fig.bench.msPerOp) / latencyMs, 0)}% of the mean latency; ${
      cpuMs >= 0.8 * latencyMs ? `CPU-bound, mostly ${top}` : `${fmt(100 - (100 * cpuMs) / latencyMs, 0)}% not on any CPU (waiting)`
    }`;
  }
  // Runnable = on a CPU or ready to run but waiting for one (main thread): near 100% means the process was
  // never idle, so its CPU (or its share of the machine's cores) is what the figure waits on.
  const runnable = (n) => fig[n].pct + fig[n].waitPct;
  const total = Object.values(fig).reduce((s, f) => s + f.pct, 0);
  const busiest = names.reduce((a, b) => (runnable(a) >= runnable(b) ? a : b));
  const state = (n) => `${n} ${fmt(fig[n].pct, 0)}% on a core + ${fmt(fig[n].waitPct, 0)}% waiting for one`;
  const saturated = names.filter((n) => runnable(n) >= 90);
  if (saturated.length > 1 || total >= 85 * cores)
    return `${names.map(state).join(', ')}; all processes ${fmt(total, 0)}% of ${cores * 100}%: the machine's ${cores} cores (shared by devhost and Azurite)`;
  if (saturated.length === 1) return `${state(busiest)}: never idle, ${busiest}'s CPU`;
  return `no process saturated (${names.map(state).join(', ')}): latency-bound (waits, polls, timers)`;
}

// ---- the run ------------------------------------------------------------------------------------------------

let azurite;
let host;
const startedPids = [];

async function main() {
  const cores = (await import('node:os')).availableParallelism();
  console.log(
    `Herald lifecycle benchmark — app: repo root on devhost, in-memory Azurite, ${cores} cores` +
      (PROFILE_DIR ? `, CPU profiles in ${PROFILE_DIR}` : ''),
  );

  // Azurite is the bench's own (so its pid is known and it serves the raw baseline), handed to devhost.
  // `--cpu-prof` is refused in NODE_OPTIONS, and would profile the seeding too: a preload runs the same V8
  // profiler through node:inspector between two signals (profileWindow).
  const preload = join(here, 'lib/profile-window.mjs');
  const profileEnv = (name) =>
    PROFILE_DIR
      ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(), BENCH_CPU_PROF_DIR: join(PROFILE_DIR, name) }
      : {};
  // devhost counts its storage requests (lib/count-requests.mjs) while the flag file exists.
  const flagDir = mkdtempSync(join(tmpdir(), 'herald-lifecycle-'));
  onCleanup(async () => rmSync(flagDir, { recursive: true, force: true }));
  const countFlag = join(flagDir, 'counting');
  const countPreload = join(here, 'lib/count-requests.mjs');
  if (PROFILE_DIR) for (const d of ['devhost', 'azurite']) mkdirSync(join(PROFILE_DIR, d), { recursive: true });
  const savedEnv = { ...process.env };
  Object.assign(process.env, profileEnv('azurite')); // startAzurite spawns with this process's environment
  azurite = await startAzurite();
  for (const key of ['NODE_OPTIONS', 'BENCH_CPU_PROF_DIR'])
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  onCleanup(() => azurite.stop());
  const azuritePid = azuritePids(azurite.connectionString)[0];
  startedPids.push(azuritePid);

  host = await startHost({
    app: root,
    storage: azurite.connectionString,
    startTimeoutMs: 60_000,
    env: (url) => ({
      AUTH_ISSUER: `${url}/devhost/identity/{tenantid}/v2.0`,
      AUTH_AUDIENCE: AUDIENCE,
      AUTH_JWKS_URI: `${url}/devhost/identity/discovery/v2.0/keys`,
      ...profileEnv('devhost'),
      NODE_OPTIONS: `${profileEnv('devhost').NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? ''} --import=${countPreload}`.trim(),
      BENCH_COUNT_REQUESTS_FLAG: countFlag,
    }),
  });
  startedPids.push(host.process.pid);
  stopAtCleanup(host);
  const pids = { devhost: host.process.pid, azurite: azuritePid, bench: process.pid };
  /** Starts, then stops, the window profilers of devhost and Azurite around the timed part of `phase`. */
  const profileWindow = (phase) => {
    if (PROFILE_DIR && phase === PROFILED) for (const pid of [pids.devhost, pids.azurite]) process.kill(pid, 'SIGUSR2');
  };

  const client = async (tenant, user, roles) => {
    const token = await host.token({ tenant, user, roles, audience: AUDIENCE, expiresIn: '2h' });
    return async (path, { method, body } = {}) => {
      const res = await host.fetch(path, {
        method: method ?? (body === undefined ? 'GET' : 'POST'),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
    };
  };
  const ann = await client(TENANT_A, 'ann@contoso.test', ['Messages.Write']);
  const abe = await client(TENANT_A, 'abe@contoso.test', ['Messages.Approve']);
  const bob = await client(TENANT_B, 'bob@fabrikam.test', ['Messages.Write']);

  const draftBody = (name) => {
    const t0 = Date.now();
    return {
      name,
      objective: 'security',
      location: 'spotlight',
      template: { kind: 'custom' },
      content: { title: 'Lock your screen', body: 'Press Win+L when you step away.' },
      audience: { groups: [GROUP] },
      schedule: { start: new Date(t0 + DAY).toISOString(), end: new Date(t0 + 8 * DAY).toISOString(), frequency: 'weekly' },
    };
  };
  const create = async (as, name) => {
    const res = await as('/api/messages', { body: draftBody(name) });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.id;
  };

  // ---- 1. seed ---------------------------------------------------------------------------------------------
  const messagesTable = TableClient.fromConnectionString(azurite.connectionString, 'messages', { allowInsecureConnection: true });
  const template = await create(ann, 'Template message');
  const seeded = { A: [template], B: [] };
  // Every row is a copy of the row the API wrote for `template` (same columns, same types), with its own
  // id, times and name, so the store reads them back as its own. Audit rows are not written: list and get
  // never read them, and they live in another table.
  const templateRow = await messagesTable.getEntity(TENANT_A, template);
  const seedRows = (partitionKey, n, offset) => {
    const system = ['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata'];
    const columns = Object.fromEntries(Object.entries(templateRow).filter(([key]) => !system.includes(key)));
    const draft = JSON.parse(columns.draft);
    const now = Date.now();
    return Array.from({ length: n }, (_, i) => {
      const time = now - (offset + i + 1) * 60_000; // one a minute, going back: older than anything the API writes
      const at = new Date(time).toISOString();
      const name = `Seeded message ${i}`;
      const objective = ['security', 'training', 'announcement', 'wellbeing'][i % 4];
      const location = ['spotlight', 'notificationCenter', 'taskbar', 'teams'][i % 4];
      return {
        ...columns,
        partitionKey,
        rowKey: messageId(time),
        draft: JSON.stringify({ ...draft, name, objective, location }),
        name,
        nameKey: name.toLowerCase(),
        objective,
        location,
        createdAt: at,
        updatedAt: at,
      };
    });
  };
  const writeRows = async (rows) => {
    const batches = [];
    for (let i = 0; i < rows.length; i += SEED_BATCH) batches.push(rows.slice(i, i + SEED_BATCH));
    await pool(batches.length, SEED_PARALLEL_TRANSACTIONS, (b) => messagesTable.submitTransaction(batches[b].map((r) => ['create', r])));
  };
  let seedA;
  let t = performance.now();
  if (opts.seed === 'api') {
    await pool(N.messages - 1, API_SEED_CONCURRENCY, async (i) => seeded.A.push(await create(ann, `Seeded message ${i}`)));
    seedA = {
      how: `through POST /api/messages, ${API_SEED_CONCURRENCY} concurrent clients (message + audit row each)`,
      ms: performance.now() - t,
    };
  } else {
    const rows = seedRows(TENANT_A, N.messages - 1, 0);
    t = performance.now();
    await writeRows(rows);
    seeded.A.push(...rows.map((r) => r.rowKey));
    seedA = {
      how: `straight into table messages, ${SEED_BATCH}-row transactions (${SEED_PARALLEL_TRANSACTIONS} at a time), rows copied from one the API wrote`,
      ms: performance.now() - t,
    };
  }
  t = performance.now();
  await pool(N.other, API_SEED_CONCURRENCY, async (i) => seeded.B.push(await create(bob, `Other tenant ${i}`)));
  const seedB = { how: `through POST /api/messages, ${API_SEED_CONCURRENCY} concurrent clients`, ms: performance.now() - t };
  console.log(
    `seeded tenant A: ${seeded.A.length} messages in ${fmt(seedA.ms / 1000)} s (${fmt((seeded.A.length / seedA.ms) * 1000, 0)}/s), ${seedA.how}`,
  );
  if (opts.seed === 'table')
    console.log(
      `  (through the API at tenant B's rate below, ${seeded.A.length} messages would take ~${fmt(seeded.A.length / ((N.other / seedB.ms) * 1000), 0)} s)`,
    );
  console.log(
    `seeded tenant B: ${seeded.B.length} messages in ${fmt(seedB.ms / 1000)} s (${fmt((seeded.B.length / seedB.ms) * 1000, 0)}/s), ${seedB.how}`,
  );

  // Seeded rows read back through the API, and tenant isolation.
  const checks = [];
  const check = (what, ok) => {
    checks.push([what, ok]);
    if (!ok) console.warn(`CHECK FAILED: ${what}`);
  };
  const aIds = new Set(seeded.A);
  const bIds = new Set(seeded.B);
  const sample = seeded.A[seeded.A.length - 1];
  const got = await ann(`/api/messages/${sample}`);
  check(
    'a seeded message reads back through the API (200, same id, Draft)',
    got.status === 200 && got.json.id === sample && got.json.status === 'Draft',
  );
  const firstPage = await ann('/api/messages');
  check(
    'tenant A list: 25 items, all tenant A, newest first, with a continuation',
    firstPage.status === 200 &&
      firstPage.json.items.length === 25 &&
      firstPage.json.items.every((m) => aIds.has(m.id)) &&
      firstPage.json.items.every((m, i, a) => i === 0 || a[i - 1].id < m.id) &&
      typeof firstPage.json.continuation === 'string',
  );
  const listedB = [];
  for (let continuation; ;) {
    const page = await bob(`/api/messages?pageSize=100${continuation ? `&continuation=${continuation}` : ''}`);
    if (page.status !== 200) throw new Error(`tenant B list: ${page.status} ${JSON.stringify(page.json)}`);
    listedB.push(...page.json.items.map((m) => m.id));
    continuation = page.json.continuation;
    if (!continuation) break;
  }
  check(
    `tenant B lists exactly its own ${seeded.B.length} messages`,
    listedB.length === seeded.B.length && listedB.every((id) => bIds.has(id)),
  );
  check(
    'a tenant A message is 404 to tenant B, and a tenant B message 404 to tenant A',
    (await bob(`/api/messages/${sample}`)).status === 404 && (await ann(`/api/messages/${seeded.B[0]}`)).status === 404,
  );

  const random = rng(42);
  const randomA = () => seeded.A[Math.floor(random() * seeded.A.length)];
  const results = {};

  /** warm-up, then `n` sequential calls of `op`, timed one by one, with each process's CPU over the timed part. */
  async function sequential(phase, name, op) {
    for (let i = 0; i < N.warmup; i++) await op();
    profileWindow(phase);
    const meter = cpuMeter(pids);
    const ms = [];
    for (let i = 0; i < N.requests; i++) {
      const t0 = performance.now();
      await op();
      ms.push(performance.now() - t0);
    }
    const cpu = cpuFigures(meter.since(), N.requests);
    profileWindow(phase);
    const mean = ms.reduce((s, x) => s + x, 0) / ms.length;
    results[name] = { ...stats(ms), mean, cpu, bound: bound(cpu, { sequential: true, latencyMs: mean, cores }) };
    console.log(`${name}: p50 ${fmt(results[name].p50, 2)} ms, p99 ${fmt(results[name].p99, 2)} ms`);
  }

  // ---- 4. raw baseline (same Azurite, same rows) ---------------------------------------------------------
  if (PHASES.has('raw')) {
    await sequential('raw', 'raw getEntity', async () => {
      await messagesTable.getEntity(TENANT_A, randomA());
    });
    await sequential('raw', 'raw partition query, 25 rows', async () => {
      const pages = messagesTable
        .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${TENANT_A}` } })
        .byPage({ maxPageSize: 25 });
      const { value } = await pages.next();
      if (value.length !== 25) throw new Error(`raw query returned ${value.length} rows`);
    });
  }

  // ---- 2. list and get latency ---------------------------------------------------------------------------
  if (PHASES.has('list'))
    await sequential('list', 'GET /api/messages (page of 25)', async () => {
      const res = await ann('/api/messages');
      if (res.status !== 200 || res.json.items.length !== 25)
        throw new Error(`list: ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
    });
  if (PHASES.has('get'))
    await sequential('get', 'GET /api/messages/{id} (random)', async () => {
      const id = randomA();
      const res = await ann(`/api/messages/${id}`);
      if (res.status !== 200 || res.json.id !== id) throw new Error(`get ${id}: ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
    });

  // ---- 3. lifecycles ---------------------------------------------------------------------------------------
  /** --lifecycles create → submit → approve lifecycles by `writer` and `approver`, --clients at a time. */
  async function lifecycles(writer, approver, phase) {
    const steps = { create: [], submit: [], approve: [] };
    const ended = [];
    const lifecycle = async (i, record = true) => {
      let t0 = performance.now();
      const id = await create(writer, `Lifecycle ${i}`);
      const t1 = performance.now();
      const submitted = await writer(`/api/messages/${id}/submit`, { body: {} });
      const t2 = performance.now();
      if (submitted.status !== 200 || submitted.json.status !== 'PendingApproval')
        throw new Error(`submit ${id}: ${submitted.status} ${JSON.stringify(submitted.json)}`);
      const approved = await approver(`/api/messages/${id}/approve`, { body: {} });
      const t3 = performance.now();
      if (approved.status !== 200) throw new Error(`approve ${id}: ${approved.status} ${JSON.stringify(approved.json)}`);
      if (record) {
        steps.create.push(t1 - t0);
        steps.submit.push(t2 - t1);
        steps.approve.push(t3 - t2);
        ended.push({ id, answered: approved.json.status });
      }
    };
    // Warm-up: the first lifecycles load the durable engine and create its hub's tables and queues.
    await pool(N.clients, N.clients, (i) => lifecycle(`warm-${i}`, false));
    writeFileSync(countFlag, '');
    await sleep(200); // the preload looks for the flag every 50 ms
    profileWindow(phase);
    const meter = cpuMeter(pids);
    const neighbours = watchNeighbours();
    const t = performance.now();
    await pool(N.lifecycles, N.clients, (i) => lifecycle(i));
    const ms = performance.now() - t;
    const cpu = cpuFigures(meter.since(), N.lifecycles);
    profileWindow(phase);
    const machine = neighbours();
    rmSync(countFlag, { force: true });
    const countFile = `${countFlag}.${host.process.pid}.json`;
    for (let i = 0; i < 20 && !existsSync(countFile); i++) await sleep(100);
    const requests = existsSync(countFile) ? JSON.parse(readFileSync(countFile, 'utf8')) : undefined;
    rmSync(countFile, { force: true });
    // Every lifecycle must end Scheduled: the approve answer, and the message as read afterwards.
    let scheduled = 0;
    await pool(ended.length, 8, async (i) => {
      const res = await writer(`/api/messages/${ended[i].id}`);
      if (ended[i].answered === 'Scheduled' && res.json?.status === 'Scheduled') scheduled++;
    });
    return {
      ms,
      rate: (N.lifecycles / ms) * 1000,
      scheduled,
      steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, stats(v)])),
      cpu,
      requests,
      machine,
      bound: bound(cpu, { sequential: false, cores }),
    };
  }

  if (PHASES.has('lifecycle')) {
    results.lifecycle = await lifecycles(ann, abe, 'lifecycle');
    check(`every lifecycle ended Scheduled (approve answered it and a later GET reads it)`, results.lifecycle.scheduled === N.lifecycles);
    console.log(`lifecycles: ${fmt(results.lifecycle.rate)}/s`);
    if (N.small > 0) {
      // The same lifecycles in a tenant of --small rows: Azurite's point operations cost O(rows in the
      // partition), Azure Tables' do not, so this is closer to what the design costs on Azure.
      await writeRows(seedRows(TENANT_C, N.small, 0));
      const cat = await client(TENANT_C, 'cat@northwind.test', ['Messages.Write']);
      const cal = await client(TENANT_C, 'cal@northwind.test', ['Messages.Approve']);
      results[SMALL] = await lifecycles(cat, cal, 'small');
      check(`every lifecycle of the ${N.small}-row tenant ended Scheduled`, results[SMALL].scheduled === N.lifecycles);
      console.log(`lifecycles, ${N.small} rows in the partition: ${fmt(results[SMALL].rate)}/s`);
    }
  }

  // ---- report ------------------------------------------------------------------------------------------------
  console.log('\nLatency, sequential requests (ms)                      p50      p99      max   target    result');
  const latencyRow = (name, r, target) =>
    console.log(
      `${pad(name, 48)}${lpad(fmt(r.p50, 2), 9)}${lpad(fmt(r.p99, 2), 9)}${lpad(fmt(r.max, 1), 9)}${lpad(target ? `p99≤${target}` : '-', 9)}${lpad(
        target ? (r.p99 <= target ? 'PASS' : 'MISS') : '',
        10,
      )}`,
    );
  if (results['GET /api/messages (page of 25)'])
    latencyRow('GET /api/messages (page of 25)', results['GET /api/messages (page of 25)'], TARGETS.listP99);
  if (results['raw partition query, 25 rows'])
    latencyRow('  baseline: raw partition query, 25 rows', results['raw partition query, 25 rows']);
  if (results['GET /api/messages/{id} (random)'])
    latencyRow('GET /api/messages/{id} (random ids)', results['GET /api/messages/{id} (random)'], TARGETS.getP99);
  if (results['raw getEntity']) latencyRow('  baseline: raw table getEntity', results['raw getEntity']);
  const overhead = (api, raw) =>
    results[api] && results[raw]
      ? console.log(
          `  ${api}: HTTP + auth + devhost + app add ${fmt(results[api].p50 - results[raw].p50, 2)} ms at p50, ${fmt(results[api].p99 - results[raw].p99, 2)} ms at p99 over ${raw}`,
        )
      : undefined;
  overhead('GET /api/messages (page of 25)', 'raw partition query, 25 rows');
  overhead('GET /api/messages/{id} (random)', 'raw getEntity');

  const lifecycleReport = (l, title, target) => {
    console.log(`\n${title}, ${N.clients} concurrent clients, ${N.lifecycles} lifecycles in ${fmt(l.ms / 1000, 2)} s`);
    const verdict = target ? `target ≥ ${target}   ${l.rate >= target ? 'PASS' : 'MISS'}` : '(no target: Azure-like point reads)';
    console.log(`${pad('lifecycles/s', 48)}${lpad(fmt(l.rate), 9)}   ${verdict}   (${l.scheduled}/${N.lifecycles} ended Scheduled)`);
    console.log(`  machine: ${l.machine}`);
    const cpuMs = Object.values(l.cpu).reduce((sum, f) => sum + f.msPerOp, 0);
    console.log(
      `${pad('  CPU ms per lifecycle, all processes', 48)}${lpad(fmt(cpuMs, 1), 9)}   (${cores} cores: at most ~${fmt((cores * 1000) / cpuMs, 1)}/s)`,
    );
    console.log(`${pad('  step latency under that load (ms)', 48)}${lpad('p50', 9)}${lpad('p99', 9)}${lpad('max', 9)}`);
    for (const [step, s] of Object.entries(l.steps))
      console.log(`${pad(`  ${step}`, 48)}${lpad(fmt(s.p50, 1), 9)}${lpad(fmt(s.p99, 1), 9)}${lpad(fmt(s.max, 1), 9)}`);
    if (l.requests) {
      // Over the timed lifecycles: what one costs in devhost's outgoing requests (storage, and the stand-ins).
      const per = (n) => fmt(n / N.lifecycles, 2);
      const total = Object.values(l.requests).reduce((a, b) => a + b, 0);
      const shown = Object.entries(l.requests).filter(([, n]) => n / N.lifecycles >= 0.1);
      const rest = total - shown.reduce((sum, [, n]) => sum + n, 0);
      console.log(`  devhost's requests per lifecycle: ${per(total)}`);
      for (const [key, n] of shown) console.log(`    ${lpad(per(n), 6)}  ${key}`);
      if (rest > 0) console.log(`    ${lpad(per(rest), 6)}  others (under 0.1 each: queue polls, leases)`);
    }
  };
  if (results.lifecycle)
    lifecycleReport(
      results.lifecycle,
      `Lifecycles (create → submit → approve → Scheduled), ${N.messages} rows in the partition`,
      TARGETS.lifecyclesPerSecond,
    );
  if (results[SMALL]) lifecycleReport(results[SMALL], `The same lifecycles, ${N.small} rows in the partition`);

  console.log('\nWhat bounds each figure (CPU over the timed part: % of one core, CPU ms per request or lifecycle)');
  for (const [name, r] of Object.entries(results)) {
    console.log(`  ${name}: ${cpuText(r.cpu)}`);
    console.log(`    → ${r.bound}`);
  }

  console.log('\nChecks');
  for (const [what, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`benchmark failed: ${error.stack ?? error}`);
  if (host) console.error(`devhost output (last 3000 characters):\n${host.output().slice(-3000)}`);
} finally {
  await cleanupAll();
  if (azurite) await checkGone('devhost and Azurite', [...startedPids, ...azuritePids(azurite.connectionString)].filter(Boolean));
}
if (PROFILE_DIR) {
  for (const [name, pid] of [
    ['devhost', startedPids[1]],
    ['azurite', startedPids[0]],
  ]) {
    const dir = join(PROFILE_DIR, name);
    const file = readdirSync(dir).find((f) => f === `${pid}.cpuprofile`);
    if (!file) console.log(`\nno CPU profile for ${name} (pid ${pid}) in ${dir}`);
    else console.log(`\n${name} CPU profile ${join(dir, file)}:\n${summarizeProfile(join(dir, file), { root })}`);
  }
}
process.exit(failed ? 1 : 0);
