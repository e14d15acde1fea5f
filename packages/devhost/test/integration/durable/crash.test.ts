// Crash safety: devhost processes are killed with SIGKILL at random moments while orchestrations, activities
// and entities work, and a new host is started over the same Azurite each time. Afterwards every instance
// must have completed with the exact output, each step must be in history exactly once (duplicates are
// recognised by message id and by task id, the sentinel row being the commit point), activities must have
// run at least once, and an entity counter must count every signal exactly once. Fixture: durable/crash
// (host.json: visibility timeouts of 2 s, so messages held by a killed host come back quickly).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { partitionOf } from '../../../src/durable/names.js';
import { startAzurite, startHost, type TestHost } from '../../../src/testing.js';
import { prng } from '../../../src/random.js';

const APP = 'test/fixtures/durable/crash';
const INSTANCES = ['crash-0', 'crash-1', 'crash-2', 'crash-3', 'crash-4'];
const KILLS = 9;

let azurite: Awaited<ReturnType<typeof startAzurite>>;
let host: TestHost | undefined;
let dir: string;

beforeAll(async () => {
  azurite = await startAzurite();
  dir = mkdtempSync(join(tmpdir(), 'durable-crash-'));
});

afterAll(async () => {
  await host?.kill();
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectedOutput(id: string) {
  const seq: string[] = [];
  for (let i = 0; i < 10; i++) seq.push(`${id}:seq:${i}${i > 0 ? `<${seq[i - 1]!.split(':').at(-1)}` : ''}`);
  return { seq, fan: Array.from({ length: 10 }, (_, i) => `${id}:fan:${i}`), go: { from: 'test', id } };
}

type Row = Record<string, unknown> & { rowKey: string };

/** The committed history of an instance's current execution, straight from the History table. */
async function committedHistory(table: TableClient, instanceId: string): Promise<Row[]> {
  const rows: Row[] = [];
  let sentinel: Row | undefined;
  for await (const row of table.listEntities<Row>({ queryOptions: { filter: `PartitionKey eq '${instanceId}'` } })) {
    if (row.rowKey === 'sentinel') sentinel = row;
    else rows.push(row);
  }
  expect(sentinel, `${instanceId} has a sentinel row`).toBeDefined();
  const length = Number(sentinel!.HistoryLength);
  return rows
    .filter((r) => r.ExecutionId === sentinel!.ExecutionId && parseInt(r.rowKey, 16) < length)
    .sort((a, b) => a.rowKey.localeCompare(b.rowKey));
}

/** A compact picture of history rows for failure messages: `TaskScheduled#3`, `TaskCompleted>3`, … */
function picture(rows: Row[]): string {
  return rows
    .map((r) => {
      const type = String(r.EventType);
      if (typeof r.TaskScheduledId === 'number') return `${type}>${r.TaskScheduledId}`;
      if (typeof r.EventId === 'number' && r.EventId >= 0) return `${type}#${r.EventId}`;
      return type === 'EventRaised' ? `${type}(${String(r.Name)})` : type;
    })
    .join(' ');
}

async function startOver(env: Record<string, string>): Promise<TestHost> {
  return startHost({ app: APP, storage: azurite.connectionString, env });
}

test(
  `${KILLS} SIGKILLs at random moments: every instance completes exactly once, every signal counts once`,
  { timeout: 180_000 },
  async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const log = join(dir, 'activities.log');
    const env = { ACTIVITY_LOG: log };
    const where = `(CRASH_SEED=${seed})`;
    const api = (path: string, init?: RequestInit) => host!.fetch(`/runtime/webhooks/durabletask/${path}`, init);
    const post = (body: unknown): RequestInit => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

    host = await startOver(env);
    for (const id of INSTANCES) {
      expect((await api(`orchestrators/workload/${id}`, { method: 'POST' })).status).toBe(202);
      expect((await api(`instances/${id}/raiseEvent/go`, post({ from: 'test', id }))).status).toBe(202);
    }

    let directSignals = 0;
    const delays: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      // Signals acknowledged with 202 before the kill is armed: each must count exactly once.
      for (let s = 0; s < 3; s++) {
        expect((await api('entities/counter/direct?op=add', post(1))).status).toBe(202);
        directSignals++;
      }
      const delay = 100 + Math.floor(random() * 500);
      delays.push(delay);
      await sleep(delay);
      await host.kill();
      host = await startOver(env);
    }

    // The last host finishes the work; messages the killed hosts held come back after their visibility timeout.
    const deadline = Date.now() + 90_000;
    let statuses: { instanceId: string; runtimeStatus: string; output: unknown }[] = [];
    for (;;) {
      statuses = await Promise.all(INSTANCES.map(async (id) => (await (await api(`instances/${id}`)).json()) as (typeof statuses)[number]));
      const steps = await api('entities/counter/steps');
      const direct = await api('entities/counter/direct');
      const counts = [steps.status === 200 ? await steps.json() : null, direct.status === 200 ? await direct.json() : null];
      if (statuses.every((s) => s.runtimeStatus === 'Completed') && counts[0] === 50 && counts[1] === directSignals) break;
      if (Date.now() > deadline) {
        throw new Error(
          `not done after the kills ${where}, delays ${delays}: ${JSON.stringify(statuses.map((s) => s.runtimeStatus))}, counters ${counts}\n${host.output().slice(-3000)}`,
        );
      }
      await sleep(250);
    }
    await host.idle();

    // Exact outputs: no activity result lost or mixed up.
    for (const s of statuses) expect(s.output, `${s.instanceId} ${where}`).toEqual(expectedOutput(s.instanceId));

    // History: one TaskScheduled and one TaskCompleted per task id, completions after their scheduling,
    // one EventSent per signal, exactly one EventRaised, one start and one end.
    const table = TableClient.fromConnectionString(azurite.connectionString, 'CrashHubHistory', { allowInsecureConnection: true });
    for (const id of INSTANCES) {
      const rows = await committedHistory(table, id);
      const where = `(CRASH_SEED=${seed}) history: ${picture(rows)}`;
      const at = (type: string) => rows.filter((r) => r.EventType === type);
      const scheduled = at('TaskScheduled').map((r) => r.EventId as number);
      const completed = at('TaskCompleted').map((r) => r.TaskScheduledId as number);
      const sent = at('EventSent').map((r) => r.EventId as number);
      const activityIds = [...Array.from({ length: 10 }, (_, i) => 2 * i), ...Array.from({ length: 10 }, (_, i) => 20 + i)];
      expect(
        [...scheduled].sort((a, b) => a - b),
        `${id} TaskScheduled ${where}`,
      ).toEqual(activityIds);
      expect(
        [...completed].sort((a, b) => a - b),
        `${id} TaskCompleted ${where}`,
      ).toEqual(activityIds);
      expect(sent, `${id} EventSent ${where}`).toEqual(Array.from({ length: 10 }, (_, i) => 2 * i + 1));
      for (const taskId of activityIds) {
        const s = rows.findIndex((r) => r.EventType === 'TaskScheduled' && r.EventId === taskId);
        const c = rows.findIndex((r) => r.EventType === 'TaskCompleted' && r.TaskScheduledId === taskId);
        expect(c, `${id} task ${taskId} completes after it is scheduled ${where}`).toBeGreaterThan(s);
      }
      // The sequence really was a sequence: step i+1 was scheduled only after step i completed.
      for (let i = 0; i < 9; i++) {
        const done = rows.findIndex((r) => r.EventType === 'TaskCompleted' && r.TaskScheduledId === 2 * i);
        const next = rows.findIndex((r) => r.EventType === 'TaskScheduled' && r.EventId === 2 * (i + 1));
        expect(next, `${id} step ${i + 1} after step ${i} ${where}`).toBeGreaterThan(done);
      }
      expect(
        at('EventRaised').map((r) => r.Name),
        `${id} EventRaised ${where}`,
      ).toEqual(['go']);
      expect(at('ExecutionStarted'), `${id} ${where}`).toHaveLength(1);
      expect(
        at('ExecutionCompleted').map((r) => [r.EventId, r.OrchestrationStatus]),
        `${id} ${where}`,
      ).toEqual([[30, 'Completed']]);
      expect(rows.at(-1)!.EventType).toBe('OrchestratorCompleted');
      // Every row has a distinct sequence number from 0 up (no gaps from abandoned checkpoints).
      expect(rows.map((r) => parseInt(r.rowKey, 16))).toEqual(rows.map((_, i) => i));
    }

    // Activities: at least once each (maybe more: a host killed after running one but before its result was
    // recorded runs it again).
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const runs = new Map<string, number>();
    for (const line of lines) {
      const [id, kind, i] = line.split(' ');
      runs.set(`${id} ${kind} ${i}`, (runs.get(`${id} ${kind} ${i}`) ?? 0) + 1);
    }
    for (const id of INSTANCES) {
      for (const kind of ['seq', 'fan']) {
        for (let i = 0; i < 10; i++)
          expect(runs.get(`${id} ${kind} ${i}`) ?? 0, `${id} ${kind} ${i} ran ${where}`).toBeGreaterThanOrEqual(1);
      }
    }
    expect(runs.size).toBe(100);
    const pids = new Set(lines.map((l) => l.split(' ')[3]));
    console.log(
      `crash test ${where}: kill delays ${delays.join(', ')} ms; ${lines.length} activity runs for 100 activities over ${pids.size} host processes`,
    );
  },
);

