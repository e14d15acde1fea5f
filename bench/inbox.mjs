#!/usr/bin/env node
// Benchmark (not a test): GET /api/inbox — what a Windows device shows now — on the Herald app (the repo root)
// hosted by devhost over an in-memory Azurite the bench starts, on the real clock. The stand-ins (Graph,
// the identity provider) run in a devhost of their own (lib/providers.mjs), as on Azure they share neither
// the Functions host's heap nor its thread; their CPU is printed apart ("providers"). In one run:
//   1. a --users (100,000) organisation generated in the Graph stand-in, --messages (50) messages made
//      Active through the API across Spotlight, Notification Center and Taskbar with group and department
//      audiences, interaction rows (seen / dismissed / clicked, written by the app's own interactionStore)
//      for --interaction-share of the sampled users, and tokens for a few thousand of those users;
//   2. waits while another benchmark (bench/fanout.mjs; --wait-for) runs, then prints the load average;
//   3. same-run baselines at the same pace: GET /api/health through devhost (the host's floor) and the one
//      Table read the inbox does per request (the user's interactions partition range), straight to Azurite;
//   4. GET /api/inbox paced at --rate (500) requests/s for --duration (30) s after --warmup (5) s, over random
//      sampled users and surfaces; a --cold-share of the requests come from users the app has not seen yet
//      (their directory profile and groups are fetched from Graph), by default the share a real tenant has
//      at that rate: users / (rate × the member cache's 15 minutes).
// Target: p99 ≤ 25 ms. Prints PASS/MISS; exits 0 unless something crashed. Run: `npm run bench:inbox`.
// --instances 2: two Herald instances over the one Azurite and the one providers' host, each offered --rate
// (a user always served by the same one, so each sees the cold share); prints the scale-out ratio.
// --soak <minutes> (`npm run bench:inbox-soak`: 10): after the warm-up, the timed load for that long with
// inbox events (seen, dismissed, clicked) posted at --event-rate (50/s) through POST /api/inbox/{id}/events,
// p99 and devhost's RSS printed each minute (lib/inbox-soak.mjs); RSS must not grow > 10 % after minute 1.
//
// Options: --rate <n/s> (500)  --duration <s> (30)  --warmup <s> (5)  --baseline-duration <s> (15)
//          --users <n> (100000)  --messages <n> (50)  --warm-users <n> (1000)  --cold-share <0..1>
//          --interaction-share <0..1> (0.1)  --quiet-wait <s> (1800)
//          --instances <1|2> (1)  --soak <minutes>  --event-rate <n/s> (50)
//          --wait-for <programs, comma-separated> (bench/fanout.mjs): scripts or commands that must not run while measuring
//          --cpu-prof <dir>: CPU-profile devhost and Azurite during the timed inbox phase only
//          (lib/profile-window.mjs) and print each one's hottest packages and functions.
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { odata, TableClient } from '@azure/data-tables';
import { onCleanup } from '../packages/devhost/bench/lib/cleanup.mjs';
import { AUDIENCE, heraldSettings, loadBuilt, printProfiles, runHeraldBench } from './lib/herald.mjs';
import { httpGetter, latencySummary, paced } from './lib/paced.mjs';
import { azuritePids, cpuMeter } from '../packages/devhost/bench/lib/proc.mjs';
import { providersOf, startProviders } from './lib/providers.mjs';
import { loadText, running, waitForQuiet } from './lib/quiet.mjs';
import { soak } from './lib/inbox-soak.mjs';
import { stopAtCleanup } from './lib/host-calls.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: opts } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    duration: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    'baseline-duration': { type: 'string', default: '15' },
    users: { type: 'string', default: '100000' },
    messages: { type: 'string', default: '50' },
    'warm-users': { type: 'string', default: '1000' },
    'cold-share': { type: 'string' },
    'interaction-share': { type: 'string', default: '0.1' },
    'quiet-wait': { type: 'string', default: '1800' },
    'wait-for': { type: 'string', default: 'bench/fanout.mjs' },
    'cpu-prof': { type: 'string' },
    instances: { type: 'string', default: '1' },
    soak: { type: 'string' },
    'event-rate': { type: 'string', default: '50' },
  },
});
const N = {
  rate: Number(opts.rate),
  duration: Number(opts.duration),
  warmup: Number(opts.warmup),
  baselineDuration: Number(opts['baseline-duration']),
  users: Number(opts.users),
  messages: Number(opts.messages),
  warmUsers: Number(opts['warm-users']),
  interactionShare: Number(opts['interaction-share']),
  quietWaitMs: Number(opts['quiet-wait']) * 1000,
  instances: Number(opts.instances),
  soakMinutes: opts.soak === undefined ? 0 : Number(opts.soak),
  eventRate: Number(opts['event-rate']),
};
if (!(N.instances === 1 || N.instances === 2)) throw new Error('--instances must be 1 or 2');
if (opts.soak !== undefined && !(N.soakMinutes >= 2)) throw new Error('--soak must be a number of minutes ≥ 2');
if (!(N.eventRate > 0)) throw new Error('--event-rate must be a number > 0');
for (const name of ['rate', 'duration', 'baselineDuration', 'users', 'messages', 'warmUsers'])
  if (!(N[name] > 0)) throw new Error(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a number > 0`);
if (!(N.interactionShare >= 0 && N.interactionShare <= 1)) throw new Error('--interaction-share must be between 0 and 1');
/** Programs (scripts or commands, matched as lib/quiet.mjs `running` does) that must not run while the bench measures. */
const OTHER_BENCHMARKS = opts['wait-for']
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
const PROFILE_DIR = opts['cpu-prof'] ? resolve(opts['cpu-prof']) : undefined;

const TARGET_P99_MS = 25;
const TENANT = '1ab0c0de-1111-4111-8111-111111111111';
const SURFACES = ['spotlight', 'notificationCenter', 'taskbar'];
const ORG_SEED = 1;
const SECOND = 1000;
const DAY = 86_400_000;
/** Messages start this long after the bench creates them: time to create, submit and approve all of them. */
const START_LEAD_MS = 20 * SECOND;
const API_CONCURRENCY = 8;
const TOKEN_CONCURRENCY = 16;

const load = (file) => loadBuilt(root, file);
const settings = await heraldSettings(root, 'herald-inbox-bench');
const { generateSampleOrg, startAzurite, startHost } = await import('@herald/devhost/testing');
const { MEMBER_TTL_MS } = await load('adapters/runtime/inboxCache.js');

/** A user who asks for the inbox this often is seen cold (not in the member cache) once per cache lifetime. */
const steadyColdShare = Math.min(1, N.users / (N.rate * (MEMBER_TTL_MS / SECOND)));
const COLD_SHARE = opts['cold-share'] === undefined ? steadyColdShare : Number(opts['cold-share']);
/** The inbox phases' rate: --rate for each instance (a user is always served by the same one). */
const LOAD = N.rate * N.instances;
if (!(COLD_SHARE >= 0 && COLD_SHARE <= 1)) throw new Error('--cold-share must be between 0 and 1');

const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

/** A deterministic PRNG (mulberry32), so every run asks for the same users in the same order. */
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

/** CPU over a phase per process: % of one core, ms per request, % of the time waiting for a core. */
const cpuFigures = (cpu, requests) =>
  Object.fromEntries(
    Object.entries(cpu.used).map(([name, s]) => [
      name,
      { pct: (100 * s) / cpu.wall, msPerOp: (1000 * s) / requests, waitPct: (100 * cpu.waited[name]) / cpu.wall },
    ]),
  );
const cpuText = (fig) =>
  Object.entries(fig)
    .map(([name, f]) => `${name} ${fmt(f.pct, 0)}% (${fmt(f.msPerOp, 2)} ms/req)${f.waitPct >= 1 ? ` +${fmt(f.waitPct, 0)}% waiting` : ''}`)
    .join(', ');

/**
 * The messages: one per surface in turn, audiences drawn from the generated organisation's groups (department,
 * office, company, Microsoft 365, and the nested All Staff) and departments, some both (AND), so every request
 * decides group and department membership for every due message.
 */
function messageDrafts(org, count, start) {
  const groups = org.groups.filter((g) => !g.displayName.startsWith('Department - ')).map((g) => g.id);
  const departments = [...new Set(org.users.map((u) => u.department).filter(Boolean))].sort();
  const departmentGroup = (d) => org.groups.find((g) => g.displayName === `Department - ${d}`).id;
  return Array.from({ length: count }, (_, k) => {
    const department = departments[k % departments.length];
    const audience = [
      { departments: [department] },
      { groups: [groups[k % groups.length]] },
      { groups: [groups[k % groups.length]], departments: [department, departments[(k + 3) % departments.length]] },
      { groups: [departmentGroup(department), groups[(k + 5) % groups.length]] },
    ][k % 4];
    return {
      name: `Inbox bench ${k}`,
      objective: 'security',
      location: SURFACES[k % SURFACES.length],
      template: { kind: 'custom' },
      content: {
        title: `Lock your screen (${k})`,
        body: 'Press Win+L when you step away from your desk.',
        ...(k % 2 === 0 ? { callToAction: { label: 'Learn more', url: `https://intranet.contoso.test/security/${k}` } } : {}),
      },
      audience,
      schedule: { start: new Date(start).toISOString(), end: new Date(start + 30 * DAY).toISOString(), frequency: 'daily' },
    };
  });
}

