// Durable engine throughput on devhost, next to the published Durable Functions (Azure Storage provider)
// per-instance figures and raw Azurite rates measured in this same run. Prints figures; exits 0.
// Options: --only sequential (the warm-up and the sequential phase with its baseline, nothing else)
//          --cpu-prof <dir>: CPU-profile devhost and Azurite during the sequential phase only (the repo's
//          bench/lib/profile-window.mjs) and print where each one's CPU went.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { QueueServiceClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { startHost } from '../dist/testing.js';
import { azuritePids, cpuMeter } from './lib/proc.mjs';
import { summarizeProfile } from '../../../bench/lib/cpuprofile.mjs';
import { profileByComponent } from '../../../bench/lib/cpuprofile-owners.mjs';

const { values: opts } = parseArgs({ options: { only: { type: 'string' }, 'cpu-prof': { type: 'string' } } });
if (opts.only !== undefined && opts.only !== 'sequential') throw new Error('--only takes "sequential"');
const PROFILE_DIR = opts['cpu-prof'] ? resolve(opts['cpu-prof']) : undefined;

const APP = new URL('./apps/durable', import.meta.url).pathname;
const PUBLISHED = { sequential: 5, fanOut: 100, fanIn: 150, events: 50 };
// Sequential: half the same-run raw queue round-trip rate (one round trip a step is the limit), set once measured.
const TARGETS = { fanOut: 500, events: 250 };
const N = { sequential: 300, fanOut: 1000, events: 500, orchestrations: 100 };

