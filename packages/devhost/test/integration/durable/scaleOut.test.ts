// Scale-out, as Azure runs a Function app on several instances over one storage account: devhost processes
// sharing an Azurite split the task hub's control partitions between them through blob leases, a killed
// process's partitions go to the others once its leases lapse, and a timer trigger fires on one instance
// only. Fixture: durable/scaleout (4 partitions; visibility timeouts of 20 s, so messages a killed host held
// come back as they do on Azure, after the visibility timeout).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startAzurite, startHost, type TestHost } from '../../../src/testing.js';
import { durableApi } from './support.js';

const APP = 'test/fixtures/durable/scaleout';
const INSTANCES = Array.from({ length: 20 }, (_, i) => `spread-${i}`);
const ALL_PARTITIONS = [0, 1, 2, 3];

let azurite: Awaited<ReturnType<typeof startAzurite>>;
let dir: string;
const hosts: TestHost[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  dir = mkdtempSync(join(tmpdir(), 'durable-scaleout-'));
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.kill()));
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function partitions(host: TestHost): Promise<number[]> {
  const res = await host.adminFetch('/admin/devhost/info');
  return ((await res.json()) as { durable: { partitions: number[] } }).durable.partitions;
}

async function start(env: Record<string, string>): Promise<TestHost> {
  const host = await startHost({ app: APP, storage: azurite.connectionString, env });
  hosts.push(host);
  return host;
}

function lines(file: string): string[][] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '))
    : [];
}

type Row = Record<string, unknown> & { rowKey: string };

/** The committed history of an instance, straight from the History table (rows below the sentinel's length). */
async function committedHistory(table: TableClient, instanceId: string): Promise<Row[]> {
  const rows: Row[] = [];
  let length = 0;
  for await (const row of table.listEntities<Row>({ queryOptions: { filter: `PartitionKey eq '${instanceId}'` } })) {
    if (row.rowKey === 'sentinel') length = Number(row.HistoryLength);
    else rows.push(row);
  }
  return rows.filter((r) => parseInt(r.rowKey, 16) < length).sort((a, b) => a.rowKey.localeCompare(b.rowKey));
}

