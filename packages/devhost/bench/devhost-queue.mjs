#!/usr/bin/env node
// Benchmark (not a test): queue-trigger messages/s in devhost against the raw rate of the same Azurite,
// in one run. One in-memory Azurite (devhost's own launcher) serves every phase:
//   1. raw round trip: sequential send → receive(1) → delete of one message at a time (latency-bound);
//   2. raw drain: N pre-loaded messages, receive 32 → delete them in parallel → repeat until empty;
//   3. devhost: N pre-loaded messages, devhost started on the bench/apps/queue-drain app (a trigger that
//      only counts), timed from the first invocation until the queue is empty (every message deleted);
//   4. raw drain again, to see drift (another process on the machine, Azurite warming up).
// Target: devhost ≥ 50% of the raw drain rate (the better of its two runs). Prints PASS/MISS; exits 0
// unless something crashed. Run after a build: `npm run bench:devhost-queue`.
//
// Options: --messages <n> (2000)  --roundtrip-seconds <s> (4)
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { QueueServiceClient } from '@azure/storage-queue';
import { azuritePids, checkGone, cpuMeter } from './lib/proc.mjs';
import { cleanupAll, onCleanup } from './lib/cleanup.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000' },
    'roundtrip-seconds': { type: 'string', default: '4' },
  },
});
const N = Number(opts.messages);
const ROUNDTRIP_MS = Number(opts['roundtrip-seconds']) * 1000;
const TARGET = 0.5;
const SEND_CONCURRENCY = 32;

const load = (file) =>
  import(join(root, 'dist', file)).catch((error) => {
    throw new Error(`dist/${file} is missing: run \`npm run build\` first (${error.message})`);
  });
const { startAzurite } = await load('storage/azurite.js');
const { startHost } = await load('testing.js');

/** The message body a Functions app would get: base64 of JSON (host.json messageEncoding default). */
const body = (i) => Buffer.from(JSON.stringify({ i, kind: 'bench', note: 'a small queue message of ordinary size' })).toString('base64');
const expectedChecksum = (n) => (n * (n - 1)) / 2;

async function preload(queue, n) {
  await queue.createIfNotExists();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: SEND_CONCURRENCY }, async () => {
      while (next < n) await queue.sendMessage(body(next++));
    }),
  );
  const ms = performance.now() - started;
  const { approximateMessagesCount } = await queue.getProperties();
  if (approximateMessagesCount !== n)
    throw new Error(`pre-loaded ${n} messages into ${queue.name} but it holds ${approximateMessagesCount}`);
  return { ms, rate: (n / ms) * 1000 };
}

/** receive 32 → delete them in parallel → repeat until a receive comes back empty. */
async function rawDrain(queue, n, pids = {}) {
  const meter = cpuMeter(pids);
  const started = performance.now();
  let count = 0;
  let half; // when count reached n / 2, for the second-half rate
  for (;;) {
    const { receivedMessageItems: batch } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 600 });
    if (batch.length === 0) break;
    await Promise.all(batch.map((m) => queue.deleteMessage(m.messageId, m.popReceipt)));
    if (count < n / 2 && count + batch.length >= n / 2) half = { at: performance.now(), count: count + batch.length };
    count += batch.length;
  }
  const ended = performance.now();
  const ms = ended - started;
  if (count !== n) throw new Error(`raw drain removed ${count} messages, expected ${n}`);
  const secondHalfRate = half ? ((count - half.count) / (ended - half.at)) * 1000 : NaN;
  return { ms, rate: (count / ms) * 1000, secondHalfRate, cpu: meter.since() };
}

/** One message at a time: send, receive it, delete it; for `ms` milliseconds. */
async function rawRoundTrip(queue, ms, pids) {
  await queue.createIfNotExists();
  const meter = cpuMeter(pids);
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < ms) {
    await queue.sendMessage(body(count));
    const {
      receivedMessageItems: [m],
    } = await queue.receiveMessages({ numberOfMessages: 1 });
    if (!m) throw new Error('round trip: the message just sent was not received');
    await queue.deleteMessage(m.messageId, m.popReceipt);
    count++;
  }
  const elapsed = performance.now() - started;
  return { ms: elapsed, rate: (count / elapsed) * 1000, count, cpu: meter.since() };
}

