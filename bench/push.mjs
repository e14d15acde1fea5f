#!/usr/bin/env node
// Benchmark (not a test): a custom notification (the custom-notifications document) to every device of a large organisation,
// on the Herald app (the repo root) hosted by devhost over an in-memory Azurite the bench starts, on the real
// clock, delivered through the real firebase-admin and node-apn to devhost's FCM and APNs stand-ins. In one run:
//   1. a fresh tenant with --devices users in the Graph stand-in and one group holding them all, and one
//      enrolled device per user (--android-share of them Android, the rest iOS), registered with the app's
//      own `registerDevice` from the bench process, concurrently, with lib/azurite-seed-lookup.mjs on (stock
//      Azurite fills one partition in O(n²)); timed apart, not part of the figure;
//   2. baseline: the raw Azurite batch-write rate, measured as bench/fanout.mjs measures it (100-row upsert
//      transactions of delivery-shaped rows into a fresh table), just before the send on the same Azurite;
//   3. `POST /api/notifications {title, body, groups: [the group]}` (role Notifications.Send.Groups), then
//      `GET /api/notifications/{id}` polled until `done`: time to 100 %, devices/s, failures, devhost's peak
//      RSS, each process's CPU;
//   4. checks: the API reports N sent and 0 failed; the stand-ins received N notifications, each seeded token
//      exactly once, nothing refused;
//   5. when a target is missed (or with --diagnose): where the time goes — the two reads of resolution, the
//      batch worker's storage work and one provider send's CPU in the client library against in the stand-in,
//      each measured alone from the bench process with the app's own modules (lib/push-probe.mjs).
// Before the baseline and the send it waits while another benchmark works (lib/idle.mjs) and says afterwards
// how much CPU the rest of the machine used meanwhile.
// Targets: devices/s ≥ 50 % of the raw batch-write rate; 100,000 devices in ≤ 60 s. Prints PASS/MISS; exits 0
// unless something crashed. Run: `npm run bench:push -- --devices 100000`.
//
// Options: --devices <n> (100000)  --android-share <0..1> (0.6)  --seed-concurrency <n> (16)
//          --baseline-entities <n> (20000)  --poll-ms <ms> (250)  --timeout-seconds <s> (900)
//          --diagnose: always run step 5  --probe-sends <n> (3000 per platform)
//          --wait-for <programs> (the other benchmarks)  --quiet-wait <s> (600)
//          --cpu-prof <dir>: CPU-profile devhost and Azurite during the send only (lib/profile-window.mjs);
//          devhost's profile is also split by component (lib/cpuprofile-owners.mjs)
//          --scale-out: after the checks, a second Herald instance over the same Azurite and providers, the same
//          notification again, and the ratio of the two rates
//          --devhost-node-options <options>: Node options for Herald's devhost alone (--max-old-space-size=256, say)
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { onCleanup } from '../packages/devhost/bench/lib/cleanup.mjs';
import { hostCalls, stopAtCleanup } from './lib/host-calls.mjs';
import { profileByComponent } from './lib/cpuprofile-owners.mjs';
import { heraldSettings, loadBuilt, printProfiles, runHeraldBench } from './lib/herald.mjs';
import { othersMeter, waitForIdle } from './lib/idle.mjs';
import { azuritePids, cpuMeter } from '../packages/devhost/bench/lib/proc.mjs';
import { planDevices, registerAll } from './lib/push-devices.mjs';
import { providersOf, startProviders } from './lib/providers.mjs';
import { pushTimeline, timelineLines } from './lib/push-timeline.mjs';
import { probeBatchStorage, probeDeviceScan, probeGraph, probeSends, pushSettings } from './lib/push-probe.mjs';
import { loadText, running } from './lib/quiet.mjs';
import { rawBaseline } from './lib/raw-batch-writes.mjs';
import { rssSampler } from './lib/rss.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: opts } = parseArgs({
  options: {
    devices: { type: 'string', default: '100000' },
    'android-share': { type: 'string', default: '0.6' },
    'seed-concurrency': { type: 'string', default: '16' },
    'baseline-entities': { type: 'string', default: '20000' },
    'poll-ms': { type: 'string', default: '250' },
    'timeout-seconds': { type: 'string', default: '900' },
    diagnose: { type: 'boolean', default: false },
    'probe-sends': { type: 'string', default: '3000' },
    'wait-for': {
      type: 'string',
      default: 'bench/fanout.mjs,bench/inbox.mjs,bench/lifecycle.mjs,bench/durable.mjs,bench/reports.mjs',
    },
    'quiet-wait': { type: 'string', default: '600' },
    'cpu-prof': { type: 'string' },
    'scale-out': { type: 'boolean', default: false },
    'devhost-node-options': { type: 'string', default: '' },
  },
});
const N = Number(opts.devices);
const ANDROID_SHARE = Number(opts['android-share']);
const SEED_CONCURRENCY = Number(opts['seed-concurrency']);
const BASELINE_ENTITIES = Number(opts['baseline-entities']);
const POLL_MS = Number(opts['poll-ms']);
const TIMEOUT_MS = Number(opts['timeout-seconds']) * 1000;
const PROBE_SENDS = Number(opts['probe-sends']);
const QUIET_WAIT_MS = Number(opts['quiet-wait']) * 1000;
const PROFILE_DIR = opts['cpu-prof'] ? resolve(opts['cpu-prof']) : undefined;
const SCALE_OUT = opts['scale-out'];
/** Node options for Herald's devhost alone (say `--max-old-space-size=256`: how much of its RSS is garbage V8 has not collected). */
const DEVHOST_NODE_OPTIONS = opts['devhost-node-options'];
for (const [name, value] of Object.entries({
  devices: N,
  'seed-concurrency': SEED_CONCURRENCY,
  'baseline-entities': BASELINE_ENTITIES,
  'poll-ms': POLL_MS,
  'probe-sends': PROBE_SENDS,
}))
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
if (!(ANDROID_SHARE >= 0 && ANDROID_SHARE <= 1)) throw new Error('--android-share must be between 0 and 1');
/** Programs (matched as lib/quiet.mjs `running` does) that must not run while the bench measures. */
const OTHER_BENCHMARKS = opts['wait-for']
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);