test('redelivered and forged duplicates are recognised: by message id, by task id, by execution id', async () => {
  host ??= await startOver({ ACTIVITY_LOG: join(dir, 'duplicates.log') });
  const api = (path: string, init?: RequestInit) => host!.fetch(`/runtime/webhooks/durabletask/${path}`, init);
  const post = (body: unknown): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const instances = TableClient.fromConnectionString(azurite.connectionString, 'CrashHubInstances', { allowInsecureConnection: true });
  const executionOf = async (id: string) => String((await instances.getEntity(id, '')).ExecutionId);
  /** Puts a message on the instance's control queue exactly as the engine writes them (DTFx MessageData). */
  const deliver = async (instanceId: string, executionId: string, event: Record<string, unknown>, messageId: string) => {
    const queue = host!.queue.client(`crashhub-control-${String(partitionOf(instanceId, 2)).padStart(2, '0')}`);
    const at = new Date().toISOString();
    const message = {
      $type: 'DurableTask.AzureStorage.MessageData',
      ActivityId: messageId,
      TaskMessage: {
        $type: 'DurableTask.Core.TaskMessage',
        Event: { EventId: -1, IsPlayed: false, Timestamp: at, ...event },
        SequenceNumber: 0,
        OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
      },
      CompressedBlobName: null,
      SequenceNumber: 0,
    };
    await queue.sendMessage(JSON.stringify(message));
  };
  const status = async (id: string) =>
    (await (await api(`instances/${id}?showHistory=true`)).json()) as {
      runtimeStatus: string;
      output: unknown;
      historyEvents: { EventType: string }[];
    };

  expect((await api('orchestrators/waitTwice/dup-1', { method: 'POST' })).status).toBe(202);
  await host.idle();
  const execution = await executionOf('dup-1');
  // A second completion of task 0 (another message id, another result): the task already completed.
  await deliver('dup-1', execution, { EventType: 5, TaskScheduledId: 0, Result: '"forged"' }, randomUUID());
  const event = { EventType: 15, Name: 'item', Input: '"e1"' };
  const eventId = randomUUID();
  await deliver('dup-1', execution, event, eventId);
  await host.idle();
  // The same event message again, as after a crash between checkpoint and delete.
  await deliver('dup-1', execution, event, eventId);
  await host.idle();
  expect((await status('dup-1')).runtimeStatus).toBe('Running');
  expect((await api('instances/dup-1/raiseEvent/item', post('e2'))).status).toBe(202);
  await host.idle();
  const done = await status('dup-1');
  expect(done).toMatchObject({ runtimeStatus: 'Completed', output: { first: 'dup-1:once:0', events: ['e1', 'e2'] } });
  // A second start of the execution that already ran is ignored too.
  await deliver(
    'dup-1',
    execution,
    {
      EventType: 0,
      Name: 'waitTwice',
      Input: null,
      OrchestrationInstance: { InstanceId: 'dup-1', ExecutionId: execution },
      ParentInstance: null,
    },
    randomUUID(),
  );
  await host.idle();
  const after = await status('dup-1');
  expect(after.output).toEqual(done.output);
  expect(after.historyEvents.map((e) => e.EventType)).toEqual([
    'ExecutionStarted',
    'TaskCompleted',
    'EventRaised',
    'EventRaised',
    'ExecutionCompleted',
  ]);
});