async function devhostRun(service, connectionString, n, azuritePid) {
  const queue = service.getQueueClient('bench-in');
  const pre = await preload(queue, n);
  const host = await startHost({
    app: join(here, 'apps/queue-drain'),
    port: 0,
    storage: connectionString,
    env: { BENCH_EXPECTED: String(n) },
    startTimeoutMs: 60_000,
  });
  onCleanup(async () => {
    const timer = setTimeout(() => host.kill(), 15_000);
    await host.stop();
    clearTimeout(timer);
  });
  const first = Number((await host.waitForOutput(/bench: first (\d+)/, 30_000))[1]);
  const meter = cpuMeter({ devhost: host.process.pid, azurite: azuritePid, bench: process.pid });
  const done = await host.waitForOutput(/bench: done (\d+) count (\d+) checksum (\d+)/, 120_000);
  // Every invocation has run; the last deletes may still be on their way. Wait for an empty queue.
  let empty;
  for (;;) {
    const { approximateMessagesCount } = await queue.getProperties();
    empty = Date.now();
    if (approximateMessagesCount === 0) break;
    if (empty - first > 120_000) throw new Error(`devhost left ${approximateMessagesCount} messages in bench-in`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const cpu = meter.since();
  const half = Number(/bench: half (\d+)/.exec(host.output())?.[1]);
  const poison = await service.getQueueClient('bench-in-poison').exists();
  if (Number(done[3]) !== expectedChecksum(n)) throw new Error(`devhost checksum ${done[3]}, expected ${expectedChecksum(n)}`);
  if (poison) throw new Error('devhost moved messages to bench-in-poison');
  const stopCode = await host.stop();
  if (stopCode !== 0) console.warn(`devhost exited with code ${stopCode}:\n${host.output()}`);
  const ms = empty - first;
  return {
    pre,
    ms,
    cpu,
    rate: (n / ms) * 1000,
    secondHalfRate: Number.isFinite(half) ? ((n - Math.floor(n / 2)) / (empty - half)) * 1000 : NaN,
  };
}

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
/** "azurite 80% +15% waiting, bench 10%": CPU each process used as a share of one core over the phase,
 * and how long its main thread was ready to run but found no free core (other load on the machine). */
const cpuText = (cpu) =>
  cpu
    ? Object.entries(cpu.used)
        .map(([name, s]) => {
          const waited = cpu.waited[name] / cpu.wall;
          return `${name} ${fmt((100 * s) / cpu.wall)}%${waited >= 0.01 ? ` +${fmt(100 * waited)}% waiting` : ''}`;
        })
        .join(', ')
    : '';

let azurite;
async function main() {
  console.log(`devhost queue-trigger benchmark — ${N} messages, one in-memory Azurite for every phase`);
  azurite = await startAzurite();
  onCleanup(() => azurite.stop());
  const azuritePid = azuritePids(azurite.connectionString)[0];
  const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
  const rawPids = { azurite: azuritePid, bench: process.pid };

  // Warm Azurite (and this process's client) up: the same operations, untimed.
  const warm = service.getQueueClient('bench-warm');
  await preload(warm, 500);
  await rawDrain(warm, 500);

  process.stdout.write('raw round trip… ');
  const roundTrip = await rawRoundTrip(service.getQueueClient('bench-roundtrip'), ROUNDTRIP_MS, rawPids);
  console.log(`${fmt(roundTrip.rate)} msg/s`);

  process.stdout.write('raw drain #1… ');
  const pre1 = await preload(service.getQueueClient('bench-raw'), N);
  const drain1 = await rawDrain(service.getQueueClient('bench-raw'), N, rawPids);
  console.log(`${fmt(drain1.rate)} msg/s`);

  process.stdout.write('devhost… ');
  const dh = await devhostRun(service, azurite.connectionString, N, azuritePid);
  console.log(`${fmt(dh.rate)} msg/s`);

  process.stdout.write('raw drain #2… ');
  await preload(service.getQueueClient('bench-raw'), N);
  const drain2 = await rawDrain(service.getQueueClient('bench-raw'), N, rawPids);
  console.log(`${fmt(drain2.rate)} msg/s`);

  const baseline = Math.max(drain1.rate, drain2.rate);
  console.log('');
  console.log(
    `${pad('phase', 50)}${lpad('msg/s', 7)}${lpad('2nd half', 10)}${lpad('ms', 7)}   CPU (% of one core; waiting = ready, no free core)`,
  );
  const row = (name, r) =>
    console.log(`${pad(name, 50)}${lpad(fmt(r.rate), 7)}${lpad(fmt(r.secondHalfRate), 10)}${lpad(fmt(r.ms), 7)}   ${cpuText(r.cpu)}`);
  row(`pre-load (send only, ${SEND_CONCURRENCY} in parallel)`, pre1);
  row(`raw round trip (send+receive+delete, sequential)`, roundTrip);
  row(`raw drain #1 (receive 32 + parallel deletes)`, drain1);
  row(`raw drain #2`, drain2);
  row(`devhost queue trigger (first invocation → empty)`, dh);
  console.log(`("2nd half": the rate over the last N/2 messages, when the queue is shorter and Azurite cheaper per call)`);
  const ratio = dh.rate / baseline;
  console.log('');
  console.log(`devhost / raw drain (better of the two runs, ${fmt(baseline)} msg/s): ${fmt(ratio * 100, 1)}%`);
  console.log(
    `devhost / raw sequential round trip (${fmt(roundTrip.rate)} msg/s): ${fmt((dh.rate / roundTrip.rate) * 100, 1)}% (informational)`,
  );
  console.log(`Target: devhost ≥ ${TARGET * 100}% of the raw drain rate → ${ratio >= TARGET ? 'PASS' : 'MISS'}`);
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`benchmark failed: ${error.stack ?? error}`);
} finally {
  await cleanupAll();
  if (azurite) await checkGone('Azurite', azuritePids(azurite.connectionString));
}
process.exit(failed ? 1 : 0);
