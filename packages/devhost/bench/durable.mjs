// Durable engine throughput on devhost, next to the published Durable Functions (Azure Storage provider)
// per-instance figures and raw Azurite rates measured in this same run. Prints figures; exits 0.
import { QueueServiceClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { startHost } from '../dist/testing.js';

const APP = new URL('./apps/durable', import.meta.url).pathname;
const PUBLISHED = { sequential: 5, fanOut: 100, fanIn: 150, events: 50 };
// Sequential: half the same-run raw queue round-trip rate (one round trip a step is the limit), set once measured.
const TARGETS = { fanOut: 500, events: 250 };
const N = { sequential: 300, fanOut: 1000, events: 500, orchestrations: 100 };

const host = await startHost({ app: APP, startTimeoutMs: 60_000 });
const api = (path, init) => host.fetch(`/runtime/webhooks/durabletask${path}`, init);

async function start(name, id, input) {
  const res = await api(`/orchestrators/${name}/${id}`, {
    method: 'POST',
    body: JSON.stringify(input),
    headers: { 'content-type': 'application/json' },
  });
  if (res.status !== 202) throw new Error(`start ${name}: ${res.status} ${await res.text()}`);
}

async function waitDone(id, { history = false } = {}) {
  for (;;) {
    const res = await api(`/instances/${id}?showHistory=${history}&showHistoryOutput=false`);
    const body = await res.json();
    if (body.runtimeStatus === 'Completed') return body;
    if (['Failed', 'Terminated'].includes(body.runtimeStatus))
      throw new Error(`${id}: ${body.runtimeStatus} ${JSON.stringify(body.output)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const rate = (n, ms) => (n / (ms / 1000)).toFixed(1);
const results = [];

try {
  // Warm-up: first invocations load code and create the hub.
  await start('hello5', 'warm', null);
  await waitDone('warm');

  // 1. Sequential activities in one orchestration.
  let t = performance.now();
  await start('sequence', 'seq', N.sequential);
  await waitDone('seq');
  const seqMs = performance.now() - t;
  const sequential = ['sequential activities/s (one orchestration)', rate(N.sequential, seqMs), PUBLISHED.sequential, undefined];
  results.push(sequential);

  // 2 + 3. Fan-out then fan-in, read off the history's timestamps.
  t = performance.now();
  await start('fanOut', 'fan', N.fanOut);
  const fan = await waitDone('fan', { history: true });
  const fanMs = performance.now() - t;
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
    await new Promise((r) => setTimeout(r, 10));
  }
  t = performance.now();
  let next = 0;
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
      }
    }),
  );
  await waitDone('ev');
  results.push(['external events/s (one instance)', rate(N.events, performance.now() - t), PUBLISHED.events, TARGETS.events]);

  // 5. Many 5-step orchestrations, started to completed.
  t = performance.now();
  await Promise.all(Array.from({ length: N.orchestrations }, (_, i) => start('hello5', `h5-${i}`, null)));
  for (let i = 0; i < N.orchestrations; i++) await waitDone(`h5-${i}`);
  results.push([
    `HelloSequence5 orchestrations/s (${N.orchestrations} started at once)`,
    rate(N.orchestrations, performance.now() - t),
    undefined,
    undefined,
  ]);

  // Baselines on the same Azurite.
  const queues = QueueServiceClient.fromConnectionString(host.storage);
  const q = queues.getQueueClient('bench-baseline');
  await q.createIfNotExists();
  t = performance.now();
  for (let i = 0; i < 300; i++) {
    await q.sendMessage('x');
    const {
      receivedMessageItems: [m],
    } = await q.receiveMessages();
    await q.deleteMessage(m.messageId, m.popReceipt);
  }
  const rawQueue = rate(300, performance.now() - t);
  sequential[3] = Number((Number(rawQueue) / 2).toFixed(1));
  const table = TableClient.fromConnectionString(host.storage, 'benchbaseline', { allowInsecureConnection: true });
  await table.createTable();
  t = performance.now();
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
  console.log(`  queue send+receive+delete, sequential: ${rawQueue} round trips/s`);
  console.log(`  table upsert, sequential:              ${rawUpsert} rows/s`);
  console.log(`  table 100-row transactions:            ${rawTable} rows/s`);
  console.log(
    `\nOne sequential activity step costs ~${(seqMs / N.sequential).toFixed(1)} ms ≈ ${(((seqMs / N.sequential) * Number(rawQueue)) / 1000).toFixed(1)} raw queue round trips.`,
  );
} finally {
  await host.stop();
}