// A message redelivered after the continueAsNew checkpoint (a crash between checkpoint and delete) must not
// be applied to the next execution as a new event: [1, 2, 3], not [1, 1, 2].
test('an event message redelivered after its execution continued as new is not applied again', async () => {
  host ??= await startOver({ ACTIVITY_LOG: join(dir, 'duplicates.log') });
  const api = (path: string, init?: RequestInit) => host!.fetch(`/runtime/webhooks/durabletask/${path}`, init);
  const post = (body: unknown): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const instances = TableClient.fromConnectionString(azurite.connectionString, 'CrashHubInstances', { allowInsecureConnection: true });
  const execution = async (id: string) => String((await instances.getEntity(id, '')).ExecutionId);
  const queue = host.queue.client(`crashhub-control-${String(partitionOf('dup-relay', 2)).padStart(2, '0')}`);
  const messageFor = (executionId: string, messageId: string) =>
    JSON.stringify({
      $type: 'DurableTask.AzureStorage.MessageData',
      ActivityId: messageId,
      TaskMessage: {
        $type: 'DurableTask.Core.TaskMessage',
        Event: { EventType: 15, EventId: -1, IsPlayed: false, Timestamp: new Date().toISOString(), Name: 'item', Input: '1' },
        SequenceNumber: 0,
        OrchestrationInstance: { InstanceId: 'dup-relay', ExecutionId: executionId },
      },
      CompressedBlobName: null,
      SequenceNumber: 0,
    });

  expect((await api('orchestrators/relay/dup-relay', post({ max: 3 }))).status).toBe(202);
  await host.idle();
  const first = await execution('dup-relay');
  const messageId = randomUUID();
  await queue.sendMessage(messageFor(first, messageId));
  await host.idle();
  expect(await execution('dup-relay')).not.toBe(first);
  // The message that ended the first execution comes back (a crash between the checkpoint and its delete).
  await queue.sendMessage(messageFor(first, messageId));
  await host.idle();
  for (const value of [2, 3]) expect((await api('instances/dup-relay/raiseEvent/item', post(value))).status).toBe(202);
  await host.idle();
  expect(await (await api('instances/dup-relay')).json()).toMatchObject({ runtimeStatus: 'Completed', output: [1, 2, 3] });
});

