import { describe, expect, test } from 'vitest';
import { EVENT_TYPE_NAMES, EventType, events, OrchestrationStatus, type HistoryEvent } from '../../../src/durable/history.js';
import { ActionType, replay, type Action } from '../../../src/durable/replay.js';
import { startOrchestration } from '../../../src/testing/orchestrationDriver.js';
// After the driver, which provides @azure/functions-core that these registrations need.
import '../../fixtures/durable/driver/orchestrators.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const HOUR = 3600;

/** History as its episodes (OrchestratorStarted … OrchestratorCompleted): `Type#event id` or `Type(task id it answers)`. */
function episodes(history: readonly HistoryEvent[]): string[][] {
  const out: string[][] = [];
  history.forEach((e, i) => {
    if (e.EventType === EventType.OrchestratorStarted) {
      expect(i === 0 || history[i - 1]!.EventType === EventType.OrchestratorCompleted).toBe(true);
      out.push([]);
    } else if (e.EventType !== EventType.OrchestratorCompleted) {
      const ref = e.TaskScheduledId ?? e.TimerId;
      out.at(-1)!.push(`${EVENT_TYPE_NAMES[e.EventType]}${e.EventId >= 0 ? `#${e.EventId}` : ''}${ref === undefined ? '' : `(${ref})`}`);
    }
  });
  expect(history.at(-1)!.EventType).toBe(EventType.OrchestratorCompleted);
  return out;
}

describe('orchestration driver: the real SDK over an in-memory history', () => {
  test('an activity sequence, answered step by step, with custom status', async () => {
    const run = await startOrchestration({ name: 'driverSequence', input: ['Tokyo', 'Seattle'], now: T0 });
    expect(run.pending()).toEqual({ activities: [{ id: 0, name: 'hello', input: 'Tokyo' }], timers: [], events: [] });
    await run.completeActivity(0, 'Hello Tokyo');
    expect(run.customStatus).toEqual({ greeted: 1 });
    expect(run.pending().activities).toEqual([{ id: 1, name: 'hello', input: 'Seattle' }]);
    await run.completeActivity(1, 'Hello Seattle');

    expect(run.status).toBe('Completed');
    expect(run.output).toEqual(['Hello Tokyo', 'Hello Seattle']);
    expect(run.activityCalls.map((c) => c.input)).toEqual(['Tokyo', 'Seattle']);
    expect(episodes(run.history)).toEqual([
      ['ExecutionStarted', 'TaskScheduled#0'],
      ['TaskCompleted(0)', 'TaskScheduled#1'],
      ['TaskCompleted(1)', 'ExecutionCompleted#2'],
    ]);
    expect(run.history.at(-2)).toMatchObject({
      OrchestrationStatus: OrchestrationStatus.Completed,
      Result: '["Hello Tokyo","Hello Seattle"]',
    });
    expect(run.warnings).toEqual([]);
  });

  test('race: the event wins, the timer is cancelled, and the history is what the engine writes', async () => {
    const run = await startOrchestration({ name: 'driverRace', input: { hours: 24 }, instanceId: 'race-1', now: T0 });
    await run.completeActivity(0, 'ready');
    expect(run.pending()).toEqual({ activities: [], timers: [{ id: 1, fireAt: at(24 * HOUR) }], events: ['decision'] });
    await run.advanceTo(at(2 * HOUR));
    await run.raiseEvent('decision', { approve: true });
    expect(run.pending()).toEqual({ activities: [{ id: 2, name: 'b', input: { approve: true } }], timers: [], events: [] });
    await run.completeActivity(2, 'published');

    expect(run.output).toEqual({ prepared: 'ready', outcome: 'published' });
    const start = events.executionStarted(at(0), {
      name: 'driverRace',
      instance: { InstanceId: 'race-1', ExecutionId: run.executionId },
      input: '{"hours":24}',
      parent: null,
    });
    const expected: HistoryEvent[] = [
      events.orchestratorStarted(at(0)),
      start,
      // The SDK sends a string input JSON-encoded, and the host wraps the input in an array.
      events.taskScheduled(at(0), 0, 'a', '["\\"prepare\\""]'),
      events.orchestratorCompleted(at(0)),
      events.orchestratorStarted(at(0)),
      events.taskCompleted(at(0), 0, '"ready"'),
      events.timerCreated(at(0), 1, at(24 * HOUR)),
      events.orchestratorCompleted(at(0)),
      events.orchestratorStarted(at(2 * HOUR)),
      events.eventRaised(at(2 * HOUR), 'decision', '{"approve":true}'),
      events.taskScheduled(at(2 * HOUR), 2, 'b', '[{"approve":true}]'),
      events.orchestratorCompleted(at(2 * HOUR)),
      events.orchestratorStarted(at(2 * HOUR)),
      events.taskCompleted(at(2 * HOUR), 2, '"published"'),
      events.executionCompleted(at(2 * HOUR), 3, OrchestrationStatus.Completed, '{"prepared":"ready","outcome":"published"}'),
      events.orchestratorCompleted(at(2 * HOUR)),
    ];
    expect(run.history).toEqual(expected.map((e) => ({ ...e, IsPlayed: true })));
  });

  test('race: the timer wins when time passes its deadline', async () => {
    const run = await startOrchestration({ name: 'driverRace', input: { hours: 24 }, now: T0 });
    await run.completeActivity(0, 'ready');
    await run.advanceTo(at(48 * HOUR));

    expect(run.status).toBe('Completed');
    expect(run.output).toEqual({ prepared: 'ready', outcome: 'timed out' });
    expect(run.now.toISOString()).toBe(at(48 * HOUR));
    expect(episodes(run.history).at(-1)).toEqual(['TimerFired(1)', 'ExecutionCompleted#2']);
    expect(run.history.find((e) => e.EventType === EventType.TimerFired)).toMatchObject({
      Timestamp: at(24 * HOUR),
      FireAt: at(24 * HOUR),
    });
  });

  test('an event raised before the orchestrator waits for it is kept, and wins the race at once', async () => {
    const run = await startOrchestration({ name: 'driverRace', input: { hours: 1 }, now: T0 });
    await run.raiseEvent('decision', 'early');
    expect(run.pending().activities).toHaveLength(1);
    await run.completeActivity(0, 'ready');
    expect(run.pending()).toEqual({ activities: [{ id: 2, name: 'b', input: 'early' }], timers: [], events: [] });
    await run.completeActivity(2, 'published');
    expect(run.output).toEqual({ prepared: 'ready', outcome: 'published' });
    expect(episodes(run.history)).toEqual([
      ['ExecutionStarted', 'TaskScheduled#0'],
      ['EventRaised'],
      ['TaskCompleted(0)', 'TimerCreated#1', 'TaskScheduled#2'],
      ['TaskCompleted(2)', 'ExecutionCompleted#3'],
    ]);
  });

  test('drive: answers activities and stops where the test has to act', async () => {
    const run = await startOrchestration({ name: 'driverRace', input: { hours: 24 }, now: T0 });
    const answer = (name: string, input: unknown) => `${name}:${JSON.stringify(input)}`;
    await run.drive(answer, { until: at(HOUR) });
    expect(run.now.toISOString()).toBe(at(HOUR));
    expect(run.pending().events).toEqual(['decision']);
    await run.raiseEvent('decision', 'yes');
    await run.drive(answer);
    expect(run.output).toEqual({ prepared: 'a:"prepare"', outcome: 'b:"yes"' });
    expect(run.activityCalls).toEqual([
      { id: 0, name: 'a', input: 'prepare' },
      { id: 2, name: 'b', input: 'yes' },
    ]);
  });

  test('retry: failed attempts wait out the back-off on skipped time, then the third attempt succeeds', async () => {
    let attempts = 0;
    const run = await startOrchestration({ name: 'driverRetry', input: { job: 7 }, now: T0 });
    await run.drive(() => {
      if (++attempts < 3) throw new Error(`boom ${attempts}`);
      return 'done';
    });

    expect(run.status).toBe('Completed');
    expect(run.output).toBe('done');
    expect(run.activityCalls).toEqual([0, 2, 4].map((id) => ({ id, name: 'flaky', input: { job: 7 } })));
    expect(episodes(run.history)).toEqual([
      ['ExecutionStarted', 'TaskScheduled#0'],
      ['TaskFailed(0)', 'TimerCreated#1'],
      ['TimerFired(1)', 'TaskScheduled#2'],
      ['TaskFailed(2)', 'TimerCreated#3'],
      ['TimerFired(3)', 'TaskScheduled#4'],
      ['TaskCompleted(4)', 'ExecutionCompleted#5'],
    ]);
    const timers = run.history.filter((e) => e.EventType === EventType.TimerCreated).map((e) => e.FireAt);
    expect(timers).toEqual([at(1), at(3)]);
    expect(run.now.toISOString()).toBe(at(3));
  });

  test('retry: when every attempt fails, a zero-delay timer follows the last and the orchestration fails', async () => {
    const run = await startOrchestration({ name: 'driverRetry', input: null, now: T0 });
    await run.drive(() => {
      throw new Error('still down');
    });
    expect(run.status).toBe('Failed');
    expect(run.activityCalls).toHaveLength(3);
    expect(episodes(run.history).slice(-2)).toEqual([
      ['TaskFailed(4)', 'TimerCreated#5'],
      ['TimerFired(5)', 'ExecutionCompleted#6'],
    ]);
    expect(run.history.find((e) => e.EventId === 5)?.FireAt).toBe(at(3));
  });

  test('failure: an activity failure the orchestrator does not catch fails it, as the engine records it', async () => {
    const run = await startOrchestration({ name: 'driverFailure', now: T0 });
    await run.completeActivity(0);
    await run.failActivity(1, 'kaboom');

    expect(run.status).toBe('Failed');
    expect(run.output).toBeNull();
    expect(run.error).toMatch(/^Orchestrator function 'driverFailure' failed: Activity function 'explode' failed: kaboom/);
    expect(episodes(run.history).at(-1)).toEqual(['TaskFailed(1)', 'ExecutionCompleted#2']);
    expect(run.history.at(-2)).toMatchObject({ OrchestrationStatus: OrchestrationStatus.Failed, Result: run.error });
    expect(run.logs.some((line) => line.includes('[Error] [driverFailure]') && line.includes('kaboom'))).toBe(true);
    expect(run.pending()).toEqual({ activities: [], timers: [], events: [] });
    await expect(run.raiseEvent('late')).rejects.toThrow(/is Failed/);
  });

  test('continueAsNew starts the next execution in the same episode, with a fresh history', async () => {
    const run = await startOrchestration({ name: 'driverContinue', input: 0, now: T0 });
    const first = run.executionId;
    await run.drive(() => 'ok');

    expect(run.output).toBe(2);
    expect(run.activityCalls.map((c) => [c.id, c.input])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
    ]);
    expect(run.executionId).not.toBe(first);
    expect(episodes(run.history)).toEqual([
      ['ExecutionStarted', 'TaskScheduled#0'],
      ['TaskCompleted(0)', 'ExecutionCompleted#1'],
    ]);
    expect(run.history[1]).toMatchObject({ Input: '2', OrchestrationInstance: { ExecutionId: run.executionId } });
  });

  test('mistakes are reported: unknown orchestrators, tasks that are not pending', async () => {
    await expect(startOrchestration({ name: 'nope' })).rejects.toThrow(/no orchestrator 'nope'.*driverSequence/);
    const run = await startOrchestration({ name: 'driverSequence', input: ['x'] });
    await expect(run.completeActivity(5)).rejects.toThrow(/activity task 5 is not pending \(pending: activity 0 'hello'\)/);
    await expect(run.fireTimer(0)).rejects.toThrow(/timer 0 is not pending/);
  });
});