const TARGETS = { shareOfRaw: 0.5, seconds: 60 };
/** The time target is for this many devices; other sizes are scaled to it. */
const FULL = 100_000;
/** Id ranges the resolver reads at once (jobs/push/resolveNotification.ts RANGE_READERS), for the scan probe. */
const RANGE_READERS = 2;
const SECOND = 1000;
const TITLE = 'Restart today';
const BODY = 'Your device needs a restart to finish installing the security update.';

const load = (file) => loadBuilt(root, file);
const settings = await heraldSettings(root, 'herald-push-bench');
const { generateSampleOrg, startAzurite, startHost } = await import('@herald/devhost/testing');

const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const verdict = (ok) => (ok ? 'PASS' : 'MISS');

// ---- the organisation ----------------------------------------------------------------------------------------

/**
 * As bench/fanout.mjs builds it: the stand-in's generated organisation with every guest and disabled account
 * made an enabled member (so N users are N recipients), and one group holding everyone directly.
 */
function organisation(tenantId, users) {
  const org = generateSampleOrg({ tenantId, users, seed: 7 });
  const people = org.users.map((u) => ({
    ...u,
    displayName: u.displayName.replace(/ \(Guest\)$/, ''),
    userType: 'Member',
    accountEnabled: true,
  }));
  const everyone = { id: randomUUID(), displayName: 'Everyone (push bench)', members: people.map((u) => u.id) };
  return { directory: { users: people, groups: [everyone] }, groupId: everyone.id };
}

// ---- processes ---------------------------------------------------------------------------------------------------

let azurite;
let host;
let providers;
const startedPids = [];

/** Where lib/push-memory.mjs keeps what devhost's RSS was made of at its peak: beside the seed flag, removed with it. */
const memoryFile = (seedFlag) => join(dirname(seedFlag), 'devhost-memory.json');

async function startProcesses(seedFlag) {
  // The profiler runs for the send only (SIGUSR2 starts and stops it): seeding would drown it.
  const windowPreload = join(here, 'lib/profile-window.mjs');
  const seedPreload = join(here, 'lib/azurite-seed-lookup.mjs');
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
  startedPids.push(azuritePids(azurite.connectionString)[0]);

  // FCM, APNs, Graph and the identity provider run in a devhost of their own, as they run outside the
  // Functions host on Azure: their CPU and memory are printed apart from Herald's.
  providers = await startProviders(startHost, azurite.connectionString);
  stopAtCleanup(providers);
  // Every setting test/integration/herald/support.ts `startHerald` gives Herald, the push connection included.
  const memoryPreload = join(here, 'lib/push-memory.mjs');
  host = await startHerald({
    NODE_OPTIONS: [nodeOptions(memoryPreload, ...(PROFILE_DIR ? [windowPreload] : [])), DEVHOST_NODE_OPTIONS].filter(Boolean).join(' '),
    BENCH_MEMORY_FILE: memoryFile(seedFlag),
    ...profileEnv('devhost'),
  });
  // [azurite, devhost, providers]: printProfiles reads the first two.
  startedPids.push(host.process.pid, providers.process.pid);
  stopAtCleanup(host);
  return { devhost: host.process.pid, azurite: startedPids[0], providers: providers.process.pid };
}

