#!/usr/bin/env node
// Benchmark (not a test): reporting on the Herald app (the repo root) hosted by devhost over an in-memory Azurite
// the bench starts, on the real clock. In one run:
//   1. ingestion — --events (10,000) seen / clicked / dismissed events POSTed to /api/inbox/{id}/events by
//      --clients (50) concurrent clients, each acting as its own share of --users (2,000) directory users, on
//      --active (20) Spotlight messages made Active through the API; a few replays. Events/s and p50/p99, next to
//      the same-run raw rate of single-entity createEntity calls by as many workers on the same Azurite; then
//      the activity report must add up to exactly the events sent (a fast but wrong counter is worthless);
//   2. export — an inbox message that --rows (100,000) people acted on, counted by the app's own counterStore
//      from this process; GET /api/messages/{id}/recipients.csv (303 → the file): time, rows, size, devhost's RSS;
//   3. query — --messages (1,000) messages with --days (90) days of counts each, created with the app's
//      messageStore and counted with its counterStore from this process, report copies awaited; p50/p99 of
//      GET /api/reports/activity over those days (--requests sequential after --warmup), once with an objective
//      filter, beside the raw Azurite read of the report copies; then the activity.csv of the same data.
// Targets: events/s ≥ 40 % of raw createEntity/s; activity p99 ≤ 200 ms; the 100k-row export grows devhost's RSS
// by ≤ 64 MB. Prints PASS/MISS; exits 0 unless something crashed. Run: `npm run bench:reports`.
//
// Options: --events <n> (10000)  --clients <n> (50)  --users <n> (2000)  --active <n> (20)  --replays <0..1> (0.02)
//          --warmup-events <n> (1000)  --baseline-writes <n> (10000)  --rows <n> (100000)  --messages <n> (1000)
//          --days <n> (90)  --requests <n> (200)  --warmup <n> (20)  --filtered-requests <n> (50)
//          --only ingest,export,query  --quiet-wait <s> (600)  --wait-for <programs> (the other benchmarks; add
//          `,vitest,tsc` to wait for test runs and builds too): waited for before each part, reported if seen during it
//          --cpu-prof <dir> [--profile ingest|export|query (query)]: CPU-profile devhost and Azurite during that
//          phase only (lib/profile-window.mjs) and print each one's hottest packages and functions.
// devhost runs with lib/count-requests.mjs (its storage requests per event are printed), Azurite with
// lib/azurite-seed-lookup.mjs (on only while the export's 100,000-row partition is seeded; see the README).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { odata, TableClient } from '@azure/data-tables';
import { onCleanup } from '../packages/devhost/bench/lib/cleanup.mjs';
import { AUDIENCE, heraldSettings, loadBuilt, printProfiles, runHeraldBench } from './lib/herald.mjs';
import { httpClient } from './lib/http-client.mjs';
import { latencySummary } from './lib/paced.mjs';
import { azuritePids, cpuMeter } from '../packages/devhost/bench/lib/proc.mjs';
import { loadText, running, waitForQuiet } from './lib/quiet.mjs';
import { rssSampler } from './lib/rss.mjs';
import { stopAtCleanup } from './lib/host-calls.mjs';
import { startProviders } from './lib/providers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: opts } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    clients: { type: 'string', default: '50' },
    users: { type: 'string', default: '2000' },
    active: { type: 'string', default: '20' },
    replays: { type: 'string', default: '0.02' },
    'warmup-events': { type: 'string', default: '1000' },
    'baseline-writes': { type: 'string', default: '10000' },
    rows: { type: 'string', default: '100000' },
    messages: { type: 'string', default: '1000,10000' },
    days: { type: 'string', default: '90' },
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    'filtered-requests': { type: 'string', default: '50' },
    only: { type: 'string', default: 'ingest,export,query' },
    instances: { type: 'string', default: '1' },
    'wait-for': {
      type: 'string',
      default:
        'bench/fanout.mjs,bench/inbox.mjs,bench/lifecycle.mjs,bench/durable.mjs,bench/push.mjs,bench/devhost-http.mjs,bench/devhost-queue.mjs',
    },
    'quiet-wait': { type: 'string', default: '600' },
    'cpu-prof': { type: 'string' },
    profile: { type: 'string', default: 'query' },
  },
});
const N = {
  events: Number(opts.events),
  clients: Number(opts.clients),
  users: Number(opts.users),
  active: Number(opts.active),
  warmupEvents: Number(opts['warmup-events']),
  baselineWrites: Number(opts['baseline-writes']),
  rows: Number(opts.rows),
  days: Number(opts.days),
  requests: Number(opts.requests),
  warmup: Number(opts.warmup),
  filteredRequests: Number(opts['filtered-requests']),
  quietWaitMs: Number(opts['quiet-wait']) * 1000,
};
/** The query part runs once per size, each on a tenant of its own: its p99 should not grow with the messages. */
const QUERY_SIZES = opts.messages.split(',').map((n) => Number(n.trim()));
if (!QUERY_SIZES.every((n) => Number.isInteger(n) && n >= 1)) throw new Error('--messages must be whole numbers ≥ 1, comma-separated');
const REPLAY_SHARE = Number(opts.replays);
for (const [name, value] of Object.entries(N))
  if (!Number.isInteger(value) || value < (name === 'warmupEvents' || name === 'warmup' ? 0 : 1))
    throw new Error(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a whole number ≥ 1`);
if (!(REPLAY_SHARE >= 0 && REPLAY_SHARE < 1)) throw new Error('--replays must be between 0 and 1');
if (N.clients > N.users) throw new Error('--clients must not exceed --users: each client acts as users of its own');
/** 2: the ingestion also runs on two Herald instances over the one Azurite, beside one of them alone (same run). */
const INSTANCES = Number(opts.instances);
if (INSTANCES !== 1 && INSTANCES !== 2) throw new Error('--instances must be 1 or 2');
const PARTS = new Set(opts.only.split(',').map((p) => p.trim()));
for (const p of PARTS) if (!['ingest', 'export', 'query'].includes(p)) throw new Error(`--only: unknown part ${p}`);
const OTHER_BENCHMARKS = opts['wait-for']
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
const PROFILE_DIR = opts['cpu-prof'] ? resolve(opts['cpu-prof']) : undefined;
const PROFILED = opts.profile;
if (!['ingest', 'export', 'query', 'seed'].includes(PROFILED)) throw new Error('--profile must be ingest, export, query or seed');

const TARGETS = { shareOfRaw: 0.4, p99Ms: 200, rssGrowthMb: 64 };
/** "Flat as messages grow": the largest size's activity p99 within this factor of the smallest's. */
const FLAT_RATIO = 1.5;
/** [messages, activity p99 ms] per query size run. */
const queryP99 = [];
const TENANT = {
  events: '3e7e0000-1111-4111-8111-000000000001',
  export: '3e7e0000-1111-4111-8111-000000000002',
  query: (size) => `3e7e0000-1111-4111-8111-${String(size).padStart(12, '0')}`,
};
const GROUP = '3e7e0000-2222-4222-8222-000000000001';
const SECOND = 1000;
const DAY = 86_400_000;
/** Messages start this long after the bench creates them: time to create, submit and approve all of them. */
const START_LEAD_MS = 12 * SECOND;
const TOKEN_CONCURRENCY = 16;
const EVENT_TYPES = [
  ['seen', 0.7],
  ['dismissed', 0.2],
  ['clicked', 0.1],
];
/** Events a counter commit can carry (adapters/stores/counterStore MAX_ITEMS): the export seeding keeps two commits' worth queued. */
const GROUP_COMMIT = 96;
const QUERY_SEED_CONCURRENCY = 16;

const load = (file) => loadBuilt(root, file);
const settings = await heraldSettings(root, 'herald-reports-bench');
const { startAzurite, startHost } = await import('@herald/devhost/testing');
const { OBJECTIVES } = await load('core/message.js');
const { daysBetween, eventContribution } = await load('core/reportMath.js');

const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const verdict = (ok) => (ok ? 'PASS' : 'MISS');
const isoDay = (t) => new Date(t).toISOString().slice(0, 10);

/** A deterministic PRNG (mulberry32): every run generates the same data. */
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

const cpuText = (cpu, ops, unit) =>
  Object.entries(cpu.used)
    .map(
      ([name, s]) =>
        `${name} ${fmt((100 * s) / cpu.wall, 0)}% of a core, ${fmt((1000 * s) / ops, 2)} ms/${unit}` +
        (cpu.waited[name] / cpu.wall >= 0.01 ? ` (+${fmt((100 * cpu.waited[name]) / cpu.wall, 0)}% waiting for a core)` : ''),
    )
    .join('; ');

let azurite;
/** The first Herald instance; `hosts` holds every one (two with --instances 2). */
let host;
const hosts = [];
/**
 * Who issues tokens and keeps the Graph stand-in's directory: with one instance its own devhost, with two the
 * providers' devhost both trust (bench/lib/providers.mjs), as one identity provider serves every instance on Azure.
 */
let idp;
let azuritePid;
const startedPids = [];
const checks = [];
const check = (what, ok) => {
  checks.push([what, ok]);
  if (!ok) console.warn(`CHECK FAILED: ${what}`);
};
const targets = [];
const machine = [];

async function startProcesses(seedFlag, countFlag) {
  const windowPreload = join(here, 'lib/profile-window.mjs');
  const seedPreload = join(here, 'lib/azurite-seed-lookup.mjs');
  const countPreload = join(here, 'lib/count-requests.mjs');
  const nodeOptions = (...preloads) => `${process.env.NODE_OPTIONS ?? ''} ${preloads.map((p) => `--import=${p}`).join(' ')}`.trim();
  const profileEnv = (name) => (PROFILE_DIR ? { BENCH_CPU_PROF_DIR: join(PROFILE_DIR, name) } : {});
  if (PROFILE_DIR) for (const d of ['devhost', 'azurite']) mkdirSync(join(PROFILE_DIR, d), { recursive: true });
  // startAzurite spawns with this process's environment: lend it the preloads' settings for that moment.
  const savedEnv = { ...process.env };
  Object.assign(process.env, {
    NODE_OPTIONS: nodeOptions(seedPreload, ...(PROFILE_DIR ? [windowPreload] : [])),
    BENCH_AZURITE_SEED_FLAG: seedFlag,
    ...profileEnv('azurite'),
  });
  azurite = await startAzurite();
  for (const key of ['NODE_OPTIONS', 'BENCH_AZURITE_SEED_FLAG', 'BENCH_CPU_PROF_DIR'])
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  onCleanup(() => azurite.stop());
  azuritePid = azuritePids(azurite.connectionString)[0];
  startedPids.push(azuritePid);

  let providers;
  if (INSTANCES > 1) {
    providers = await startProviders(startHost, azurite.connectionString, { startTimeoutMs: 60_000 });
    startedPids.push(providers.process.pid);
    stopAtCleanup(providers);
  }
  for (let i = 0; i < INSTANCES; i++) {
    const h = await startHost({
      app: root,
      storage: azurite.connectionString,
      startTimeoutMs: 60_000,
      env: (url) => ({
        ...settings(providers?.url ?? url),
        // The hourly reconciler (at :07) checks every message changed in the last two days: at 11,000 messages
        // it read each one's counter rows by a query that Azurite answers by filtering the whole `counters`
        // table (990,000 rows, ~0.3 s a message), Azurite at 100 % for most of an hour: the 23:14
        // run (and most likely 18:55's) measured it, not the report. Nothing here measures it.
        AzureWebJobs_reconcile_Disabled: 'true',
        NODE_OPTIONS: nodeOptions(countPreload, ...(PROFILE_DIR && i === 0 ? [windowPreload] : [])),
        BENCH_COUNT_REQUESTS_FLAG: countFlag,
        ...(i === 0 ? profileEnv('devhost') : {}),
        ...(providers ? { DEVHOST_STANDINS_DIR: mkdtempSync(join(tmpdir(), 'herald-reports-instance-')) } : {}),
      }),
    });
    startedPids.push(h.process.pid);
    stopAtCleanup(h);
    hosts.push(h);
  }
  host = hosts[0];
  idp = providers ?? host;
  // The app's own modules, run in this process for seeding, write to the same Azurite.
  process.env.AzureWebJobsStorage = azurite.connectionString;
  return {
    devhost: host.process.pid,
    ...(hosts[1] ? { 'devhost B': hosts[1].process.pid, providers: idp.process.pid } : {}),
    azurite: azuritePid,
    bench: process.pid,
  };
}

/** Signals the window profilers (lib/profile-window.mjs) of devhost and Azurite: start, then stop. */
function profileWindow(phase) {
  if (!PROFILE_DIR || phase !== PROFILED) return;
  for (const pid of [host.process.pid, azuritePid]) process.kill(pid, 'SIGUSR2');
}

/**
 * Waits while another benchmark runs, then watches for test runs, builds and benchmarks until `stop()`, which
 * returns what it saw: the figures of a phase are only comparable on an otherwise quiet machine.
 */
async function quietPhase(name) {
  const quiet = await waitForQuiet(OTHER_BENCHMARKS, { maxWaitMs: N.quietWaitMs });
  const startLoad = loadText();
  const seen = new Map();
  const look = () => {
    for (const program of ['vitest', 'tsc', ...OTHER_BENCHMARKS]) for (const pid of running(program)) seen.set(pid, program);
  };
  look();
  const timer = setInterval(look, 2000);
  return () => {
    clearInterval(timer);
    look();
    const others = [...seen].map(([pid, program]) => `${program} (pid ${pid})`);
    const line =
      `${name}: load average ${startLoad} at the start, ${loadText()} at the end (1/5/15 min)` +
      (quiet.waitedMs >= 1000 ? `, after waiting ${fmt(quiet.waitedMs / SECOND, 0)} s for another benchmark` : '') +
      (others.length ? `; ALSO RUNNING: ${others.join(', ')}` : '; quiet (no test run, build or other benchmark seen)');
    machine.push(line);
    return others;
  };
}

async function json(res, what) {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

async function apiClient(tenant, user, roles) {
  const token = await idp.token({ tenant, user, roles, audience: AUDIENCE, expiresIn: '4h' });
  return (path, body) =>
    host
      .fetch(path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      .then((res) => json(res, path));
}

// ---- 1. ingestion -------------------------------------------------------------------------------------------------

/** Rows shaped like the marker adapters/stores/interactionStore writes per event, for the raw baseline. */
function markerLike(userIds, i) {
  const userId = userIds[i % userIds.length];
  const clientEventId = `raw-${i}`;
  return {
    partitionKey: `${TENANT.events}:${userId}`,
    rowKey: `~evt|00000000000000000000${i % 10}|${Buffer.from(clientEventId).toString('base64url')}`,
    messageId: `00000000000000000000${i % 10}`,
    type: 'seen',
    clientEventId,
    occurredAt: new Date().toISOString(),
    recordedAt: new Date().toISOString(),
    channel: 'inbox',
    occurrence: 0,
    contribution: JSON.stringify({ day: isoDay(Date.now()), channel: 'inbox', tally: { seen: 1 }, dayPeople: {}, messagePeople: {} }),
  };
}

/** Single-entity createEntity calls by `workers` concurrent workers into a fresh table: writes/s and latency. */
async function rawWrites(userIds, count, workers, offset) {
  const table = TableClient.fromConnectionString(azurite.connectionString, `reportsraw${Date.now() % 1e8}`, {
    allowInsecureConnection: true,
  });
  await table.createTable();
  const ms = [];
  const t = performance.now();
  await pool(count, workers, async (i) => {
    const t0 = performance.now();
    await table.createEntity(markerLike(userIds, offset + i));
    ms.push(performance.now() - t0);
  });
  const wall = performance.now() - t;
  await table.deleteTable();
  return { perSecond: (count / wall) * SECOND, seconds: wall / SECOND, latency: latencySummary(ms) };
}

/**
 * Counts every Herald instance's storage requests (lib/count-requests.mjs) while `work` runs, added up; resolves
 * to `{ result, requests }`.
 */
async function countingRequests(countFlag, work) {
  const files = hosts.map((h) => `${countFlag}.${h.process.pid}.json`);
  for (const file of files) rmSync(file, { force: true });
  writeFileSync(countFlag, '');
  await sleep(200);
  const result = await work();
  await sleep(1000); // the report copies of the last commits are written just after their answers
  rmSync(countFlag, { force: true });
  for (let i = 0; i < 20 && !files.every((f) => existsSync(f)); i++) await sleep(100);
  if (!files.every((f) => existsSync(f))) return { result, requests: undefined };
  const requests = {};
  for (const f of files)
    for (const [key, n] of Object.entries(JSON.parse(readFileSync(f, 'utf8')))) requests[key] = (requests[key] ?? 0) + n;
  return { result, requests };
}

async function ingestion(pids, countFlag) {
  console.log(`\n== 1. Ingestion: ${int(N.events)} events from ${N.clients} concurrent clients ==`);
  const tenant = TENANT.events;
  const upns = Array.from({ length: N.users }, (_, i) => `reader.${String(i).padStart(5, '0')}@contoso.test`);
  let t = performance.now();
  await json(
    await idp.fetch(`/devhost/graph/_control/tenants/${tenant}/directory`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        users: upns.map((userPrincipalName) => ({ userPrincipalName })),
        groups: [{ id: GROUP, displayName: 'Everyone (reports bench)', members: upns }],
      }),
    }),
    'directory',
  );
  const bearer = new Array(N.users);
  const userIds = new Array(N.users);
  await pool(N.users, TOKEN_CONCURRENCY, async (i) => {
    const token = await idp.token({ tenant, user: upns[i], roles: [], audience: AUDIENCE, expiresIn: '4h' });
    bearer[i] = `Bearer ${token}`;
    userIds[i] = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).oid;
  });
  console.log(`directory: ${int(N.users)} users in one group, and their tokens, in ${fmt((performance.now() - t) / SECOND)} s`);

  // Active messages through the API, as every message reaches devices.
  const writer = await apiClient(tenant, 'ann@contoso.test', ['Messages.Write']);
  const approver = await apiClient(tenant, 'abe@contoso.test', ['Messages.Approve']);
  t = performance.now();
  const start = Date.now() + START_LEAD_MS;
  const ids = new Array(N.active);
  await pool(N.active, 8, async (k) => {
    const { id } = await writer('/api/messages', {
      name: `Reports bench ${k}`,
      objective: OBJECTIVES[k % OBJECTIVES.length],
      location: 'spotlight',
      template: { kind: 'custom' },
      content: {
        title: `Lock your screen (${k})`,
        body: 'Press Win+L when you step away from your desk.',
        callToAction: { label: 'Learn more', url: `https://intranet.contoso.test/security/${k}` },
      },
      audience: { groups: [GROUP] },
      schedule: { start: new Date(start).toISOString(), end: new Date(start + 30 * DAY).toISOString(), frequency: 'daily' },
    });
    await writer(`/api/messages/${id}/submit`, {});
    await approver(`/api/messages/${id}/approve`, {});
    ids[k] = id;
  });
  const activeCount = async () => (await writer(`/api/messages?status=Active&pageSize=100`)).items.length;
  while ((await activeCount()) < N.active && Date.now() < start + 120 * SECOND) await sleep(500);
  const activeNow = await activeCount();
  check(`all ${N.active} messages Active`, activeNow === N.active);
  console.log(`messages: ${activeNow} Spotlight messages Active ${fmt((Date.now() - start) / SECOND)} s after their start`);

  // Every device reads its inbox before it reports what the user did: that loads each user into the app's member
  // cache (profile and groups from Graph) and JIT-compiles the path, as on a live tenant.
  const https = hosts.map((h) => httpClient(h.url));
  onCleanup(async () => https.forEach((h) => h.close()));
  t = performance.now();
  let shown = 0;
  // With two instances each one serves every user in some run: each loads them all.
  for (const http of https)
    await pool(N.users, N.clients, async (i) => {
      const res = await http.send('GET', '/api/inbox?surface=spotlight', { headers: { authorization: bearer[i] } });
      if (res.status !== 200) throw new Error(`inbox of ${upns[i]}: ${res.status} ${res.body.slice(0, 300)}`);
      shown += JSON.parse(res.body).messages.length;
    });
  check(`every user's device is shown messages (${fmt(shown / N.users / https.length, 1)} each)`, shown >= N.users * https.length);
  console.log(`warm-up: ${int(N.users * https.length)} inbox reads in ${fmt((performance.now() - t) / SECOND)} s`);

  // The event stream: each client acts as the users i ≡ client (mod clients), one event at a time.
  // One generator per client: each sends the same events in the same order in every run, whatever the timing.
  const randoms = Array.from({ length: N.clients }, (_, c) => rng(1000 + c));
  const pickType = (random) => {
    let r = random();
    for (const [type, share] of EVENT_TYPES) if ((r -= share) < 0) return type;
    return EVENT_TYPES[0][0];
  };
  const expected = { seen: 0, clicked: 0, dismissed: 0 };
  const people = { seen: new Set(), clicked: new Set(), dismissed: new Set() };
  const sent = Array.from({ length: N.clients }, () => []);
  const firstDay = isoDay(Date.now());
  // Client c sends to instance c mod `on` (a load balancer's even spread).
  const runEvents = async (total, tag, on) => {
    const samples = [];
    const errors = new Map();
    const perClient = (c) => Math.floor(total / N.clients) + (c < total % N.clients ? 1 : 0);
    const mine = (c) => userIds.map((_, i) => i).filter((i) => i % N.clients === c);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: N.clients }, async (_, c) => {
        const users = mine(c);
        const random = randoms[c];
        for (let k = 0; k < perClient(c); k++) {
          const replay = sent[c].length > 0 && random() < REPLAY_SHARE;
          const event = replay
            ? sent[c][Math.floor(random() * sent[c].length)]
            : {
                user: users[Math.floor(random() * users.length)],
                message: ids[Math.floor(random() * ids.length)],
                type: pickType(random),
                clientEventId: `c${c}-${tag}-${k}`,
              };
          const began = performance.now();
          let status;
          let body;
          try {
            const res = await https[c % on].send('POST', `/api/inbox/${event.message}/events`, {
              headers: { authorization: bearer[event.user] },
              body: { type: event.type, clientEventId: event.clientEventId },
            });
            status = res.status;
            body = res.body;
          } catch (error) {
            status = error.code ?? 'error';
          }
          const ms = performance.now() - began;
          const ok = replay ? status === 200 && JSON.parse(body).duplicate === true : status === 201;
          samples.push({ ms, ok, replay });
          if (!ok) errors.set(`${replay ? 'replay ' : ''}${status}`, (errors.get(`${replay ? 'replay ' : ''}${status}`) ?? 0) + 1);
          if (ok && !replay) {
            expected[event.type]++;
            people[event.type].add(`${event.message}:${event.user}`);
            sent[c].push(event);
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / SECOND;
    return { samples, errors: Object.fromEntries(errors), seconds };
  };

  if (N.warmupEvents > 0) {
    const warm = await runEvents(N.warmupEvents, 'w', hosts.length);
    console.log(
      `warm-up: ${int(N.warmupEvents)} events in ${fmt(warm.seconds)} s (${int(N.warmupEvents / warm.seconds)}/s)` +
        (Object.keys(warm.errors).length ? `, errors ${JSON.stringify(warm.errors)}` : ''),
    );
  }

  // Baseline right before the events, on the same Azurite: 1,000 writes warm Azurite's insert path.
  const phaseDone = await quietPhase('ingestion (baseline and events)');
  await rawWrites(userIds, 1000, N.clients, 0);
  let meter = cpuMeter(pids);
  const raw = await rawWrites(userIds, N.baselineWrites, N.clients, 1000);
  const rawCpu = meter.since();
  console.log(
    `baseline: ${int(N.baselineWrites)} single-entity createEntity calls, ${N.clients} concurrent, marker-shaped rows in ` +
      `${int(N.users)} partitions: ${fmt(raw.seconds, 2)} s, ${int(raw.perSecond)} writes/s, p50 ${fmt(raw.latency.p50, 2)} ms, p99 ${fmt(raw.latency.p99, 2)} ms`,
  );
  console.log(`  CPU: ${cpuText(rawCpu, N.baselineWrites, 'write')}`);

  // One instance alone, then (--instances 2) both, each with a fresh set of events: the scale-out ratio.
  const runs = INSTANCES > 1 ? [1, INSTANCES] : [1];
  const timed = [];
  for (const on of runs) {
    const last = on === runs[runs.length - 1];
    if (last) profileWindow('ingest');
    timed.push(await timedEvents(on, `t${on}`, last ? phaseDone : () => {}));
    if (last) profileWindow('ingest');
  }
  const { rate, all, cpu } = timed[0];

  async function timedEvents(on, tag, done) {
    const label = INSTANCES > 1 ? ` on ${on} instance${on > 1 ? 's' : ''}` : '';
    meter = cpuMeter(pids);
    const { result: run, requests } = await countingRequests(countFlag, async () => {
      const events = await runEvents(N.events, tag, on);
      return { ...events, cpu: meter.since() };
    });
    done();
    const { cpu } = run;
    const all = latencySummary(run.samples.map((s) => s.ms));
    const replays = run.samples.filter((s) => s.replay);
    const failed = run.samples.filter((s) => !s.ok).length;
    const rate = run.samples.length / run.seconds;
    console.log(
      `events${label}: ${int(run.samples.length)} POSTs (${int(replays.length)} replays) in ${fmt(run.seconds, 2)} s: ${int(rate)} events/s, ` +
        `p50 ${fmt(all.p50, 2)} ms, p95 ${fmt(all.p95, 2)} ms, p99 ${fmt(all.p99, 2)} ms, max ${fmt(all.max, 0)} ms; ${failed} failed` +
        (failed ? ` ${JSON.stringify(run.errors)}` : ''),
    );
    const replayLatency = latencySummary(replays.map((s) => s.ms));
    console.log(`  replays alone: p50 ${fmt(replayLatency.p50, 2)} ms, p99 ${fmt(replayLatency.p99, 2)} ms`);
    console.log(`  CPU: ${cpuText(cpu, run.samples.length, 'event')}`);
    // CPU per operation is the steadiest comparison on a shared machine: what one event costs all processes together
    // against what one raw write costs Azurite and its client.
    const cpuPer = (c, ops) => (1000 * Object.values(c.used).reduce((a, b) => a + b, 0)) / ops;
    const eventCpu = cpuPer(cpu, run.samples.length);
    const writeCpu = cpuPer(rawCpu, N.baselineWrites);
    console.log(
      `  → an event costs ${fmt(eventCpu, 2)} ms of CPU in all, a raw write ${fmt(writeCpu, 2)} ms: ` +
        `CPU-bound on the same cores, events/s can reach ${fmt((100 * writeCpu) / eventCpu, 0)}% of raw writes/s`,
    );
    if (requests) {
      const total = Object.values(requests).reduce((a, b) => a + b, 0);
      const perEvent = (n) => fmt(n / run.samples.length, 2);
      console.log(
        `  devhost's storage requests per event: ${perEvent(total)} — ` +
          Object.entries(requests)
            .filter(([, n]) => n / run.samples.length >= 0.005)
            .map(([key, n]) => `${key} ${perEvent(n)}`)
            .join(', '),
      );
    }
    check(`every event${label} was answered 201 and every replay 200 duplicate (${failed} not)`, failed === 0);
    const storagePerEvent = requests ? Object.values(requests).reduce((a, b) => a + b, 0) / run.samples.length : undefined;
    return { rate, all, cpu, eventCpu, storagePerEvent };
  }
  if (timed.length > 1)
    console.log(
      `scale-out: ${int(timed[1].rate)} events/s on ${INSTANCES} instances ÷ ${int(timed[0].rate)} on one = ` +
        `${fmt(timed[1].rate / timed[0].rate, 2)}× (the same Azurite and the same 2 cores)`,
    );
  // The rate cannot grow on cores the instances share; what an event costs on two against one says whether it would.
  if (timed.length > 1 && timed[0].storagePerEvent !== undefined)
    console.log(
      `  per event on ${INSTANCES} instances ÷ on one: storage requests ${fmt(timed[1].storagePerEvent, 2)} ÷ ` +
        `${fmt(timed[0].storagePerEvent, 2)} = ${fmt(timed[1].storagePerEvent / timed[0].storagePerEvent, 2)}×, CPU in all ` +
        `${fmt(timed[1].eventCpu, 2)} ÷ ${fmt(timed[0].eventCpu, 2)} ms = ${fmt(timed[1].eventCpu / timed[0].eventCpu, 2)}×`,
    );

  // The counts must be exactly what was sent: read through the API, as a report reader would.
  const lastDay = isoDay(Date.now());
  const reader = await apiClient(tenant, 'rex@contoso.test', ['Reports.Read']);
  const report = await reader(`/api/reports/activity?from=${firstDay}&to=${lastDay}`);
  const got = report.totals;
  const want = {
    seen: expected.seen,
    // A click counts once per person and message (core/reportMath): clicks are distinct clickers.
    clicks: people.clicked.size,
    dismissed: expected.dismissed,
    viewers: people.seen.size,
    clickers: people.clicked.size,
    dismissers: people.dismissed.size,
  };
  // People are counted per day: summed over two days (a run across midnight UTC) a person can count twice.
  const oneDay = firstDay === lastDay;
  const fields = oneDay ? Object.keys(want) : ['seen', 'clicks', 'dismissed'];
  const mismatched = fields.filter((f) => got[f] !== want[f]);
  const verdictText = mismatched.length === 0 ? 'OK' : 'MISMATCH';
  console.log(
    `activity report ${firstDay}${oneDay ? '' : `..${lastDay}`}: ${verdictText} — ` +
      fields.map((f) => `${f} ${got[f]}${got[f] === want[f] ? '' : ` (sent ${want[f]})`}`).join(', ') +
      `; ${report.messages} messages` +
      (oneDay ? '' : ' (people not compared: the run crossed midnight UTC)'),
  );
  check(
    `activity report totals equal the events recorded (warm-up + timed, replays excluded): ${verdictText}`,
    mismatched.length === 0 && report.messages === N.active,
  );
  targets.push([
    `events/s vs raw createEntity (${int(raw.perSecond)}/s)`,
    `${int(rate)} (${fmt((100 * rate) / raw.perSecond, 0)}%)`,
    `≥ ${fmt(100 * TARGETS.shareOfRaw, 0)}%`,
    rate >= TARGETS.shareOfRaw * raw.perSecond,
  ]);
  if (timed.length > 1)
    targets.push([
      `events/s on ${INSTANCES} instances ÷ on one (no target)`,
      `${int(timed[1].rate)} ÷ ${int(timed[0].rate)} = ${fmt(timed[1].rate / timed[0].rate, 2)}×`,
      '–',
      undefined,
    ]);
  return { rate, raw, all, cpu };
}

// ---- 2. the 100k-row export ---------------------------------------------------------------------------------------

/** Downloads a link, counting bytes and lines as they stream by (the file is never held whole). */
async function download(url) {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`download: ${res.status}`);
  let bytes = 0;
  let lines = 0;
  let head = '';
  for await (const chunk of res.body) {
    if (head.length < 400) head += Buffer.from(chunk).toString('utf8', 0, Math.min(chunk.length, 400));
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { bytes, lines, head, contentType: res.headers.get('content-type') };
}

/** Asks for an export, follows the 303 to the file, and samples devhost's and Azurite's RSS meanwhile. */
async function timedExport(http, bearer, path, pids) {
  const memory = rssSampler({ devhost: pids.devhost, azurite: pids.azurite }, 100);
  const meter = cpuMeter(pids);
  const t0 = performance.now();
  const res = await http.send('GET', path, { headers: { authorization: bearer } });
  const answered = performance.now();
  if (res.status !== 303) throw new Error(`${path}: ${res.status} ${res.body.slice(0, 300)}`);
  const link = JSON.parse(res.body);
  check(`${path}: the 303's Location is the body's url`, res.headers.location === link.url);
  const file = await download(link.url);
  const done = performance.now();
  const cpu = meter.since();
  const rss = memory.stop();
  return { link, file, exportMs: answered - t0, downloadMs: done - answered, rss, cpu };
}

function printExport(name, r, expectedRows) {
  const growth = r.rss.devhost.peak - r.rss.devhost.start;
  console.log(
    `${name}: 303 after ${fmt(r.exportMs / SECOND, 2)} s (the file is written before the answer), ${int(r.link.rows)} rows, ` +
      `${fmt(r.file.bytes / 1024 / 1024, 1)} MB, downloaded in ${fmt(r.downloadMs / SECOND, 2)} s (${int(r.file.lines)} lines)`,
  );
  console.log(
    `  devhost RSS ${fmt(r.rss.devhost.start, 0)} MB before → peak ${fmt(r.rss.devhost.peak, 0)} MB (+${fmt(growth, 0)} MB; ` +
      `lifetime high-water mark ${fmt(r.rss.devhost.hwm, 0)} MB); Azurite ${fmt(r.rss.azurite.start, 0)} → ${fmt(r.rss.azurite.peak, 0)} MB`,
  );
  console.log(`  CPU: ${cpuText(r.cpu, r.link.rows / 1000, '1,000 rows')}`);
  check(`${name}: ${int(expectedRows)} rows expected, the API says ${int(r.link.rows)}`, r.link.rows === expectedRows);
  check(
    `${name}: the file has a header and one line per row (${int(r.file.lines)} lines), CSV with a BOM`,
    r.file.lines === expectedRows + 1 && r.file.head.startsWith('\ufeff') && r.file.contentType === 'text/csv; charset=utf-8',
  );
  return growth;
}

async function recipientsExport(pids, seedFlag) {
  console.log(`\n== 2. Export: recipients.csv of an inbox message ${int(N.rows)} people acted on ==`);
  const tenant = TENANT.export;
  const { messageStore } = await load('adapters/stores/messageStore.js');
  const { count } = await load('adapters/stores/counterStore.js');
  const { settled } = await load('adapters/stores/reportStore.js');
  const message = await messageStore().create(
    tenant,
    {
      name: 'Reports bench export',
      objective: 'security',
      location: 'spotlight',
      template: { kind: 'custom' },
      content: { title: 'Lock your screen', body: 'Press Win+L when you step away from your desk.' },
    },
    { id: 'bench', upn: 'bench@contoso.test', name: 'Reports bench' },
  );
  // Each person saw it, on one of the last 14 days; every tenth also clicked. The app's counterStore counts them
  // in group commits. Azurite's inserts cost O(rows in the partition) unless lib/azurite-seed-lookup.mjs is on.
  const t = performance.now();
  const today = Date.now();
  writeFileSync(seedFlag, '');
  await sleep(200);
  const clicked = new Set();
  await pool(N.rows, 2 * GROUP_COMMIT, async (i) => {
    const userId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const at = today - (i % 14) * DAY;
    const day = isoDay(at);
    const seen = eventContribution('seen', 'inbox', day, undefined);
    await count(tenant, message.id, { kind: 'event', userId, eventKey: `seen-${i}`, type: 'seen', at, contribution: seen.contribution });
    if (i % 10 === 0) {
      const { contribution } = eventContribution('clicked', 'inbox', day, undefined);
      await count(tenant, message.id, { kind: 'event', userId, eventKey: `click-${i}`, type: 'clicked', at: at + 1000, contribution });
      clicked.add(userId);
    }
  });
  await settled(tenant);
  rmSync(seedFlag, { force: true });
  await sleep(200);
  const markers = N.rows + clicked.size;
  console.log(
    `seeding: ${int(markers)} events of ${int(N.rows)} people counted by counterStore in ${fmt((performance.now() - t) / SECOND, 1)} s ` +
      `(${int(markers / ((performance.now() - t) / SECOND))}/s; Azurite's RowKey-first lookup on while seeding, off from here)`,
  );

  const reader = `Bearer ${await idp.token({ tenant, user: 'rex@contoso.test', roles: ['Reports.Read'], audience: AUDIENCE, expiresIn: '4h' })}`;
  const http = httpClient(host.url);
  onCleanup(async () => http.close());
  const phaseDone = await quietPhase('export (recipients.csv)');
  profileWindow('export');
  const r = await timedExport(http, reader, `/api/messages/${message.id}/recipients.csv`, pids);
  profileWindow('export');
  phaseDone();
  const growth = printExport('recipients.csv', r, N.rows);
  targets.push([
    `recipients.csv, ${int(N.rows)} rows: devhost RSS growth`,
    `+${fmt(growth, 0)} MB`,
    `≤ ${TARGETS.rssGrowthMb} MB`,
    growth <= TARGETS.rssGrowthMb,
  ]);
  targets.push([`recipients.csv, ${int(N.rows)} rows: time to the 303 (no target)`, `${fmt(r.exportMs / SECOND, 1)} s`, '–', undefined]);
}

// ---- 3. the 90-day activity query ----------------------------------------------------------------------------------

async function activityQuery(pids, messages) {
  console.log(`\n== 3. Query: GET /api/reports/activity over ${N.days} days of ${int(messages)} messages ==`);
  const tenant = TENANT.query(messages);
  const { messageStore } = await load('adapters/stores/messageStore.js');
  const { count, expectCount } = await load('adapters/stores/counterStore.js');
  const { settled } = await load('adapters/stores/reportStore.js');
  const to = isoDay(Date.now());
  const from = isoDay(Date.now() - (N.days - 1) * DAY);
  const days = daysBetween(from, to);
  const locations = ['spotlight', 'notificationCenter', 'taskbar'];
  const author = { id: 'bench', upn: 'bench@contoso.test', name: 'Reports bench' };

  let t = performance.now();
  const ids = new Array(messages);
  await pool(messages, QUERY_SEED_CONCURRENCY, async (k) => {
    const m = await messageStore().create(
      tenant,
      {
        name: `Report bench ${String(k).padStart(4, '0')}`,
        objective: OBJECTIVES[k % OBJECTIVES.length],
        location: locations[k % locations.length],
        template: { kind: 'custom' },
        content: { title: `Message ${k}`, body: 'Body' },
        audience: { groups: [GROUP] },
      },
      author,
    );
    ids[k] = m.id;
  });
  const created = (performance.now() - t) / SECOND;
  // Counted in key order: Azurite keeps one sorted LokiJS index per key over the whole `counters` table and
  // splices every new row into it (profile of a 3,000-message seeding: adaptiveBinaryIndexInsert 36 % of its CPU,
  // the splice moving every later entry), so rows arriving in key order land at the end and cost it O(1) instead
  // of O(rows in the table). Partitions (message ids) ascend through the pool; so do the marker row keys, the
  // person's id leading with the size and the message's place. Azure's own index has no such cost.
  ids.sort();
  const place = (k) => String(k).padStart(6, '0');

  // One event per message and day, by one of 30 people per message: seen, every fourth day a click, every fifth a
  // dismissal; what each adds (new people per day and per message) is what core/reportMath says it adds.
  t = performance.now();
  const expected = { seen: 0, clicks: 0, dismissed: 0, viewers: 0, clickers: 0, dismissers: 0 };
  const TALLY = { seen: 'seen', clicked: 'clicks', dismissed: 'dismissed' };
  const PEOPLE = { seen: 'viewers', clicked: 'clickers', dismissed: 'dismissers' };
  let events = 0;
  profileWindow('seed');
  await pool(messages, QUERY_SEED_CONCURRENCY, async (k) => {
    const active = new Map();
    const items = days.map((day, j) => {
      const type = j % 5 === 4 ? 'dismissed' : j % 4 === 3 ? 'clicked' : 'seen';
      const user = `q${place(messages)}-${place(k)}-${String((j * 7 + k) % 30).padStart(2, '0')}`;
      const { contribution, after } = eventContribution(type, 'inbox', day, active.get(user));
      active.set(user, after);
      expected[TALLY[type]] += contribution.tally[TALLY[type]] ?? 0;
      expected[PEOPLE[type]] += contribution.dayPeople[PEOPLE[type]] ?? 0;
      return { kind: 'event', userId: user, eventKey: `${day}-${type}`, type, at: Date.parse(`${day}T12:00:00Z`), contribution };
    });
    // All of a message's events at once, announced first as the inbox's events are (expectCount): one commit
    // carries the 90 markers, the month rows and the totals, so the counter rows are created once and never
    // rewritten (an update is a remove and an insert in Azurite's LokiJS, O(rows in the table) each).
    const arriving = items.map(() => expectCount(tenant, ids[k]));
    await Promise.all(
      items.map((item, i) => {
        const counted = count(tenant, ids[k], item);
        arriving[i]();
        return counted;
      }),
    );
    events += days.length;
  });
  await settled(tenant);
  profileWindow('seed');
  console.log(
    `seeding: ${int(messages)} messages created by messageStore in ${fmt(created, 1)} s; ${int(events)} events counted by ` +
      `counterStore and the report copies written in ${fmt((performance.now() - t) / SECOND, 1)} s`,
  );

  const reader = `Bearer ${await idp.token({ tenant, user: 'rex@contoso.test', roles: ['Reports.Read'], audience: AUDIENCE, expiresIn: '4h' })}`;
  const http = httpClient(host.url);
  onCleanup(async () => http.close());
  const get = async (query) => {
    const t0 = performance.now();
    const res = await http.send('GET', `/api/reports/activity?${query}`, { headers: { authorization: reader } });
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`activity ${query}: ${res.status} ${res.body.slice(0, 300)}`);
    return { ms, body: res.body };
  };
  const series = async (query, warmup, requests) => {
    for (let i = 0; i < warmup; i++) await get(query);
    const ms = [];
    let last;
    for (let i = 0; i < requests; i++) {
      last = await get(query);
      ms.push(last.ms);
    }
    return { latency: latencySummary(ms), body: JSON.parse(last.body), bytes: Buffer.byteLength(last.body) };
  };
  // The report copies read straight from Azurite (what every request read before the rollups), for comparison;
  // at the first size only (at 10,000 messages one read is 128 MB).
  const first = messages === QUERY_SIZES[0];
  const reports = TableClient.fromConnectionString(azurite.connectionString, 'reports', { allowInsecureConnection: true });
  const months = [...new Set(days.map((d) => d.slice(0, 7)))];
  const select = ['RowKey', 'totals', ...months.map((m) => `m${m.replace('-', '')}`)];
  const rawRead = async () => {
    const t0 = performance.now();
    let rows = 0;
    let chars = 0;
    const filter = odata`PartitionKey eq ${tenant} and RowKey lt '~'`;
    for await (const e of reports.listEntities({ queryOptions: { filter, select } })) {
      rows++;
      for (const c of select.slice(1)) chars += typeof e[c] === 'string' ? e[c].length : 0;
    }
    return { ms: performance.now() - t0, rows, chars };
  };

  // The report's own rows straight from Azurite, both ways the app has read them — the months' rollups by a
  // RowKey range and the count `~n` by a point read (until 2026-12-07 23:40), or one range from the first
  // month through `~n` (since) — and a point read each. Same data, same run: what each costs Azurite per
  // report, at each size.
  const rollupRange = (to) => odata`PartitionKey eq ${tenant} and RowKey ge ${`~m|${months[0]}`} and RowKey le ${to}`;
  const drain = async (filter) => {
    for await (const _ of reports.listEntities({ queryOptions: { filter } }));
  };
  const rollupReads = [
    [
      'months by range, then ~n by point read',
      () => Promise.all([drain(rollupRange(`~m|${months.at(-1)}`)), reports.getEntity(tenant, '~n')]),
    ],
    ['one range through ~n', () => drain(rollupRange('~n'))],
    ['months and ~n by point reads', () => Promise.all([...months.map((m) => `~m|${m}`), '~n'].map((k) => reports.getEntity(tenant, k)))],
  ];

  const range = `from=${from}&to=${to}`;
  const phaseDone = await quietPhase('query (activity report)');
  const raw = [];
  for (let i = 0; first && i < 5; i++) await rawRead();
  for (let i = 0; first && i < N.filteredRequests; i++) raw.push(await rawRead());
  const rollupCosts = [];
  for (const [name, read] of rollupReads) {
    for (let i = 0; i < N.warmup; i++) await read();
    const ms = [];
    const readMeter = cpuMeter({ azurite: pids.azurite });
    for (let i = 0; i < N.requests; i++) {
      const t0 = performance.now();
      await read();
      ms.push(performance.now() - t0);
    }
    rollupCosts.push([name, latencySummary(ms), (readMeter.since().used.azurite * SECOND) / N.requests]);
  }
  profileWindow('query');
  const meter = cpuMeter(pids);
  const full = await series(range, N.warmup, N.requests);
  const cpu = meter.since();
  profileWindow('query');
  const objective = 'security';
  // Beyond the first size a filter allows over 200 messages, which reads the copies' partition (128 MB at 10,000):
  // a few requests show it.
  const filtered = await series(`${range}&objective=${objective}`, first ? Math.min(5, N.warmup) : 1, first ? N.filteredRequests : 5);
  phaseDone();

  const row = (name, s, extra = '') =>
    console.log(`  ${pad(name, 52)}${[s.p50, s.p95, s.p99, s.max].map((x) => lpad(fmt(x, 1), 9)).join('')}${lpad(s.n, 6)}  ${extra}`);
  console.log(
    `  ${pad('latency, ms (sequential requests)', 52)}${['p50', 'p95', 'p99', 'max'].map((h) => lpad(h, 9)).join('')}${lpad('n', 6)}`,
  );
  row(`GET /api/reports/activity, ${N.days} days, all messages`, full.latency, `${fmt(full.bytes / 1024, 0)} KB answer`);
  row(`  … &objective=${objective}`, filtered.latency, `${filtered.body.messages} messages`);
  if (first)
    row(
      `raw: the report copies from Azurite (data-tables)`,
      latencySummary(raw.map((r) => r.ms)),
      `${raw[0].rows} rows, ${fmt(raw[0].chars / 1024 / 1024, 1)} M characters of counts JSON`,
    );
  for (const [name, latency, azuriteMs] of rollupCosts)
    row(`raw: the rollups, ${name}`, latency, `Azurite ${fmt(azuriteMs, 2)} ms of CPU per report`);
  console.log(`  CPU over the ${N.requests} timed requests: ${cpuText(cpu, N.requests, 'request')}`);

  const got = full.body.totals;
  const mismatched = Object.keys(expected).filter((f) => got[f] !== expected[f]);
  console.log(
    `  answer: ${full.body.messages} messages, ${full.body.days.length} days; totals ${mismatched.length === 0 ? 'OK' : 'MISMATCH'} — ` +
      Object.keys(expected)
        .map((f) => `${f} ${got[f]}${got[f] === expected[f] ? '' : ` (counted ${expected[f]})`}`)
        .join(', '),
  );
  check(
    `activity report over ${N.days} days: ${messages} messages, ${N.days} days, totals equal what was counted`,
    full.body.messages === messages && full.body.days.length === N.days && mismatched.length === 0,
  );
  const withObjective = Array.from({ length: messages }, (_, k) => OBJECTIVES[k % OBJECTIVES.length]).filter((o) => o === objective).length;
  check(`objective=${objective} reports the ${withObjective} messages with it`, filtered.body.messages === withObjective);
  queryP99.push([messages, full.latency.p99]);
  targets.push([
    `activity, ${N.days} days × ${int(messages)} messages: p99`,
    `${fmt(full.latency.p99, 0)} ms`,
    `≤ ${TARGETS.p99Ms} ms`,
    full.latency.p99 <= TARGETS.p99Ms,
  ]);
  targets.push([`  … with objective=${objective}: p99 (no target)`, `${fmt(filtered.latency.p99, 0)} ms`, '–', undefined]);

  // The same data as a CSV: one row per message and day with counts (at the first size).
  if (!first) return;
  const csvDone = await quietPhase('export (activity.csv)');
  const csv = await timedExport(http, reader, `/api/reports/activity.csv?${range}`, pids);
  csvDone();
  const growth = printExport('activity.csv', csv, messages * N.days);
  targets.push([
    `activity.csv, ${int(messages * N.days)} rows: devhost RSS growth (no target)`,
    `+${fmt(growth, 0)} MB in ${fmt(csv.exportMs / SECOND, 1)} s`,
    '–',
    undefined,
  ]);
}