// devhost counts its storage requests (the repo's bench/lib/count-requests.mjs) while this flag file exists.
const countFlag = join(mkdtempSync(join(tmpdir(), 'durable-bench-')), 'counting');
const countPreload = new URL('../../../bench/lib/count-requests.mjs', import.meta.url).pathname;
const profilePreload = new URL('../../../bench/lib/profile-window.mjs', import.meta.url).pathname;
if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const host = await startHost({
  app: APP,
  startTimeoutMs: 60_000,
  env: {
    // devhost starts Azurite with its own environment, so both load the preloads.
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${countPreload}${PROFILE_DIR ? ` --import=${profilePreload}` : ''}`.trim(),
    BENCH_COUNT_REQUESTS_FLAG: countFlag,
    ...(PROFILE_DIR ? { BENCH_CPU_PROF_DIR: PROFILE_DIR } : {}),
  },
});
const pids = { devhost: host.process.pid, azurite: azuritePids(host.storage)[0] };
/** The first call starts both profilers, the second stops them (each writes <dir>/<pid>.cpuprofile). */
const toggleProfilers = () => {
  if (PROFILE_DIR) for (const pid of Object.values(pids)) process.kill(pid, 'SIGUSR2');
};
/** devhost's own code, by module group, and the libraries it spends its CPU in. */
const DEVHOST_PARTS = [
  [
    'Azure Storage SDK (Tables, Queues, Blobs)',
    /\/node_modules\/(@azure\/(data-tables|storage-[a-z]+|core-[a-z-]+|abort-controller|logger)|@typespec\/ts-http-runtime|fast-xml-parser|strnum)\//,
  ],
  ['durable-functions SDK (the orchestrator replay)', /\/node_modules\/durable-functions\//],
  ['@azure/functions (the programming model)', /\/node_modules\/@azure\/functions\//],
  ['devhost Durable engine', /\/devhost\/dist\/durable\//],
  ['devhost host (invoker, HTTP, storage)', /\/devhost\/dist\//],
];

/**
 * Runs one phase, returning what it cost beside its wall time: CPU ms of devhost and Azurite, the share of
 * the phase they waited for a free core, and devhost's storage requests (by kind).
 */
async function measured(work) {
  writeFileSync(countFlag, '');
  await sleep(150);
  const meter = cpuMeter(pids);
  const result = await work();
  const cpu = meter.since();
  await sleep(300); // the last deletes go out just after the orchestration completes
  rmSync(countFlag, { force: true });
  const file = `${countFlag}.${host.process.pid}.json`;
  for (let i = 0; i < 30 && !existsSync(file); i++) await sleep(50);
  const requests = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  rmSync(file, { force: true });
  return { result, cpu, requests };
}
const costs = [];
/** "devhost 9.1 ms, azurite 4.2 ms CPU, 4.0 storage requests (…)" per operation. */
function cost(name, n, { cpu, requests }) {
  const total = Object.values(requests).reduce((a, b) => a + b, 0);
  const kinds = Object.entries(requests)
    .map(([k, v]) => `${k} ${(v / n).toFixed(2)}`)
    .join(', ');
  const waited = Math.max(...Object.values(cpu.waited)) / cpu.wall;
  costs.push(
    `  ${name}: devhost ${((cpu.used.devhost * 1000) / n).toFixed(2)} ms, azurite ${((cpu.used.azurite * 1000) / n).toFixed(2)} ms CPU;` +
      ` ${(total / n).toFixed(2)} storage requests (${kinds}); waited for a core ${(100 * waited).toFixed(0)}% of the phase`,
  );
}
const api = (path, init) => host.fetch(`/runtime/webhooks/durabletask${path}`, init);

async function start(name, id, input) {
  const res = await api(`/orchestrators/${name}/${id}`, {
    method: 'POST',
    body: JSON.stringify(input),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`start ${name}: ${res.status} ${text}`);
}

async function status(id, { history = false } = {}) {
  return (await api(`/instances/${id}?showHistory=${history}&showHistoryOutput=false`)).json();
}

/**
 * Waits for an instance to complete and returns its status with history. Phases are timed off history
 * timestamps, so the status is polled only every 100 ms and without history (a 2,000-row history read
 * every 20 ms would load Azurite, and the polls the figure).
 */
async function waitDone(id) {
  for (;;) {
    const body = await status(id);
    if (body.runtimeStatus === 'Completed') return status(id, { history: true });
    if (['Failed', 'Terminated'].includes(body.runtimeStatus))
      throw new Error(`${id}: ${body.runtimeStatus} ${JSON.stringify(body.output)}`);
    await sleep(100);
  }
}

const at = (history, type) => Date.parse(history.find((e) => e.EventType === type).Timestamp);

/** Waits until the hub's queues are empty: the messages a phase consumed are deleted just after it, and its deletes must not load the next. */
async function settled() {
  const queues = QueueServiceClient.fromConnectionString(host.storage);
  const names = ['benchhub-workitems', ...[0, 1, 2, 3].map((i) => `benchhub-control-0${i}`)];
  for (;;) {
    const counts = await Promise.all(names.map(async (n) => (await queues.getQueueClient(n).getProperties()).approximateMessagesCount));
    if (counts.every((c) => c === 0)) return;
    await sleep(100);
  }
}

/** The baseline of the sequential target: sequential send → receive → delete round trips per second. */
async function rawRoundTrips() {
  const q = QueueServiceClient.fromConnectionString(host.storage).getQueueClient('bench-baseline');
  await q.createIfNotExists();
  const t = performance.now();
  for (let i = 0; i < 300; i++) {
    await q.sendMessage('x');
    const {
      receivedMessageItems: [m],
    } = await q.receiveMessages();
    await q.deleteMessage(m.messageId, m.popReceipt);
  }
  return 300 / ((performance.now() - t) / 1000);
}

const rate = (n, ms) => (n / (ms / 1000)).toFixed(1);
const results = [];

try {
  // Warm-up: first invocations load code and create the hub.
  await start('hello5', 'warm', null);
  await waitDone('warm');

  // 1. Sequential activities in one orchestration, between two runs of its baseline (the better one counts):
  // Taken beside the phase, so that both see the machine as it was.
  const rawBefore = await rawRoundTrips();
  const seqRun = await measured(async () => {
    toggleProfilers();
    await start('sequence', 'seq', N.sequential);
    const done = await waitDone('seq');
    toggleProfilers();
    return done;
  });
  const seqHistory = seqRun.result.historyEvents;
  const seqMs = at(seqHistory, 'ExecutionCompleted') - at(seqHistory, 'ExecutionStarted');
  cost('sequential, per activity step', N.sequential, seqRun);
  const rawAfter = await rawRoundTrips();
  const rawQueue = Math.max(rawBefore, rawAfter).toFixed(1);
  await settled();
  // A step's time as history grows (the SDK replays all of it each episode): first and last 50 steps.
  const doneAt = seqHistory.filter((e) => e.EventType === 'TaskCompleted').map((e) => Date.parse(e.Timestamp));
  const stepMs = (from, to) => ((doneAt[to - 1] - doneAt[from]) / (to - 1 - from)).toFixed(1);
  const sequential = ['sequential activities/s (one orchestration)', rate(N.sequential, seqMs), PUBLISHED.sequential, undefined];
  results.push(sequential);

  if (!opts.only) await otherPhases();
  async function otherPhases() {
    // 2 + 3. Fan-out then fan-in, read off the history's timestamps.
    const fanRun = await measured(async () => {
      await start('fanOut', 'fan', N.fanOut);
      return waitDone('fan');
    });
    const fan = fanRun.result;
    const fanMs = at(fan.historyEvents, 'ExecutionCompleted') - at(fan.historyEvents, 'ExecutionStarted');
    cost('fan-out/fan-in, per activity', N.fanOut, fanRun);
    await settled();
    const done = fan.historyEvents.filter((e) => e.EventType === 'TaskCompleted');
    const scheduledAt = Math.min(...done.map((e) => Date.parse(e.ScheduledTime)));
    const lastActivity = Math.max(...done.map((e) => Date.parse(e.Timestamp)));
    const firstActivity = Math.min(...done.map((e) => Date.parse(e.Timestamp)));
    const completedAt = Date.parse(fan.historyEvents.find((e) => e.EventType === 'ExecutionCompleted').Timestamp);
    results.push([
      'fan-out activities/s (scheduled → last activity done)',
      rate(N.fanOut, lastActivity - scheduledAt),
      PUBLISHED.fanOut,
      TARGETS.fanOut,
    ]);
    results.push([
      'fan-in completions/s (first result → orchestration done)',
      rate(N.fanOut, completedAt - firstActivity),
      PUBLISHED.fanIn,
      undefined,
    ]);
    results.push([`fan-out/fan-in of ${N.fanOut}, end to end (activities/s)`, rate(N.fanOut, fanMs), undefined, undefined]);

    // 4. External events to one instance.
    await start('events', 'ev', N.events);
    for (;;) {
      const s = await (await api('/instances/ev')).json();
      if (s.runtimeStatus === 'Running') break;
      await sleep(10);
    }
    await settled();
    const raisedFrom = Date.now();
    let next = 0;
    const evRun = await measured(async () => {
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < N.events) {
            next++;
            const res = await api('/instances/ev/raiseEvent/tick', {
              method: 'POST',
              body: '1',
              headers: { 'content-type': 'application/json' },
            });
            if (res.status !== 202) throw new Error(`raiseEvent: ${res.status}`);
            // Read, as a client does: an unread body keeps its connection from being used again.
            await res.arrayBuffer();
          }
        }),
      );
      return waitDone('ev');
    });
    cost('external events, per event', N.events, evRun);
    const evMs = at(evRun.result.historyEvents, 'ExecutionCompleted') - raisedFrom;
    results.push(['external events/s (one instance)', rate(N.events, evMs), PUBLISHED.events, TARGETS.events]);
    // Where the time went: taking the raises in (each timestamped as devhost accepted it) or applying them.
    const raised = evRun.result.historyEvents.filter((e) => e.EventType === 'EventRaised').map((e) => Date.parse(e.Timestamp));
    const lastRaise = Math.max(...raised);
    costs.push(
      `  external events: the ${N.events} raises were accepted in ${lastRaise - raisedFrom} ms; the orchestration ended ${at(evRun.result.historyEvents, 'ExecutionCompleted') - lastRaise} ms after the last`,
    );
    await settled();

    // 5. Many 5-step orchestrations, started to completed.
    const h5From = Date.now();
    await Promise.all(Array.from({ length: N.orchestrations }, (_, i) => start('hello5', `h5-${i}`, null)));
    let h5Until = 0;
    for (let i = 0; i < N.orchestrations; i++)
      h5Until = Math.max(h5Until, at((await waitDone(`h5-${i}`)).historyEvents, 'ExecutionCompleted'));
    results.push([
      `HelloSequence5 orchestrations/s (${N.orchestrations} started at once)`,
      rate(N.orchestrations, h5Until - h5From),
      undefined,
      undefined,
    ]);
  }

  // Baselines on the same Azurite.
  const rawAtEnd = (await rawRoundTrips()).toFixed(1);
  sequential[3] = Number((Number(rawQueue) / 2).toFixed(1));
  const table = TableClient.fromConnectionString(host.storage, 'benchbaseline', { allowInsecureConnection: true });
  await table.createTable();
  let t = performance.now();
  for (let b = 0; b < 10; b++)
    await table.submitTransaction(Array.from({ length: 100 }, (_, i) => ['upsert', { partitionKey: 'p', rowKey: `${b}-${i}`, v: i }]));
  const rawTable = rate(1000, performance.now() - t);
  t = performance.now();
  for (let i = 0; i < 300; i++) await table.upsertEntity({ partitionKey: 'q', rowKey: String(i), v: i });
  const rawUpsert = rate(300, performance.now() - t);

  console.log('\nDurable engine on devhost (2-core machine), vs published Azure Storage provider figures per instance\n');
  console.log('figure'.padEnd(58), 'devhost'.padStart(9), 'published'.padStart(10), 'target'.padStart(8), ' result');
  for (const [name, value, published, target] of results) {
    const verdict = target === undefined ? '' : Number(value) >= target ? 'PASS' : 'MISS';
    console.log(
      name.padEnd(58),
      String(value).padStart(9),
      String(published ?? '-').padStart(10),
      String(target ?? '-').padStart(8),
      ` ${verdict}`,
    );
  }
  console.log('(the sequential target is half the same-run raw queue round-trip rate below)');
  console.log('\nSame-run Azurite baselines:');
  console.log(
    `  queue send+receive+delete, sequential: ${rawQueue} round trips/s (the better of ${rawBefore.toFixed(1)} just before and ${rawAfter.toFixed(1)} just after the sequential phase)`,
  );
  console.log(
    `                                         ${rawAtEnd} round trips/s at the end of the run, (where it was measured until 2026-12-07; informational)`,
  );
  console.log(`  table upsert, sequential:              ${rawUpsert} rows/s`);
  console.log(`  table 100-row transactions:            ${rawTable} rows/s`);
  console.log('\nCost per operation (CPU is steadier than rates on a busy machine):');
  for (const line of costs) console.log(line);
  console.log(
    `\nOne sequential activity step costs ~${(seqMs / N.sequential).toFixed(1)} ms ≈ ${(((seqMs / N.sequential) * Number(rawQueue)) / 1000).toFixed(1)} raw queue round trips;` +
      ` ${stepMs(0, 50)} ms a step over the first 50, ${stepMs(doneAt.length - 50, doneAt.length)} ms over the last 50 (history replayed each step).`,
  );
  if (PROFILE_DIR) await printProfiles();
} finally {
  await host.stop();
}

/** Where devhost's and Azurite's CPU went during the sequential phase. */
async function printProfiles() {
  for (let i = 0; i < 50 && readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile')).length < 2; i++) await sleep(100);
  const root = new URL('../../..', import.meta.url).pathname.replace(/\/$/, '');
  for (const [name, pid] of Object.entries(pids)) {
    const file = join(PROFILE_DIR, `${pid}.cpuprofile`);
    if (!existsSync(file)) {
      console.log(`\n${name}: no profile was written (${file})`);
      continue;
    }
    console.log(`\nCPU profile of ${name} during the sequential phase (${file}):`);
    if (name === 'devhost') console.log(profileByComponent(file, DEVHOST_PARTS).join('\n'));
    console.log(summarizeProfile(file, { root, top: 25 }));
  }
}