/** An instance of Herald over the bench's Azurite, reaching the providers' stand-ins. */
function startHerald(extra = {}) {
  return startHost({
    app: root,
    storage: azurite.connectionString,
    startTimeoutMs: 60_000,
    // Each invocation's start in the log, for the timeline of the send's first seconds (lib/push-timeline.mjs).
    verbose: true,
    env: () => ({
      ...settings(providers.url),
      ...providersOf(root, providers),
      EMAIL_SENDS_PER_SECOND: '0',
      ...pushSettings(providers.push),
      ...extra,
    }),
  });
}

const { control, client } = hostCalls(
  () => host,
  () => providers,
);

// ---- a quiet machine -----------------------------------------------------------------------------------------

const machine = [];

/**
 * Waits while another benchmark works (lib/idle.mjs: one that only waits for us does not count), then
 * watches for test runs, builds and benchmarks, and the CPU the rest of the machine uses, until the returned
 * function is called, which records what it saw: figures are only comparable on an otherwise quiet machine.
 */
async function quietPhase(name, ours) {
  const quiet = await waitForIdle(OTHER_BENCHMARKS, { ours, maxWaitMs: QUIET_WAIT_MS });
  const startLoad = loadText();
  const others = othersMeter(ours);
  const seen = new Map();
  const look = () => {
    for (const program of ['vitest', 'tsc', ...OTHER_BENCHMARKS]) for (const pid of running(program)) seen.set(pid, program);
  };
  look();
  const timer = setInterval(look, 2000);
  return () => {
    clearInterval(timer);
    look();
    const cores = others.since();
    const names = [...seen].map(([pid, program]) => `${program} (pid ${pid})`);
    const busy = cores > 0.25;
    machine.push(
      `${name}: the rest of the machine used ${fmt(cores, 2)} cores; load average ${startLoad} at the start, ${loadText()} at the end (1/5/15 min)` +
        (quiet.waitedMs >= 1000
          ? `; waited ${fmt(quiet.waitedMs / SECOND, 0)} s for another benchmark${quiet.gaveUp ? ' and gave up' : ''}`
          : '') +
        (names.length ? `; also present: ${names.join(', ')}` : '') +
        (busy ? ' → NOT QUIET' : ' → quiet'),
    );
    return busy;
  };
}

// ---- the send ------------------------------------------------------------------------------------------------

/** Polls the notification until `done` (or `failed`), printing its progress about once a second; `onResolved` when it first is no longer resolving. */
async function watch(sender, id, t0, onResolved) {
  let printed = 0;
  let firstSent;
  let firstSentAsked;
  let slowestPoll = 0;
  let resolved = false;
  for (;;) {
    const askedAt = performance.now();
    const n = await sender(`/api/notifications/${id}`);
    const seenAt = performance.now();
    slowestPoll = Math.max(slowestPoll, seenAt - askedAt);
    if (!resolved && n.status !== 'resolving') {
      resolved = true;
      onResolved();
    }
    if (firstSent === undefined && n.sent > 0) {
      firstSent = seenAt;
      firstSentAsked = askedAt;
    }
    const finished = n.status === 'done' || n.status === 'failed';
    if (finished || seenAt - printed >= SECOND) {
      printed = seenAt;
      console.log(
        `  t+${fmt((seenAt - t0) / SECOND, 1).padStart(5)} s  ${n.status.padEnd(9)} devices ${int(n.devices).padStart(7)}  sent ${int(n.sent).padStart(7)}  ` +
          `failed ${int(n.failed)}  pending ${int(n.pending)}`,
      );
    }
    if (finished) return { n, doneAt: seenAt, firstSent, firstSentAsked, slowestPoll };
    if (seenAt - t0 > TIMEOUT_MS) throw new Error(`not done after ${TIMEOUT_MS / SECOND} s: ${JSON.stringify(n)}`);
    await sleep(Math.max(0, POLL_MS - (performance.now() - seenAt)));
  }
}