async function main() {
  const cores = availableParallelism();
  console.log(
    `Herald reports benchmark — app: repo root on devhost, in-memory Azurite, real clock, ${cores} cores; parts: ${[...PARTS].join(', ')}` +
      (PROFILE_DIR ? `; CPU profiles of the ${PROFILED} phase in ${PROFILE_DIR}` : ''),
  );
  const flagDir = mkdtempSync(join(tmpdir(), 'herald-reports-bench-'));
  onCleanup(async () => rmSync(flagDir, { recursive: true, force: true }));
  const seedFlag = join(flagDir, 'seeding');
  const countFlag = join(flagDir, 'counting');
  const pids = await startProcesses(seedFlag, countFlag);
  const t0 = performance.now();
  if (PARTS.has('ingest')) await ingestion(pids, countFlag);
  // The export before the query's seeding: Azurite filters every row of `counters` for each page of the export,
  // so the query's 90,000 markers would only add emulator cost to it.
  if (PARTS.has('export')) await recipientsExport(pids, seedFlag);
  if (PARTS.has('query')) for (const size of QUERY_SIZES) await activityQuery(pids, size);
  if (queryP99.length > 1) {
    const [[fewest, base], [most, p99]] = [queryP99[0], queryP99[queryP99.length - 1]];
    targets.push([
      `activity p99, ${int(most)} messages ÷ ${int(fewest)}: flat`,
      `${fmt(p99 / base, 2)}×`,
      `≤ ${FLAT_RATIO}×`,
      p99 / base <= FLAT_RATIO,
    ]);
  }

  console.log(`\nTargets (run took ${fmt((performance.now() - t0) / SECOND, 0)} s after start-up)`);
  for (const [what, value, target, ok] of targets)
    console.log(`  ${pad(what, 58)}${lpad(value, 22)}   ${pad(target, 10)}${ok === undefined ? '' : verdict(ok)}`);
  console.log('\nMachine');
  for (const line of machine) console.log(`  ${line}`);
}

const failed = await runHeraldBench(main, {
  host: () => host,
  started: () => (azurite ? [...startedPids, ...azuritePids(azurite.connectionString)].filter(Boolean) : []),
  report: () => {
    if (!checks.length) return;
    console.log('\nChecks');
    for (const [what, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  },
});
if (PROFILE_DIR && !failed) await printProfiles(root, PROFILE_DIR, [azuritePid, host?.process.pid], ` of the ${PROFILED} phase`);
process.exit(failed ? 1 : 0);