test(
  'two hosts over one storage split the partitions; orchestrations started on one complete across a kill -9 of the other, each result applied once; the timer fires on one host only',
  { timeout: 300_000 },
  async () => {
    const activityLog = join(dir, 'activities.log');
    const timerLog = join(dir, 'timer.log');
    const env = { ACTIVITY_LOG: activityLog, TIMER_LOG: timerLog };

    // A lone host owns every partition as soon as it has started.
    const a = await start(env);
    expect(await partitions(a)).toEqual(ALL_PARTITIONS);

    // A second host on the same storage: A hands half over, and together they own each partition once.
    const b = await start(env);
    const split = await until(
      'the partitions to split between the two hosts',
      async () => {
        const [pa, pb] = await Promise.all([partitions(a), partitions(b)]);
        return pa.length === 2 && pb.length === 2 ? { pa, pb } : undefined;
      },
      60_000,
    );
    expect([...split.pa, ...split.pb].sort()).toEqual(ALL_PARTITIONS);
    const bothRunning = Date.now();

    // Started on A; about half the instances live on B's partitions, and activities run on either host.
    const api = durableApi(a);
    for (const id of INSTANCES) await api.start('spread', id);
    for (const id of INSTANCES) await api.raise(id, 'go', { id });
    const bPid = String(b.process.pid);
    await until('host B to run activities', async () => (lines(activityLog).some((l) => l[2] === bPid) ? true : undefined), 60_000);
    // The 2-second timer fires at least once while both run, whatever the machine's load.
    await until(
      'the timer to fire while both hosts run',
      async () => (lines(timerLog).some(([, at]) => Date.parse(at!) >= bothRunning) ? true : undefined),
      30_000,
    );
    await b.kill();
    const killedAt = Date.now();

    // A takes B's partitions once their leases lapse (15 s), and finishes everything.
    await until('host A to own every partition', async () => ((await partitions(a)).length === 4 ? true : undefined), 60_000);
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThan(45_000);
    const statuses = await until(
      'every orchestration to complete',
      async () => {
        const all = await Promise.all(INSTANCES.map((id) => api.status(id)));
        return all.every((s) => s.runtimeStatus === 'Completed') ? all : undefined;
      },
      150_000,
    );
    for (const s of statuses) {
      const id = s.instanceId;
      expect(s.output).toEqual({ fan: [0, 1, 2, 3].map((i) => `${id}:fan${i}`), go: { id }, last: `${id}:last` });
    }

    // History: each task completed exactly once, one timer fired, one event raised.
    const table = TableClient.fromConnectionString(azurite.connectionString, 'ScaleHubHistory', { allowInsecureConnection: true });
    for (const id of INSTANCES) {
      const rows = await committedHistory(table, id);
      const of = (type: string) => rows.filter((r) => r.EventType === type);
      const scheduled = of('TaskScheduled').map((r) => r.EventId as number);
      expect(scheduled, `${id} TaskScheduled`).toHaveLength(5);
      expect(
        of('TaskCompleted')
          .map((r) => r.TaskScheduledId as number)
          .sort((x, y) => x - y),
        `${id} TaskCompleted`,
      ).toEqual([...scheduled].sort((x, y) => x - y));
      expect(of('TimerFired'), `${id} TimerFired`).toHaveLength(1);
      expect(of('EventRaised'), `${id} EventRaised`).toHaveLength(1);
      expect(of('ExecutionCompleted'), `${id} ExecutionCompleted`).toHaveLength(1);
    }
    // Activities ran at least once each (a run on B whose result B had not handed on may run again on A).
    const runs = new Set(lines(activityLog).map((l) => `${l[0]} ${l[1]}`));
    expect(runs.size).toBe(INSTANCES.length * 5);

    // While both hosts ran, the timer fired on one of them only.
    const firings = lines(timerLog).map(([pid, at]) => ({ pid: pid!, at: Date.parse(at!) }));
    const together = firings.filter((f) => f.at >= bothRunning && f.at < killedAt);
    expect(together.length).toBeGreaterThan(0);
    expect(new Set(together.map((f) => f.pid))).toEqual(new Set([String(a.process.pid)]));

    // A third host joins; the timer's holder A is killed: C takes the partitions and the timer over.
    const c = await start(env);
    await until('the partitions to split between A and C', async () => ((await partitions(c)).length === 2 ? true : undefined), 60_000);
    await a.kill();
    const aKilledAt = Date.now();
    await until('host C to own every partition', async () => ((await partitions(c)).length === 4 ? true : undefined), 60_000);
    const cPid = String(c.process.pid);
    await until(
      'host C to fire the timer',
      async () => (lines(timerLog).some(([pid, at]) => pid === cPid && Date.parse(at!) > aKilledAt) ? true : undefined),
      60_000,
    );
    // Never two hosts at once: every firing by C came after A was gone.
    const byC = lines(timerLog).filter(([pid]) => pid === cPid);
    for (const [, at] of byC) expect(Date.parse(at!)).toBeGreaterThan(aKilledAt);
    console.log(`scale-out: B's partitions moved to A ${takeover} ms after the kill`);
  },
);

test('devhost --instances 3 runs three instances over one storage, which share the partitions out, and Ctrl-C stops them all', async () => {
  const child = spawn(process.execPath, ['dist/cli.js', '--app', APP, '--port', '0', '--instances', '3'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const urls = await until(
      'three hosts to start',
      async () => {
        const found = [...output.matchAll(/Host started: (http:\/\/\S+)/g)].map((m) => m[1]!);
        return found.length === 3 ? found : undefined;
      },
      90_000,
    );
    const owned = async (url: string) =>
      ((await (await fetch(`${url}/admin/devhost/info`)).json()) as { durable: { partitions: number[] } }).durable.partitions;
    // 4 partitions over 3 instances: 2, 1 and 1, each partition owned once.
    const split = await until(
      'the partitions to spread over the three instances',
      async () => {
        const all = await Promise.all(urls.map(owned));
        return all.every((p) => p.length >= 1) && all.flat().length === ALL_PARTITIONS.length ? all : undefined;
      },
      90_000,
    );
    expect(split.flat().sort()).toEqual(ALL_PARTITIONS);
    expect(output).toMatch(/\[instance 2\] Host started/);
    expect(output).toMatch(/\[instance 3\] Host started/);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // The other instances stopped with it: their ports no longer answer.
    for (const url of urls) await expect(fetch(`${url}/admin/host/status`)).rejects.toThrow();
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 180_000);

test('when the first of --instances 2 is killed with SIGKILL, the others stop too rather than linger', async () => {
  const child = spawn(process.execPath, ['dist/cli.js', '--app', APP, '--port', '0', '--instances', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const second = await until(
      'the second instance to start',
      async () => /\[instance 2\] Host started: (http:\/\/\S+)/.exec(output)?.[1],
      90_000,
    );
    expect((await fetch(`${second}/admin/host/status`)).status).toBe(200);
    child.kill('SIGKILL');
    await until(
      'the second instance to stop',
      () =>
        fetch(`${second}/admin/host/status`).then(
          () => undefined,
          () => true,
        ),
      30_000,
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 120_000);