const checks = [];
const check = (what, ok) => checks.push([what, ok]);

/** The stand-ins' counts and what they received: each seeded token exactly once, nothing else, nothing refused. */
/** `before`: the stand-ins' counts before this send (a second send's are added to the first's). */
async function verifyReceived(devices, n, before = { fcm: { received: 0 }, apns: { received: 0 } }) {
  const counts = await control('/devhost/push/_control/counts');
  console.log(`push stand-in counts: ${JSON.stringify(counts)}`);
  const expected = { fcm: devices.filter((d) => d.platform === 'android'), apns: devices.filter((d) => d.platform === 'ios') };
  for (const platform of ['fcm', 'apns']) {
    const t = performance.now();
    const notifications = (await control(`/devhost/push/_control/received?platform=${platform}`)).notifications.filter(
      (r) => r.data?.notificationId === n.id,
    );
    const ours = new Set(expected[platform].map((d) => d.pushToken));
    const times = new Map();
    for (const r of notifications) times.set(r.token, (times.get(r.token) ?? 0) + 1);
    const twice = [...times.values()].filter((k) => k > 1).length;
    const missing = [...ours].filter((token) => !times.has(token)).length;
    const strangers = [...times.keys()].filter((token) => !ours.has(token)).length;
    const wrong = notifications.filter((r) => r.title !== TITLE || r.body !== BODY).length;
    console.log(`  ${platform}: ${int(notifications.length)} received (read in ${fmt((performance.now() - t) / SECOND, 1)} s)`);
    check(
      `${platform}: each of the ${int(ours.size)} seeded tokens received exactly once (missing ${missing}, twice ${twice}, not ours ${strangers}, other content ${wrong})`,
      notifications.length === ours.size && missing + twice + strangers + wrong === 0,
    );
    const c = counts[platform];
    check(
      `${platform}: stand-in counted ${int(c.received)} received, ${c.rejected} rejected, ${c.unregistered} unregistered, ${c.throttled} throttled`,
      c.received - before[platform].received === ours.size && c.rejected + c.unregistered + c.throttled === 0,
    );
  }
  check(
    `stand-ins together received ${int(counts.fcm.received + counts.apns.received - before.fcm.received - before.apns.received)} for ${int(N)} devices`,
    counts.fcm.received + counts.apns.received - before.fcm.received - before.apns.received === N,
  );
  check(
    `notification API: status ${n.status}, ${int(n.devices)} devices, ${int(n.sent)} sent, ${n.failed} failed, ${n.pending} pending`,
    n.status === 'done' && n.devices === N && n.sent === N && n.failed === 0 && n.pending === 0,
  );
}

// ---- scale-out ------------------------------------------------------------------------------------------------

/** A second Herald instance over the same Azurite and providers, the same send again to the same devices, and the ratio. */
async function scaleOut({ devices, groupId, sender, pids, rate }) {
  const second = await startHerald();
  startedPids.push(second.process.pid);
  stopAtCleanup(second);
  console.log(
    `\nScale-out: a second Herald instance (pid ${second.process.pid}) over the same Azurite and providers; the same notification again`,
  );
  const before = await control('/devhost/push/_control/counts');
  const cpu = cpuMeter({ ...pids, devhost2: second.process.pid });
  const memory = rssSampler({ devhost: pids.devhost, devhost2: second.process.pid }, 200);
  const t0 = performance.now();
  const created = await sender('/api/notifications', { title: TITLE, body: BODY, groups: [groupId] });
  const { n, doneAt } = await watch(sender, created.id, t0, () => undefined);
  const used = cpu.since();
  const rss = memory.stop();
  const rate2 = N / ((doneAt - t0) / SECOND);
  console.log(
    `  two instances: ${int(N)} devices in ${fmt((doneAt - t0) / SECOND, 1)} s, ${int(rate2)}/s; CPU ` +
      ['devhost', 'devhost2', 'azurite', 'providers']
        .map((p) => `${p} ${fmt((100 * used.used[p]) / used.wall, 0)}% (+${fmt((100 * used.waited[p]) / used.wall, 0)}% waiting)`)
        .join(', ') +
      `; peak RSS devhost ${fmt(rss.devhost.peak, 0)} MB, devhost2 ${fmt(rss.devhost2.peak, 0)} MB`,
  );
  console.log(`  scale-out ratio (two instances ÷ one, devices/s): ${fmt(rate2 / rate, 2)} (${int(rate)}/s → ${int(rate2)}/s)`);
  await verifyReceived(devices, n, before);
}