test('a timer survives a crash between the first checkpoint and the Instances row update', async () => {
  const start = Date.parse('2033-01-01T00:00:00.000Z');
  await host?.kill();
  host = await startHost({ app: APP, storage: azurite.connectionString, clock: start });
  expect((await host.fetch('/runtime/webhooks/durabletask/orchestrators/nap/nap-1', { method: 'POST' })).status).toBe(202);
  await host.idle();
  await host.kill();
  // As if the host had died after writing history (TimerCreated) but before updating the Instances row:
  // the start message is gone, so only timer recovery at start-up can wake the instance.
  const instances = TableClient.fromConnectionString(azurite.connectionString, 'CrashHubInstances', { allowInsecureConnection: true });
  const row = await instances.getEntity('nap-1', '');
  expect(row.RuntimeStatus).toBe('Running');
  await instances.updateEntity({ partitionKey: 'nap-1', rowKey: '', RuntimeStatus: 'Pending' }, 'Merge');

  host = await startHost({ app: APP, storage: azurite.connectionString, clock: start + 2 * 60 * 60_000 });
  const deadline = Date.now() + 15_000;
  let status: { runtimeStatus: string; output: unknown };
  do {
    await host.idle();
    status = (await (await host.fetch('/runtime/webhooks/durabletask/instances/nap-1')).json()) as typeof status;
  } while (status.runtimeStatus !== 'Completed' && Date.now() < deadline);
  expect(status).toMatchObject({ runtimeStatus: 'Completed', output: `woke at ${new Date(start + 2 * 60 * 60_000).toISOString()}` });
});