// Found through the driver: the replay engine numbered the next action before the race's later children.
describe('replay: a race won at once by a buffered event', () => {
  test('every child of the race takes its id before the next action does, as the SDK numbers them', () => {
    const history = [
      events.orchestratorStarted(at(0)),
      events.executionStarted(at(0), { name: 'o', instance: { InstanceId: 'i', ExecutionId: 'e' }, input: null, parent: null }),
      events.eventRaised(at(0), 'go', '1'),
      events.taskScheduled(at(0), 0, 'first', '[null]'),
      events.orchestratorCompleted(at(0)),
      events.orchestratorStarted(at(1)),
      events.taskCompleted(at(1), 0, 'null'),
    ];
    const race: Action = {
      actionType: ActionType.WhenAny,
      compoundActions: [
        { actionType: ActionType.WaitForExternalEvent, externalEventName: 'go' },
        { actionType: ActionType.CreateTimer, fireAt: at(60), isCanceled: true },
      ],
    };
    const activity = (name: string): Action => ({ actionType: ActionType.CallActivity, functionName: name });
    const r = replay({ instanceId: 'i', executionId: 'e', now: T0 + 1000 }, history, [activity('first'), race, activity('next')]);
    expect(r.newEvents.map((e) => [EVENT_TYPE_NAMES[e.EventType], e.EventId])).toEqual([
      ['TimerCreated', 1],
      ['TaskScheduled', 2],
    ]);
    expect(r.canceledTimerIds).toEqual([1]);
  });
});