// ---- diagnosis ---------------------------------------------------------------------------------------------------

/** Measures the pieces of a send one at a time (bench/lib/push-probe.mjs) and prints what each costs. */
async function diagnose({ tenant, groupId, pids, run, ours }) {
  console.log('\nWhere the time goes (each piece measured alone, after the run)');
  const diagnosisDone = await quietPhase('diagnosis', ours);
  Object.assign(process.env, settings(providers.url), providersOf(root, providers), pushSettings(providers.push));
  const { sendPush, closePush } = await load('adapters/services/pushProviders.js');
  const { directory } = await load('adapters/services/graphDirectory.js');
  const deviceStore = await load('adapters/stores/deviceStore.js');
  const notification = await load('core/notification.js');

  const graph = await probeGraph(directory, { tenantId: tenant, groupId, devhostPid: pids.providers });
  const scan = await probeDeviceScan(deviceStore, notification, {
    tenantId: tenant,
    users: graph.users,
    readers: RANGE_READERS,
    azuritePid: pids.azurite,
  });
  console.log(
    `  Graph: ${int(graph.users)} group members in ${graph.pages} pages: ${fmt(graph.ms / SECOND, 2)} s ` +
      `(Graph stand-in, providers' devhost ${fmt(graph.cpu.standIn, 2)} s CPU, Graph SDK here ${fmt(graph.cpu.client, 2)} s)`,
  );
  console.log(
    `  device scan: ${int(scan.devices)} pushable devices read in ${scan.ranges} id ranges, ${RANGE_READERS} at a time, as resolution reads them: ` +
      `${fmt(scan.ms / SECOND, 2)} s, the first range in after ${fmt(scan.firstRangeMs / SECOND, 2)} s ` +
      `(Azurite ${fmt(scan.cpu.azurite, 2)} s CPU = ${fmt((scan.cpu.azurite * 1e6) / Math.max(1, scan.devices), 0)} µs/device; Tables SDK here ${fmt(scan.cpu.client, 2)} s)`,
  );
  if (Number.isFinite(run.resolveSeconds))
    console.log(
      `  → of the run's ${fmt(run.resolveSeconds, 2)} s resolution, ~${fmt(graph.ms / SECOND + scan.ms / SECOND, 1)} s is these two reads in sequence; ` +
        `the rest is the ${run.batches} batch snapshots written and queued as each range is read, and the sending that overlaps the read (it shares Azurite and the cores)`,
    );

  const storage = await probeBatchStorage(await load('adapters/stores/deliveryStore.js'), await load('adapters/stores/counterStore.js'), {
    tenantId: tenant,
    batches: 10,
    size: 800,
    concurrency: 8,
    azuritePid: pids.azurite,
  });
  console.log(
    `  batch storage, ${int(storage.devices)} devices in 10 batches of 800, 8 at a time, nothing sent: snapshots written in ${fmt(storage.written.ms / SECOND, 2)} s; ` +
      `then read, leased, ${storage.commits} chunk commits + counts, released in ${fmt(storage.worked.ms / SECOND, 2)} s ` +
      `(Azurite ${fmt(storage.azuriteMsPerChunk, 1)} ms of CPU per 99-device chunk); per device: Azurite ${fmt(storage.written.azuriteUs + storage.worked.azuriteUs, 0)} µs, ` +
      `the Tables SDK (devhost's share in a run) ${fmt(storage.written.clientUs + storage.worked.clientUs, 0)} µs of CPU`,
  );

  const salt = randomUUID();
  const sends = [];
  for (const platform of ['android', 'ios']) {
    const r = await probeSends(sendPush, { platform, count: PROBE_SENDS, concurrency: 16, devhostPid: pids.providers, salt });
    sends.push(r);
    console.log(
      `  ${platform === 'android' ? 'FCM (firebase-admin, HTTP/2, one stream per device)' : 'APNs (node-apn, HTTP/2, one stream per device)'}: ` +
        `${int(r.sends)} sends in 99-device chunks, 16 at a time: ${int(r.perSecond)}/s; CPU per send: ` +
        `${fmt(r.clientMs, 3)} ms in the client (library, TLS, HTTP), ${fmt(r.standInMs, 3)} ms in the stand-in (providers' devhost)` +
        (r.failed ? `; ${r.failed} not sent` : ''),
    );
  }
  await closePush();
  diagnosisDone();
  console.log(`  ${machine[machine.length - 1]}`);
  const share = (p) => (p === 'android' ? ANDROID_SHARE : 1 - ANDROID_SHARE);
  const perDevice = (key) => sends.reduce((s, r) => s + share(r.platform) * r[key], 0);
  const client = perDevice('clientMs');
  const standIn = perDevice('standInMs');
  const tables = (storage.written.clientUs + storage.worked.clientUs) / 1000;
  console.log(
    `  → per device at this mix: ${fmt(client, 3)} ms provider client + ${fmt(tables, 3)} ms Tables SDK = ` +
      `${fmt(((client + tables) * N) / SECOND, 1)} s of Herald's devhost CPU for ${int(N)} devices (the run used ${fmt(run.devhostCpu, 1)} s); ` +
      `the stand-ins' ${fmt(standIn, 3)} ms is the providers' devhost's`,
  );
  return { graph, scan, sends, storage };
}

