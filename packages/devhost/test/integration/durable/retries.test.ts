// Every failure and retry path, through the real durable-functions SDK on the test clock: callActivityWithRetry
// succeeding on a later attempt, exhausting maxNumberOfAttempts (caught, and failing the orchestration),
// back-off (backoffCoefficient, maxRetryIntervalInMilliseconds) as TimerCreated FireAt spacing,
// callSubOrchestratorWithRetry, sub-orchestration failures caught by and failing the parent, and the
// messages users see. Fixture: durable/retries. One host, test clock.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';
import { durableApi, historyNotation, historyRows, type HistoryRow } from './support.js';

const HUB = 'RetriesHub';
const T0 = '2026-03-01T00:00:00.000Z';
const SECOND = 1000;

let host: TestHost;
let d: ReturnType<typeof durableApi>;

beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/durable/retries', clock: T0 });
  d = durableApi(host);
});

afterAll(async () => {
  await host?.stop();
});

const now = async () => (await host.clock.now()).getTime();
const iso = (ms: number) => new Date(ms).toISOString();
/** For each retry timer: FireAt minus the time it was created (the back-off delay). */
const delays = (rows: HistoryRow[]) =>
  rows.filter((r) => r.EventType === 'TimerCreated').map((r) => r.FireAt!.getTime() - r.Timestamp.getTime());

/** Skips the clock from timer to timer until the instance ends; returns where each skip went. */
async function skipUntilDone(id: string, max = 20): Promise<number[]> {
  const stops: number[] = [];
  await host.idle();
  while ((await d.status(id)).runtimeStatus === 'Running') {
    const to = await host.clock.skip();
    expect(to, `nothing left to wait for, but ${id} is still running`).toBeDefined();
    stops.push(to!.getTime());
    expect(stops.length).toBeLessThanOrEqual(max);
  }
  return stops;
}

