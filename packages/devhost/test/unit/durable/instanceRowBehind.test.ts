// The Instances row is written behind the episode: an episode is over once its history is committed, the
// row follows, and the rows of one instance go out in order even when one write fails. Steps that only move
// LastUpdatedTime share a write; a status change does not wait for one.
import { afterEach, expect, test, vi } from 'vitest';
import { events, type HistoryEvent } from '../../../src/durable/history.js';
import { OrchestrationRunner } from '../../../src/durable/orchestrationRunner.js';
import { ActionType } from '../../../src/durable/replay.js';
import type { EngineServices } from '../../../src/durable/services.js';
import { pendingInstance, type InstanceRecord, type TaskMessage } from '../../../src/durable/taskHubStore.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = new Date(T0).toISOString();

function deferred() {
  let settle!: { resolve: (v: string) => void; reject: (e: Error) => void };
  const promise = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  return { promise, ...settle };
}

/**
 * Services around a sequence orchestrator of `steps` activities whose Instances writes wait until the test
 * lets each one go; rows that only move LastUpdatedTime wait `rowRefreshMs` (0: none) to be joined.
 */
function harness({ steps = 1000, rowRefreshMs = 0 } = {}) {
  const log: string[] = [];
  const writes: { record: InstanceRecord; done: ReturnType<typeof deferred> }[] = [];
  let etag = 0;
  let episodes = 0;
  const services = {
    // Each reading a millisecond on, so a row shows which episode it was written for.
    clock: { now: () => T0 + episodes++ },
    logger: { warn: () => undefined, error: () => undefined, debug: () => undefined, info: () => undefined },
    findFunction: () => ({ fn: { metadata: { name: 'seq', bindings: {} } }, triggerName: 'context' }),
    invoker: {
      // The SDK's answer for a sequence (schema 2: one list of actions): one more activity than it has results for.
      invoke: async (_fn: unknown, input: { inputData: { data: { string: string } }[] }) => {
        const { history } = JSON.parse(input.inputData[0]!.data.string) as { history: HistoryEvent[] };
        const done = history.filter((e) => e.EventType === 5).length;
        const calls = Math.min(done + 1, steps);
        const actions = [Array.from({ length: calls }, () => ({ actionType: ActionType.CallActivity, functionName: 'a', input: null }))];
        const state = done === steps ? { isDone: true, actions, output: done } : { isDone: false, actions };
        return { ok: true, response: { returnValue: { json: JSON.stringify(state) } } };
      },
    },
    store: {
      getInstance: async () => pendingInstance('i1', 'seq', null, 'e1', at, null),
      loadHistory: async () => ({ events: [], messageIds: new Set<string>(), executionId: undefined, etag: undefined }),
      commitHistory: async (_id: string, _e: string, from: number) => {
        log.push(`history from ${from}`);
        return `etag-${++etag}`;
      },
      putInstance: (record: InstanceRecord) => {
        log.push(`row ${record.runtimeStatus}`);
        const done = deferred();
        writes.push({ record, done });
        return done.promise;
      },
    },
    sendWorkItem: async (_i: string, _e: string, e: HistoryEvent) => void log.push(`work item ${e.EventId}`),
    sendToInstance: async () => undefined,
    timers: { schedule: () => undefined, cancel: () => undefined },
    settings: {
      maximumShortTimerDuration: '1.00:00:00',
      longRunningTimerIntervalDuration: '1.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 0,
    },
  } as unknown as EngineServices;
  return { runner: new OrchestrationRunner(services, rowRefreshMs), log, writes };
}

const message = (messageId: string, event: HistoryEvent): TaskMessage => ({ messageId, instanceId: 'i1', executionId: 'e1', event });
const start = message(
  'm-start',
  events.executionStarted(at, { name: 'seq', instance: { InstanceId: 'i1', ExecutionId: 'e1' }, input: null, parent: null }),
);
const tick = () => new Promise((r) => setImmediate(r));