let azurite;
let host;
const startedPids = [];
let azuritePid;

async function main() {
  const cores = availableParallelism();
  console.log(
    `Herald inbox benchmark — app: repo root on devhost, in-memory Azurite, real clock, ${cores} cores` +
      (PROFILE_DIR ? `, CPU profiles of the timed inbox phase in ${PROFILE_DIR}` : ''),
  );

  const preload = join(here, 'lib/profile-window.mjs');
  const profileEnv = (name) =>
    PROFILE_DIR
      ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(), BENCH_CPU_PROF_DIR: join(PROFILE_DIR, name) }
      : {};
  if (PROFILE_DIR) for (const d of ['devhost', 'azurite']) mkdirSync(join(PROFILE_DIR, d), { recursive: true });
  const savedEnv = { ...process.env };
  Object.assign(process.env, profileEnv('azurite')); // startAzurite spawns with this process's environment
  azurite = await startAzurite();
  for (const key of ['NODE_OPTIONS', 'BENCH_CPU_PROF_DIR'])
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  onCleanup(() => azurite.stop());
  azuritePid = azuritePids(azurite.connectionString)[0];
  startedPids.push(azuritePid);

  // The stand-ins (Graph with its 100,000-user directory, the identity provider) in a devhost of their own: on
  // Azure they share neither the Functions host's heap nor its thread.
  const providers = await startProviders(startHost, azurite.connectionString);
  startedPids.push(providers.process.pid);
  onCleanup(() => providers.stop());
  // The settings test/integration/herald/support.ts `startHerald` gives Herald, those naming a provider
  // pointed at the shared ones (and no more: a push setting would make /api/health, the host-floor baseline,
  // parse the push key files on every call).
  const { freePort } = await import('@herald/devhost/testing');
  const port = await freePort();
  const external = providersOf(root, providers);
  const heraldOwn = settings(`http://localhost:${port}`);
  const providerSettings = Object.fromEntries(Object.keys(heraldOwn).flatMap((name) => (name in external ? [[name, external[name]]] : [])));
  const boot = async (k) => {
    const h = await startHost({
      ...(k === 0 ? { port } : {}),
      app: root,
      storage: azurite.connectionString,
      startTimeoutMs: 60_000,
      env: {
        // The first instance's address stands for the app's one public address (click links name it).
        ...heraldOwn,
        ...providerSettings,
        ...(k === 0 ? profileEnv('devhost') : {}),
      },
    });
    startedPids.push(h.process.pid);
    stopAtCleanup(h);
    return h;
  };
  const hosts = [];
  for (let k = 0; k < N.instances; k++) hosts.push(await boot(k));
  host = hosts[0];
  const pids = {
    ...Object.fromEntries(hosts.map((h, k) => [N.instances === 1 ? 'devhost' : `devhost ${'AB'[k]}`, h.process.pid])),
    providers: providers.process.pid,
    azurite: azuritePid,
    bench: process.pid,
  };

  const token = (user, roles = []) => providers.token({ tenant: TENANT, user, roles, audience: AUDIENCE, expiresIn: '4h' });
  const api = async (user, roles) => {
    const bearer = `Bearer ${await token(user, roles)}`;
    return async (path, body) => {
      const res = await host.fetch(path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: bearer, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    };
  };
  const checks = [];
  const check = (what, ok) => {
    checks.push([what, ok]);
    if (!ok) console.warn(`CHECK FAILED: ${what}`);
  };

  // ---- 1. the organisation --------------------------------------------------------------------------------
  let t = performance.now();
  const generated = await providers.fetch(`/devhost/graph/_control/tenants/${TENANT}/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ users: N.users, seed: ORG_SEED }),
  });
  if (generated.status !== 200) throw new Error(`generate: ${generated.status} ${await generated.text()}`);
  const summary = await generated.json();
  // The stand-in's generator is deterministic: the same call here gives the bench every UPN and group id.
  const org = generateSampleOrg({ tenantId: TENANT, users: N.users, seed: ORG_SEED });
  check(
    `the bench's copy of the organisation is the stand-in's (${N.users} users, same first users)`,
    JSON.stringify(summary.sampleUsers) === JSON.stringify(org.users.slice(0, 2).map((u) => u.userPrincipalName)),
  );
  console.log(`directory: ${org.users.length} users, ${org.groups.length} groups generated in ${fmt((performance.now() - t) / SECOND)} s`);

  // ---- 2. 50 Active messages, through the API -------------------------------------------------------------
  const writer = await api('ann@contoso.test', ['Messages.Write']);
  const approver = await api('abe@contoso.test', ['Messages.Approve']);
  t = performance.now();
  const start = Date.now() + START_LEAD_MS;
  const drafts = messageDrafts(org, N.messages, start);
  const ids = [];
  await pool(drafts.length, API_CONCURRENCY, async (k) => {
    const created = await writer('/api/messages', drafts[k]);
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.json)}`);
    const { id } = created.json;
    const submitted = await writer(`/api/messages/${id}/submit`, {});
    if (submitted.status !== 200) throw new Error(`submit ${id}: ${submitted.status} ${JSON.stringify(submitted.json)}`);
    const approved = await approver(`/api/messages/${id}/approve`, {});
    if (approved.status !== 200) throw new Error(`approve ${id}: ${approved.status} ${JSON.stringify(approved.json)}`);
    ids[k] = id;
  });
  console.log(
    `messages: ${ids.length} created, submitted and approved in ${fmt((performance.now() - t) / SECOND)} s; they start at ${new Date(start).toISOString()}`,
  );

  // ---- 3. sampled users and their tokens (while the messages wait for their start) --------------------------
  const random = rng(7);
  const eligible = org.users.filter((u) => u.userType !== 'Guest' && u.accountEnabled !== false);
  const seconds = N.soakMinutes ? N.soakMinutes * 60 : N.duration;
  const coldNeeded = Math.ceil(LOAD * seconds * COLD_SHARE * 1.05) + 10;
  const sampleSize = Math.min(eligible.length, N.warmUsers + coldNeeded);
  const sampled = [];
  for (const i of new Set(Array.from({ length: sampleSize * 3 }, () => Math.floor(random() * eligible.length))))
    if (sampled.length < sampleSize) sampled.push(eligible[i]);
  t = performance.now();
  const bearer = new Array(sampled.length);
  await pool(sampled.length, TOKEN_CONCURRENCY, async (i) => {
    bearer[i] = `Bearer ${await token(sampled[i].userPrincipalName)}`;
  });
  console.log(
    `tokens: ${sampled.length} sampled users (${N.warmUsers} warmed, ${sampled.length - N.warmUsers} kept cold) in ${fmt((performance.now() - t) / SECOND)} s`,
  );

  const active = async () => {
    const page = await writer(`/api/messages?status=Active&pageSize=100`);
    return page.json?.items?.length ?? 0;
  };
  const deadline = start + 120 * SECOND;
  while ((await active()) < N.messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  const activeCount = await active();
  check(`all ${N.messages} messages are Active`, activeCount === N.messages);
  console.log(`messages: ${activeCount} Active ${fmt((Date.now() - start) / SECOND)} s after their start`);

  // ---- 4. interactions, written by the app's own store (no HTTP: that would warm the users' caches) --------
  process.env.AzureWebJobsStorage = azurite.connectionString;
  const { recordInteraction } = await load('adapters/stores/interactionStore.js');
  // As many rows as a timed phase's sample gets, also in a soak (its sample is 20 times larger): Azurite scans
  // the whole table for every range query (see bench/README.md), and the soak's events add their own rows.
  const timedSample = Math.min(sampled.length, N.warmUsers + Math.ceil(LOAD * N.duration * COLD_SHARE * 1.05) + 10);
  const byUser = Math.round(timedSample * N.interactionShare);
  const kinds = ['seen', 'seen', 'dismissed', 'clicked'];
  t = performance.now();
  let events = 0;
  await pool(byUser, 16, async (n) => {
    const user = sampled[Math.floor((n * sampled.length) / byUser)];
    for (let e = 0; e < 1 + (n % 3); e++) {
      const type = kinds[(n + e) % kinds.length];
      await recordInteraction(TENANT, user.id, ids[(n * 7 + e * 13) % ids.length], {
        type,
        clientEventId: `bench-${n}-${e}`,
        at: Date.now(),
        channel: 'inbox',
        occurrence: 0,
      });
      events++;
    }
  });
  const interactions = TableClient.fromConnectionString(azurite.connectionString, 'interactions', { allowInsecureConnection: true });
  let rows = 0;
  for await (const _ of interactions.listEntities({ queryOptions: { select: ['RowKey'] } })) rows++;
  console.log(
    `interactions: ${events} events for ${byUser} users (${fmt(100 * N.interactionShare, 0)}% of a timed phase's sample) in ${fmt((performance.now() - t) / SECOND)} s; table holds ${rows} rows`,
  );

  // ---- 5. a quiet machine, checked again before each group of phases -----------------------------------------
  const disturbed = [];
  const waits = [];
  const quietNow = async (before) => {
    const quiet = await waitForQuiet(OTHER_BENCHMARKS, { maxWaitMs: N.quietWaitMs });
    waits.push({ before, ...quiet, load: loadText() });
    if (quiet.gaveUp) disturbed.push(`${before}: gave up waiting after ${fmt(quiet.waitedMs / SECOND, 0)} s for ${quiet.busy.join(', ')}`);
    console.log(
      `${before}: ${quiet.waitedMs >= 1000 ? `waited ${fmt(quiet.waitedMs / SECOND, 0)} s for another benchmark` : 'no other benchmark running'}, load average ${loadText()} (1/5/15 min)`,
    );
  };
  const phaseEnd = (name) => {
    const others = OTHER_BENCHMARKS.flatMap((p) => running(p));
    if (others.length) disturbed.push(`${name}: another benchmark (pid ${others.join(', ')}) was running at its end`);
  };

  const https = hosts.map((h) => httpGetter(h.url));
  onCleanup(async () => https.forEach((h) => h.close()));
  const [http] = https;
  const results = {};

  /** A paced phase with each process's CPU over it. */
  async function phase(name, seconds, op, rate = N.rate) {
    const meter = cpuMeter(pids);
    const run = await paced({ rate, seconds, op });
    const cpu = cpuFigures(meter.since(), run.samples.length);
    phaseEnd(name);
    const ok = run.samples.filter((s) => s.ok);
    results[name] = { ...run, all: latencySummary(ok.map((s) => s.ms)), lag: latencySummary(run.samples.map((s) => s.lag)), cpu };
    const r = results[name];
    console.log(
      `${name}: ${fmt(r.achieved, 0)}/s, p50 ${fmt(r.all.p50, 2)} ms, p99 ${fmt(r.all.p99, 2)} ms, ${r.errorCount} errors; CPU ${cpuText(cpu)}; load ${loadText()}`,
    );
    return r;
  }

  // ---- 6. baselines at the same pace -----------------------------------------------------------------------
  await quietNow('before the baselines');
  await phase('GET /api/health (host floor)', N.baselineDuration, async () => {
    const res = await http.get('/api/health');
    return { ok: res.status === 200, status: res.status };
  });
  // The inbox's one Table read: the user's interactions partition, RowKey between the first and last due id.
  const sortedIds = [...ids].sort();
  await phase('raw interactions query (Azurite)', N.baselineDuration, async () => {
    const user = sampled[Math.floor(random() * sampled.length)];
    const filter = odata`PartitionKey eq ${`${TENANT}:${user.id}`} and RowKey ge ${sortedIds[0]} and RowKey le ${sortedIds[sortedIds.length - 1]}`;
    for await (const _ of interactions.listEntities({ queryOptions: { filter } }));
    return { ok: true };
  });

  // ---- 7. inbox warm-up: the warm users' memberships are loaded, devhost's code is JIT-compiled ------------
  // Warm-up and timed phase run back to back, so no wait can outlast the member cache between them.
  await quietNow('before the inbox phases');
  const seen = new Set(); // users whose first inbox request has been answered: their next ones are warm
  const shownTo = new Map(); // user → ids of the messages last shown to them (what the soak's events are about)
  let shown = 0;
  let answered = 0;
  // A user is always served by the same instance (sticky), so each one's member cache sees the cold share.
  const inboxRequest = async (user, surface, tag) => {
    const res = await https[user % https.length].get(`/api/inbox?surface=${surface}`, { authorization: bearer[user] });
    const ok = res.status === 200;
    if (ok) {
      const body = JSON.parse(res.body);
      if (body.surface !== surface) return { ok: false, status: 'wrong surface' };
      shown += body.messages.length;
      answered++;
      seen.add(user);
      if (body.messages.length)
        shownTo.set(
          user,
          body.messages.map((m) => m.id),
        );
    }
    return { ok, status: res.status, tag };
  };
  const surfaceOf = () => SURFACES[Math.floor(random() * SURFACES.length)];
  await phase('inbox warm-up', N.warmup, (i) => inboxRequest(i % N.warmUsers, surfaceOf(), 'warm-up'), LOAD);
  check(
    `every warm user was answered during the warm-up (${seen.size} of ${N.warmUsers})`,
    seen.size === Math.min(N.warmUsers, N.warmup * LOAD),
  );
  check(`devices are shown messages (${fmt(shown / answered, 1)} a request on average)`, shown > 0);

  // ---- 8. the timed inbox phase ------------------------------------------------------------------------------
  let nextCold = N.warmUsers;
  const signalProfilers = () => {
    if (!PROFILE_DIR) return;
    for (const pid of [host.process.pid, azuritePid]) process.kill(pid, 'SIGUSR2');
  };
  const warmList = () => [...seen];
  let warm = warmList();
  let warmRefreshed = 0;
  shown = 0;
  answered = 0;
  signalProfilers();
  const nextRequest = (i) => {
    if (i - warmRefreshed >= LOAD) {
      warm = warmList();
      warmRefreshed = i;
    }
    if (random() < COLD_SHARE && nextCold < sampled.length) return inboxRequest(nextCold++, surfaceOf(), 'cold');
    return inboxRequest(warm[Math.floor(random() * warm.length)], surfaceOf(), 'warm');
  };
  if (N.soakMinutes) {
    const meter = cpuMeter(pids);
    const run = await soak({
      minutes: N.soakMinutes,
      rate: LOAD,
      eventRate: N.eventRate,
      targetP99Ms: TARGET_P99_MS,
      nextRequest,
      users: () => warm,
      shownTo,
      bearer,
      hosts,
      rssPids: Object.fromEntries(Object.entries(pids).filter(([name]) => name.startsWith('devhost'))),
    });
    phaseEnd('soak');
    const offered = LOAD * N.soakMinutes * 60;
    console.log(`  CPU over the soak: ${cpuText(cpuFigures(meter.since(), offered))} (ms per inbox request offered)`);
    if (run.unanswered !== undefined) check(`every inbox request was answered (${run.unanswered} were not)`, false);
    else {
      check(`no inbox request failed (${run.inbox.errorCount} errors)`, run.inbox.errorCount === 0);
      check(`no event failed (${run.events.errorCount} errors)`, run.events.errorCount === 0);
      check(`the offered rate was held (${fmt(run.inbox.achieved, 0)}/s answered, of ${LOAD})`, run.inbox.achieved >= 0.97 * LOAD);
    }
    for (const w of waits) console.log(`  load average ${w.before}: ${w.load}`);
    console.log(`  load average at the end: ${loadText()} (1/5/15 min, ${cores} cores)`);
    for (const d of disturbed) console.log(`  DISTURBED: ${d}`);
    console.log('\nChecks');
    for (const [what, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    return;
  }
  const inbox = await phase(`GET /api/inbox`, N.duration, nextRequest, LOAD);
  signalProfilers();
  const byTag = (tag) => latencySummary(inbox.samples.filter((s) => s.ok && s.tag === tag).map((s) => s.ms));
  inbox.cold = byTag('cold');
  inbox.warm = byTag('warm');
  inbox.shownPerRequest = shown / answered;
  check(`no inbox request failed (${inbox.errorCount} errors: ${JSON.stringify(inbox.errors)})`, inbox.errorCount === 0);
  check(
    `the offered rate was held (${fmt(inbox.offered, 0)}/s offered, ${fmt(inbox.achieved, 0)}/s answered, of ${LOAD})`,
    inbox.achieved >= 0.97 * LOAD,
  );

  // ---- report ------------------------------------------------------------------------------------------------
  console.log(
    `\nPaced at ${LOAD} requests/s${N.instances > 1 ? ` over ${N.instances} instances` : ''}, open loop (a request starts on time whether or not earlier ones have answered); latency in ms`,
  );
  console.log(`${pad('', 46)}${['answered/s', 'p50', 'p95', 'p99', 'max', 'errors'].map((h) => lpad(h, 11)).join('')}`);
  const row = (name, r, s = r.all) =>
    console.log(
      `${pad(name, 46)}${lpad(r ? fmt(r.achieved, 0) : '', 11)}${[s.p50, s.p95, s.p99].map((x) => lpad(fmt(x, 2), 11)).join('')}${lpad(fmt(s.max, 1), 11)}${lpad(r ? r.errorCount : '', 11)}`,
    );
  row(`GET /api/inbox (${fmt(N.duration, 0)} s)`, inbox);
  console.log(`${pad('', 46)}  n = ${inbox.all.n}`);
  row(`  cold: first request of a user (${fmt(100 * (inbox.cold.n / inbox.all.n), 0)}%)`, undefined, inbox.cold);
  row(`  warm: user in the member cache`, undefined, inbox.warm);
  row('baseline: GET /api/health through devhost', results['GET /api/health (host floor)']);
  row('baseline: raw interactions query on Azurite', results['raw interactions query (Azurite)']);
  row('load generator lag (planned → sent)', undefined, inbox.lag);
  // A tail that comes back every few seconds points at periodic work (the tenant's message cache is reloaded
  // every 5 s); one spread evenly, at the load itself.
  const perSecond = [];
  for (const s of inbox.samples) (perSecond[Math.floor(s.at / SECOND)] ??= []).push(s.ms);
  console.log(`  p99 by second sent: ${perSecond.map((ms) => fmt(latencySummary(ms).p99, 0)).join(' ')}`);
  console.log(
    `\n${pad(`GET /api/inbox p99 ≤ ${TARGET_P99_MS} ms`, 46)}${lpad(fmt(inbox.all.p99, 2), 11)}   ${inbox.all.p99 <= TARGET_P99_MS ? 'PASS' : 'MISS'}` +
      `   (health p99 ${fmt(results['GET /api/health (host floor)'].all.p99, 2)}, raw query p99 ${fmt(results['raw interactions query (Azurite)'].all.p99, 2)})`,
  );
  console.log(
    `  ${N.users} users, ${N.messages} Active messages (${SURFACES.map((s) => `${drafts.filter((d) => d.location === s).length} ${s}`).join(', ')}), ` +
      `${fmt(inbox.shownPerRequest, 1)} shown per request on average; cold share ${fmt(100 * COLD_SHARE, 1)}%` +
      (opts['cold-share'] === undefined
        ? ` (= ${N.users} users / (${N.rate}/s × ${MEMBER_TTL_MS / 60_000} min member cache))`
        : ' (--cold-share)') +
      `; interactions table ${rows} rows`,
  );
  for (const w of waits)
    console.log(
      `  load average ${w.before}: ${w.load}${w.waitedMs >= 1000 ? ` (after waiting ${fmt(w.waitedMs / SECOND, 0)} s for another benchmark)` : ''}`,
    );
  console.log(`  load average at the end: ${loadText()} (1/5/15 min, ${cores} cores)`);
  for (const d of disturbed) console.log(`  DISTURBED: ${d}`);

  console.log('\nCPU over each phase (% of one core, CPU ms per request)');
  for (const [name, r] of Object.entries(results)) console.log(`  ${pad(name, 36)} ${cpuText(r.cpu)}`);
  // Node runs JavaScript on one thread: devhost and Azurite each top out at one core, whatever the machine has.
  const perRequest = Object.values(inbox.cpu).reduce((sum, f) => sum + f.msPerOp, 0);
  // An instance serves 1/instances of the requests: its thread's share of a request is scaled back up to one.
  const perOwn = (name) => inbox.cpu[name].msPerOp * (name.startsWith('devhost') ? N.instances : 1);
  const busiest = Object.keys(inbox.cpu)
    .filter((name) => name !== 'bench')
    .reduce((a, b) => (perOwn(a) >= perOwn(b) ? a : b));
  console.log(
    `  → an inbox request costs ${fmt(perRequest, 2)} ms of CPU in all (${Object.entries(inbox.cpu)
      .map(([name, f]) => `${name} ${fmt(f.msPerOp, 2)}`)
      .join(' + ')}): ${LOAD}/s needs ${fmt((perRequest * LOAD) / 1000, 2)} of the ${cores} cores, ` +
      `and ${busiest}'s one thread ${fmt(inbox.cpu[busiest].pct, 0)}% of a core ` +
      `(${busiest.startsWith('devhost') && N.instances > 1 ? 'one instance' : 'it'} alone tops out at ${fmt(1000 / perOwn(busiest), 0)}/s)`,
  );
  if (N.instances > 1)
    console.log(
      `  scale-out: ${N.instances} instances over one Azurite answered ${fmt(inbox.achieved, 0)}/s at p99 ${fmt(inbox.all.p99, 1)} ms, ` +
        `${fmt(inbox.achieved / N.rate, 2)}× the ${N.rate}/s of one instance's target (each instance offered ${N.rate}/s; ` +
        `the machine's ${cores} cores were ${fmt(
          Object.values(inbox.cpu).reduce((sum, f) => sum + f.pct, 0),
          0,
        )}% busy)`,
    );
  if (inbox.all.p99 > TARGET_P99_MS && !PROFILE_DIR)
    console.log(`\nMISS: rerun with --cpu-prof <dir> to see where devhost's and Azurite's CPU goes during the inbox phase`);

  console.log('\nChecks');
  for (const [what, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

const failed = await runHeraldBench(main, {
  host: () => host,
  started: () => (azurite ? [...startedPids, ...azuritePids(azurite.connectionString)].filter(Boolean) : []),
});
if (PROFILE_DIR && !failed) await printProfiles(root, PROFILE_DIR, [azuritePid, host.process.pid], ' of the timed inbox phase');
process.exit(failed ? 1 : 0);