describe('callActivityWithRetry', () => {
  test('fails once, succeeds on attempt 2 after the first retry interval', async () => {
    const start = await now();
    await d.start('activityWithRetry', 'retry-ok', { key: 'retry-ok', failTimes: 1, retry: { first: 5 * SECOND, max: 3 } });
    await host.idle();
    expect((await d.status('retry-ok')).runtimeStatus).toBe('Running');
    const stops = await skipUntilDone('retry-ok');
    expect(stops).toEqual([start + 5 * SECOND]);
    expect(await d.status('retry-ok')).toMatchObject({ runtimeStatus: 'Completed', output: { result: { key: 'retry-ok', attempts: 2 } } });
    expect(await historyNotation(host, HUB, 'retry-ok')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskFailed@0', 'TimerCreated#1', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TimerFired@1', 'TaskScheduled#2', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskCompleted@2', 'ExecutionCompleted#3', 'OrchestratorCompleted',
    ]); // prettier-ignore
    const rows = await historyRows(host, HUB, 'retry-ok');
    expect(rows.find((r) => r.EventType === 'TaskFailed')).toMatchObject({ Reason: "Activity function 'flaky' failed: boom 1" });
    expect(delays(rows)).toEqual([5 * SECOND]);
  });

  test('exhausting maxNumberOfAttempts: a zero-delay timer after the last failure, then the orchestrator catches the last error', async () => {
    const start = await now();
    await d.start('activityWithRetry', 'retry-exhaust', {
      key: 'retry-exhaust',
      failTimes: 99,
      retry: { first: SECOND, max: 3 },
      catchError: true,
    });
    const stops = await skipUntilDone('retry-exhaust');
    // Two real waits; the timer after the third failure is due at once and needs no clock movement.
    expect(stops).toEqual([start + SECOND, start + 2 * SECOND]);
    const s = await d.status('retry-exhaust');
    expect(s.runtimeStatus).toBe('Completed');
    expect((s.output as { caught: string }).caught).toMatch(/^Activity function 'flaky' failed: boom 3\b/);
    expect(await historyNotation(host, HUB, 'retry-exhaust')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskFailed@0', 'TimerCreated#1', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TimerFired@1', 'TaskScheduled#2', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskFailed@2', 'TimerCreated#3', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TimerFired@3', 'TaskScheduled#4', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskFailed@4', 'TimerCreated#5', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TimerFired@5', 'ExecutionCompleted#6', 'OrchestratorCompleted',
    ]); // prettier-ignore
    expect(delays(await historyRows(host, HUB, 'retry-exhaust'))).toEqual([SECOND, SECOND, 0]);
  });

  test('exhausting maxNumberOfAttempts uncaught fails the orchestration with the last attempt’s error', async () => {
    await d.start('activityWithRetry', 'retry-fail', { key: 'retry-fail', failTimes: 99, retry: { first: SECOND, max: 2 } });
    await skipUntilDone('retry-fail');
    const s = await d.status('retry-fail');
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toMatch(/^Orchestrator function 'activityWithRetry' failed: Activity function 'flaky' failed: boom 2\b/);
    const list = await historyNotation(host, HUB, 'retry-fail');
    expect(list.slice(-3)).toEqual(['TimerFired@3', 'ExecutionCompleted#4', 'OrchestratorCompleted']);
    const end = (await historyRows(host, HUB, 'retry-fail')).find((r) => r.EventType === 'ExecutionCompleted')!;
    expect(end).toMatchObject({ OrchestrationStatus: 'Failed', Result: s.output });
  });

  test('backoffCoefficient and maxRetryIntervalInMilliseconds: delays 60 s, 120 s, then capped at 180 s', async () => {
    const start = await now();
    await d.start('activityWithRetry', 'retry-backoff', {
      key: 'retry-backoff',
      failTimes: 4,
      retry: { first: 60 * SECOND, max: 5, backoff: 2, maxInterval: 180 * SECOND },
    });
    const stops = await skipUntilDone('retry-backoff');
    expect(stops.map((t) => t - start)).toEqual([60, 180, 360, 540].map((s) => s * SECOND));
    expect(await d.status('retry-backoff')).toMatchObject({ runtimeStatus: 'Completed', output: { result: { attempts: 5 } } });
    const rows = await historyRows(host, HUB, 'retry-backoff');
    expect(delays(rows)).toEqual([60, 120, 180, 180].map((s) => s * SECOND));
    expect(rows.filter((r) => r.EventType === 'TimerCreated').map((r) => r.FireAt!.toISOString())).toEqual(stops.map(iso));
    expect(rows.filter((r) => r.EventType === 'TaskScheduled').map((r) => r.EventId)).toEqual([0, 2, 4, 6, 8]);
  });
});

describe('activity failures', () => {
  test('the error message a caught activity failure carries: "Activity function \'x\' failed: boom"', async () => {
    await d.start('activityFailure', 'act-caught', { message: 'boom', catchError: true });
    await host.idle();
    const s = await d.status('act-caught');
    expect(s.runtimeStatus).toBe('Completed');
    expect((s.output as { caught: string }).caught).toMatch(/^Activity function 'alwaysFails' failed: boom\b/);
    const failed = (await historyRows(host, HUB, 'act-caught')).find((r) => r.EventType === 'TaskFailed')!;
    expect(failed).toMatchObject({ TaskScheduledId: 0, Reason: "Activity function 'alwaysFails' failed: boom" });
  });

  test("an uncaught activity failure fails the orchestration: \"Orchestrator function 'o' failed: Activity function 'x' failed: …\"", async () => {
    await d.start('activityFailure', 'act-uncaught', { message: 'disk full' });
    await host.idle();
    const s = await d.status('act-uncaught');
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toMatch(/^Orchestrator function 'activityFailure' failed: Activity function 'alwaysFails' failed: disk full\b/);
    expect(await historyNotation(host, HUB, 'act-uncaught')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskFailed@0', 'ExecutionCompleted#1', 'OrchestratorCompleted',
    ]); // prettier-ignore
  });
});