test('an episode ends when its history is committed; its Instances row follows and settles rowWritten', async () => {
  const { runner, log, writes } = harness();
  const first = await runner.process('i1', [start]);
  expect(first.outcome).toBe('done');
  expect(log).toEqual(['work item 0', 'history from 0', 'row Running']);
  // The row is the runner's at once, for the next episode and for clients, while its write is still under way.
  expect(runner.cachedInstance('i1')?.runtimeStatus).toBe('Running');
  let written = false;
  void first.rowWritten.then(() => (written = true));
  await tick();
  expect(written).toBe(false);
  writes[0]!.done.resolve('row-etag-1');
  await first.rowWritten;
  expect(runner.cachedInstance('i1')?.etag).toBe('row-etag-1');
});

test("one instance's rows go out in order, and a failed write does not hold back the next", async () => {
  const { runner, log, writes } = harness();
  const first = await runner.process('i1', [start]);
  // The next episode runs (and commits) while the first row is still being written…
  const second = await runner.process('i1', [message('m-done-0', events.taskCompleted(at, 0, '1'))]);
  expect(log).toEqual(['work item 0', 'history from 0', 'row Running', 'work item 1', 'history from 4']);
  // …but its row waits for the first write to settle.
  await tick();
  expect(writes).toHaveLength(1);
  writes[0]!.done.reject(new Error('storage trouble'));
  await expect(first.rowWritten).rejects.toThrow('storage trouble');
  await tick();
  expect(writes).toHaveLength(2);
  writes[1]!.done.resolve('row-etag-2');
  await second.rowWritten;
  expect(log.at(-1)).toBe('row Running');
});

const done = (id: number) => message(`m-done-${id}`, events.taskCompleted(at, id, '1'));

afterEach(() => void vi.useRealTimers());

test("a sequence's steps that only move LastUpdatedTime share one row write; the completed row goes out at once", async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const { runner, writes } = harness({ steps: 3, rowRefreshMs: 100 });
  const first = await runner.process('i1', [start]);
  // Pending → Running is a change a reader acts on: written at once.
  expect(writes.map((w) => w.record.runtimeStatus)).toEqual(['Running']);
  writes[0]!.done.resolve('row-etag-1');
  await first.rowWritten;

  const second = await runner.process('i1', [done(0)]);
  const third = await runner.process('i1', [done(1)]);
  await vi.advanceTimersByTimeAsync(99);
  expect(writes).toHaveLength(1);
  let covered = 0;
  void Promise.all([second.rowWritten, third.rowWritten]).then(() => (covered = 2));
  await vi.advanceTimersByTimeAsync(1);
  // One write for both steps, carrying the newer one's LastUpdatedTime; both episodes' messages wait for it.
  expect(writes).toHaveLength(2);
  expect(writes[1]!.record.lastUpdatedTime).toBe(runner.cachedInstance('i1')!.lastUpdatedTime);
  expect(covered).toBe(0);
  writes[1]!.done.resolve('row-etag-2');
  await vi.advanceTimersByTimeAsync(0);
  expect(covered).toBe(2);

  const last = await runner.process('i1', [done(2)]);
  expect(writes.map((w) => w.record.runtimeStatus)).toEqual(['Running', 'Running', 'Completed']);
  expect(writes[2]!.record.output).toBe('3');
  writes[2]!.done.resolve('row-etag-3');
  await last.rowWritten;
});

/** Instance i1 after its first episode's row is written and a second episode's refresh waits to be joined. */
async function refreshWaiting() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const { runner, writes } = harness({ rowRefreshMs: 100 });
  const first = await runner.process('i1', [start]);
  writes[0]!.done.resolve('row-etag-1');
  await first.rowWritten;
  const second = await runner.process('i1', [done(0)]);
  return { runner, writes, second };
}

test('a refresh still waiting is dropped when the client takes the row over (a purge or a new start)', async () => {
  const { runner, writes, second } = await refreshWaiting();
  runner.forget('i1');
  await vi.advanceTimersByTimeAsync(1000);
  // Written now, it would bring back a purged row or overwrite the client's Pending one.
  expect(writes).toHaveLength(1);
  await second.rowWritten;
});

test('a refresh still waiting goes out at once when the runner is asked to flush (the host waiting for idle)', async () => {
  const { runner, writes, second } = await refreshWaiting();
  expect(writes).toHaveLength(1);
  runner.flushRows();
  expect(writes).toHaveLength(2);
  writes[1]!.done.resolve('row-etag-2');
  await second.rowWritten;
});