// ---- the run -----------------------------------------------------------------------------------------------------

async function main() {
  const cores = availableParallelism();
  console.log(
    `Herald push benchmark — a custom notification to ${int(N)} devices (${fmt(100 * ANDROID_SHARE, 0)} % Android, the rest iOS), one per user, ` +
      `one group; app: repo root on devhost, in-memory Azurite, real clock, ${cores} cores${PROFILE_DIR ? `, CPU profiles of the send in ${PROFILE_DIR}` : ''}`,
  );
  const flagDir = mkdtempSync(join(tmpdir(), 'herald-push-bench-'));
  onCleanup(async () => rmSync(flagDir, { recursive: true, force: true }));
  const seedFlag = join(flagDir, 'seeding');
  const pids = await startProcesses(seedFlag);

  // ---- 1. the organisation and its devices ------------------------------------------------------------------------
  const tenant = randomUUID();
  const org = organisation(tenant, N);
  const t = performance.now();
  await control(`/devhost/graph/_control/tenants/${tenant}/directory`, 'PUT', org.directory);
  console.log(
    `directory: ${int(N)} users and one group holding them all, loaded into the Graph stand-in in ${fmt((performance.now() - t) / SECOND, 1)} s`,
  );
  // The app's adapters read the storage account from the environment.
  process.env.AzureWebJobsStorage = azurite.connectionString;
  const { registerDevice } = await load('adapters/stores/deviceStore.js');
  const plan = planDevices(org.directory.users, { salt: tenant, androidShare: ANDROID_SHARE });
  const android = plan.filter((d) => d.platform === 'android').length;
  console.log(
    `devices: registering ${int(N)} (${int(android)} Android, ${int(N - android)} iOS) with registerDevice, ${SEED_CONCURRENCY} at a time…`,
  );
  // Every device lands in the tenant's one partition, where stock Azurite's point reads and inserts scan the
  // whole partition (O(n²) to fill it: ~2 h for 100,000); lib/azurite-seed-lookup.mjs answers them from the
  // RowKey index while the flag exists, and the flag is gone before anything is measured.
  writeFileSync(seedFlag, '');
  await sleep(200);
  const seeded = await registerAll(registerDevice, tenant, plan, {
    concurrency: SEED_CONCURRENCY,
    progress: (done, ms) => console.log(`  ${int(done)} registered after ${fmt(ms / SECOND, 0)} s (${int((done / ms) * SECOND)}/s)`),
  });
  rmSync(seedFlag, { force: true });
  await sleep(200);
  console.log(
    `devices: ${int(N)} registered in ${fmt(seeded.ms / SECOND, 1)} s (${int((N / seeded.ms) * SECOND)}/s; not part of the figure)`,
  );
  const devices = seeded.devices.map((d) => ({ platform: d.platform, pushToken: d.pushToken }));

  // ---- 2. the raw baseline, just before the send, on the same Azurite -----------------------------------------------
  const ours = [pids.devhost, pids.azurite, pids.providers, process.pid];
  const baselineDone = await quietPhase('baseline', ours);
  const raw = await rawBaseline(azurite.connectionString, BASELINE_ENTITIES);
  baselineDone();
  for (const r of raw.runs)
    console.log(
      `baseline: ${int(BASELINE_ENTITIES)} delivery-shaped rows in 100-row upsert transactions, ${r.inFlight} in flight: ` +
        `${fmt(r.ms / SECOND, 2)} s, ${int(r.perSecond)} entities/s`,
    );
  const baseline = raw.best.perSecond;

  // ---- 3. the send ----------------------------------------------------------------------------------------------------
  const sender = await client(tenant, 'sam@contoso.test', ['Notifications.Send.Groups']);
  const sendDone = await quietPhase('send', ours);
  const memory = rssSampler(pids, 200);
  const cpu = cpuMeter({ ...pids, bench: process.pid });
  if (PROFILE_DIR) for (const pid of [pids.devhost, pids.azurite]) process.kill(pid, 'SIGUSR2');
  const t0 = performance.now();
  const postedAt = Date.now();
  const created = await sender('/api/notifications', { title: TITLE, body: BODY, groups: [org.groupId] });
  const accepted = performance.now();
  console.log(`POST /api/notifications answered 202 in ${fmt(accepted - t0, 0)} ms: notification ${created.id}; timing from the request`);
  let atResolved;
  const { n, doneAt, firstSent, firstSentAsked, slowestPoll } = await watch(sender, created.id, t0, () => (atResolved = cpu.since()));
  const used = cpu.since();
  if (PROFILE_DIR) for (const pid of [pids.devhost, pids.azurite]) process.kill(pid, 'SIGUSR2');
  const rss = memory.stop();
  const notQuiet = sendDone();
  const seconds = (doneAt - t0) / SECOND;
  const rate = N / seconds;

  const { getOccurrence } = await load('adapters/stores/deliveryStore.js');
  const occ = await getOccurrence(tenant, created.id, 0);
  const resolveSeconds = occ?.resolvedAt ? (Date.parse(occ.resolvedAt) - Date.parse(occ.startedAt)) / SECOND : NaN;
  // devhost runs on the real clock of this machine: its times compare with the bench's.
  const startedAfter = occ ? (Date.parse(occ.startedAt) - postedAt) / SECOND : NaN;
  const resolvedAfter = occ?.resolvedAt ? (Date.parse(occ.resolvedAt) - postedAt) / SECOND : NaN;

  // ---- report ---------------------------------------------------------------------------------------------------------
  console.log(`\nPush, ${int(N)} devices (times from the POST; done seen by polling every ${POLL_MS} ms)`);
  const line = (what, value) => console.log(`  ${what.padEnd(74)}${value}`);
  line('POST → resolution starts (the resolve-notification queue picks it up)', `${fmt(startedAfter, 2)} s`);
  line('resolution (Graph members, device scan, batch snapshots written)', `${fmt(resolveSeconds, 2)} s, ${occ?.batches ?? '?'} batches`);
  line(
    'POST → first device counted sent (as polled)',
    `${fmt((firstSent - t0) / SECOND, 2)} s (that poll asked at ${fmt((firstSentAsked - t0) / SECOND, 2)} s; the slowest poll took ${fmt(slowestPoll / SECOND, 2)} s)`,
  );
  line('POST → GET /api/notifications/{id} reports done', `${fmt(seconds, 2)} s`);
  line('devices/s (all of it)', int(rate));
  line('devices/s after resolution (resolved → done)', int(N / (seconds - resolvedAfter)));
  const { table } = await load('adapters/stores/storageClients.js');
  const { messageKey } = await load('adapters/stores/keys.js');
  const timeline = await pushTimeline({
    output: host.output(),
    table: await table('deliveries'),
    partitionPrefix: `${messageKey(tenant, created.id)}:`,
    postedAt,
  });
  console.log("  The first seconds, from the host log and the batches' rows (times from the POST):");
  for (const l of timelineLines(timeline, postedAt)) console.log(`    ${l}`);
  const cpuLine = (name) =>
    `${name} ${fmt((100 * used.used[name]) / used.wall, 0)}% of a core (+${fmt((100 * used.waited[name]) / used.wall, 0)}% waiting for one), ` +
    `${fmt((1e6 * used.used[name]) / N, 0)} µs/device`;
  console.log(`  CPU over the run: ${['devhost', 'azurite', 'providers', 'bench'].map(cpuLine).join('; ')}`);
  console.log(`  (providers: the FCM, APNs, Graph and identity stand-ins in a devhost of their own, sharing nothing with Herald)`);
  // While sending (resolution seen over → done), where resolution's long read no longer hides the bound.
  const sending = Object.fromEntries(
    ['devhost', 'azurite', 'providers'].map((name) => {
      const wall = used.wall - atResolved.wall;
      return [
        name,
        { used: (used.used[name] - atResolved.used[name]) / wall, waited: (used.waited[name] - atResolved.waited[name]) / wall },
      ];
    }),
  );
  console.log(
    `  CPU while sending (${fmt(used.wall - atResolved.wall, 1)} s): ` +
      ['devhost', 'azurite', 'providers']
        .map(
          (name) =>
            `${name} ${fmt(100 * sending[name].used, 0)}% of a core (+${fmt(100 * sending[name].waited, 0)}% waiting), ` +
            `${fmt((1e6 * sending[name].used * (used.wall - atResolved.wall)) / N, 0)} µs/device`,
        )
        .join('; '),
  );
  const bound = (runnable, phase) => {
    const saturated = ['devhost', 'azurite'].filter((name) => runnable(name) >= 90);
    return saturated.length
      ? `${phase}: ${saturated.join(' and ')} never idle (runnable ${saturated.map((p) => `${fmt(runnable(p), 0)}%`).join(', ')}): its CPU is the bound`
      : `${phase}: no process saturated`;
  };
  console.log(
    `  → ${bound((name) => (100 * (used.used[name] + used.waited[name])) / used.wall, 'over the run')}; ` +
      `${bound((name) => 100 * (sending[name].used + sending[name].waited), 'while sending')}`,
  );
  const rssLine = (name) =>
    `${name} ${fmt(rss[name].start, 0)} MB before the send → peak ${fmt(rss[name].peak, 0)} MB (lifetime high-water mark ${fmt(rss[name].hwm, 0)} MB)`;
  console.log(`  RSS, sampled every 200 ms: ${rssLine('devhost')}; ${rssLine('azurite')}; ${rssLine('providers')}`);
  if (existsSync(memoryFile(seedFlag))) {
    const { atPeakRss: r, atPeakHeap: h } = JSON.parse(readFileSync(memoryFile(seedFlag), 'utf8'));
    const parts = (m) =>
      `RSS ${m.rss} MB = JS heap ${m.heapTotal} MB reserved (${m.heapUsed} MB in use: live or not yet collected) + ` +
      `${m.rss - m.heapTotal} MB outside it (external ${m.external} MB, of which ArrayBuffers ${m.arrayBuffers} MB; code, stacks, malloc)`;
    console.log(
      `  devhost's memory (process.memoryUsage, lib/push-memory.mjs): at its highest RSS ${parts(r)}; at its highest heap use ${parts(h)}`,
    );
  }

  console.log('\nTargets');
  const row = (what, value, target, ok) =>
    console.log(`  ${what.padEnd(58)}${String(value).padStart(14)}   ${target.padEnd(10)}${verdict(ok)}`);
  const rateOk = rate >= TARGETS.shareOfRaw * baseline;
  row(`devices/s vs raw batch writes (${int(baseline)}/s)`, `${int(rate)} (${fmt((100 * rate) / baseline, 0)}%)`, '≥ 50%', rateOk);
  const scaled = (seconds * FULL) / N;
  const timeOk = scaled <= TARGETS.seconds;
  row(
    N === FULL ? 'time to 100 %, 100,000 devices' : `time to 100 %, scaled to 100,000 (${fmt(seconds, 1)} s for ${int(N)})`,
    `${fmt(scaled, 1)} s`,
    `≤ ${TARGETS.seconds} s`,
    timeOk,
  );
  console.log(
    `  failed ${n.failed} (must be 0); devhost peak RSS ${fmt(rss.devhost.peak, 0)} MB, Azurite ${fmt(rss.azurite.peak, 0)} MB (no target)`,
  );
  console.log(`\nMachine\n${machine.map((m) => `  ${m}`).join('\n')}`);
  if (notQuiet) console.log('  → the send shared the machine: compare with a quiet run before reading much into it');

  // ---- 4. checks ------------------------------------------------------------------------------------------------------
  console.log('');
  await verifyReceived(devices, n);
  if (SCALE_OUT) await scaleOut({ devices, groupId: org.groupId, sender, pids, rate });

  // ---- 5. diagnosis ---------------------------------------------------------------------------------------------------
  if (opts.diagnose || !rateOk || !timeOk)
    await diagnose({
      tenant,
      groupId: org.groupId,
      pids,
      ours,
      run: { resolveSeconds, batches: occ?.batches, devhostCpu: used.used.devhost },
    });
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
if (PROFILE_DIR && !failed) {
  await printProfiles(root, PROFILE_DIR, startedPids, ' of the send');
  const devhostProfile = join(PROFILE_DIR, 'devhost', `${startedPids[1]}.cpuprofile`);
  if (existsSync(devhostProfile)) console.log(`\ndevhost during the send:\n${profileByComponent(devhostProfile).join('\n')}`);
}
process.exit(failed ? 1 : 0);
