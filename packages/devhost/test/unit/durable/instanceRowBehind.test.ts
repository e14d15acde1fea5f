// The Instances row is written behind the episode: an episode is over once its history is committed, the
// row follows, and the rows of one instance go out in order even when one write fails.
import { expect, test } from 'vitest';
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

/** Services around a sequence orchestrator whose Instances writes wait until the test lets each one go. */
function harness() {
  const log: string[] = [];
  const writes: { record: InstanceRecord; done: ReturnType<typeof deferred> }[] = [];
  let etag = 0;
  const services = {
    clock: { now: () => T0 },
    logger: { warn: () => undefined, error: () => undefined, debug: () => undefined, info: () => undefined },
    findFunction: () => ({ fn: { metadata: { name: 'seq', bindings: {} } }, triggerName: 'context' }),
    invoker: {
      // The SDK's answer for a sequence (schema 2: one list of actions): one more activity than it has results for.
      invoke: async (_fn: unknown, input: { inputData: { data: { string: string } }[] }) => {
        const { history } = JSON.parse(input.inputData[0]!.data.string) as { history: HistoryEvent[] };
        const done = history.filter((e) => e.EventType === 5).length;
        const actions = [Array.from({ length: done + 1 }, () => ({ actionType: ActionType.CallActivity, functionName: 'a', input: null }))];
        return { ok: true, response: { returnValue: { json: JSON.stringify({ isDone: false, actions }) } } };
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
  return { runner: new OrchestrationRunner(services), log, writes };
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