describe('sub-orchestrations', () => {
  test('callSubOrchestratorWithRetry: the first child fails, a new child (new id) succeeds after the retry interval', async () => {
    const start = await now();
    await d.start('subWithRetry', 'sub-retry', { key: 'sub-retry', failTimes: 1, retry: { first: 2 * SECOND, max: 3 } });
    const stops = await skipUntilDone('sub-retry');
    expect(stops).toEqual([start + 2 * SECOND]);
    expect(await historyNotation(host, HUB, 'sub-retry')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'SubOrchestrationInstanceCreated#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'SubOrchestrationInstanceFailed@0', 'TimerCreated#1', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TimerFired@1', 'SubOrchestrationInstanceCreated#2', 'OrchestratorCompleted',
      'OrchestratorStarted', 'SubOrchestrationInstanceCompleted@2', 'ExecutionCompleted#3', 'OrchestratorCompleted',
    ]); // prettier-ignore
    const rows = await historyRows(host, HUB, 'sub-retry');
    const children = rows.filter((r) => r.EventType === 'SubOrchestrationInstanceCreated').map((r) => r.InstanceId!);
    // Without an explicit id, DTFx names each child <parent execution id>:<task id>.
    expect(children).toEqual([`${rows[0]!.ExecutionId}:0`, `${rows[0]!.ExecutionId}:2`]);
    expect(await d.status('sub-retry')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { result: { child: children[1], attempts: 2 } },
    });
    const first = await d.status(children[0]!);
    expect(first.runtimeStatus).toBe('Failed');
    expect(first.output).toMatch(/^Orchestrator function 'flakyChild' failed: Activity function 'flaky' failed: boom 1\b/);
    expect(await d.status(children[1]!)).toMatchObject({ runtimeStatus: 'Completed', name: 'flakyChild' });
    const failed = rows.find((r) => r.EventType === 'SubOrchestrationInstanceFailed')!;
    expect(failed.Reason).toBe(first.output);
  });

  test('callSubOrchestratorWithRetry with a fixed child id, exhausted: the parent catches the child’s failure', async () => {
    await d.start('subWithRetry', 'sub-retry-out', {
      key: 'sub-retry-out',
      failTimes: 99,
      retry: { first: SECOND, max: 2 },
      childId: 'sub-retry-out-child',
      catchError: true,
    });
    await skipUntilDone('sub-retry-out');
    const s = await d.status('sub-retry-out');
    expect(s.runtimeStatus).toBe('Completed');
    expect((s.output as { caught: string }).caught).toMatch(
      /^Orchestrator function 'flakyChild' failed: Activity function 'flaky' failed: boom 2\b/,
    );
    const rows = await historyRows(host, HUB, 'sub-retry-out');
    expect(rows.filter((r) => r.EventType === 'SubOrchestrationInstanceCreated').map((r) => [r.EventId, r.InstanceId])).toEqual([
      [0, 'sub-retry-out-child'],
      [2, 'sub-retry-out-child'],
    ]);
    expect(delays(rows)).toEqual([SECOND, 0]);
    expect((await d.status('sub-retry-out-child')).runtimeStatus).toBe('Failed');
  });

  test('a failing sub-orchestration: the parent catches the error', async () => {
    await d.start('parentOfFailing', 'sub-caught', { message: 'child boom', catchError: true });
    await host.idle();
    const s = await d.status('sub-caught');
    expect(s.runtimeStatus).toBe('Completed');
    expect((s.output as { caught: string }).caught).toMatch(/^Orchestrator function 'failingChild' failed: child boom\b/);
    const child = await d.status('sub-caught-child');
    expect(child).toMatchObject({ runtimeStatus: 'Failed', output: "Orchestrator function 'failingChild' failed: child boom" });
  });

  test("a failing sub-orchestration left uncaught fails the parent: \"Orchestrator function 'parent' failed: Orchestrator function 'child' failed: …\"", async () => {
    await d.start('parentOfFailing', 'sub-uncaught', { message: 'child exploded' });
    await host.idle();
    const s = await d.status('sub-uncaught');
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toMatch(
      /^Orchestrator function 'parentOfFailing' failed: Orchestrator function 'failingChild' failed: child exploded\b/,
    );
    expect(await historyNotation(host, HUB, 'sub-uncaught')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'SubOrchestrationInstanceCreated#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'SubOrchestrationInstanceFailed@0', 'ExecutionCompleted#1', 'OrchestratorCompleted',
    ]); // prettier-ignore
  });
});

test('the engine logged no replay warnings (non-determinism, completions nobody waits for)', () => {
  expect(host.output()).not.toMatch(/non-deterministic|which is not waiting|could not fire/);
});
