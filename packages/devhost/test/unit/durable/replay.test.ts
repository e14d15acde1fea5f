import { describe, expect, test } from 'vitest';
import { EventType, events, type HistoryEvent } from '../../../src/durable/history.js';
import { pendingTimerIds } from '../../../src/durable/orchestrationRunner.js';
import { ActionType, replay, retryDelay, type Action } from '../../../src/durable/replay.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const ctx = (now: number) => ({ instanceId: 'i1', executionId: 'e1', now: T0 + now * 1000 });
const start = (): HistoryEvent[] => [
  events.orchestratorStarted(at(0)),
  events.executionStarted(at(0), { name: 'orch', instance: { InstanceId: 'i1', ExecutionId: 'e1' }, input: null, parent: null }),
];
const episode = (s: number, ...evs: HistoryEvent[]) => [events.orchestratorCompleted(at(s)), events.orchestratorStarted(at(s)), ...evs];
const activity = (name: string, input?: unknown): Action => ({ actionType: ActionType.CallActivity, functionName: name, input });
const shape = (evs: HistoryEvent[]) => evs.map((e) => [e.EventType, e.EventId]);

describe('task ids as the Durable extension assigns them', () => {
  test('first episode schedules the first activity as task 0 with the SDK input wrapped in an array', () => {
    const r = replay(ctx(0), start(), [activity('hello', '"Tokyo"')]);
    expect(r.newEvents).toEqual([
      expect.objectContaining({ EventType: EventType.TaskScheduled, EventId: 0, Name: 'hello', Input: '["\\"Tokyo\\""]' }),
    ]);
    expect(r.waiting).toBe(true);
  });

  test('a completed sequence needs nothing new and completes with the next id', () => {
    const h = [
      ...start(),
      events.taskScheduled(at(0), 0, 'hello', '[1]'),
      ...episode(1, events.taskCompleted(at(1), 0, '"a"')),
      events.taskScheduled(at(1), 1, 'hello', '[2]'),
      ...episode(2, events.taskCompleted(at(2), 1, '"b"')),
    ];
    const r = replay(ctx(2), h, [activity('hello', 1), activity('hello', 2)]);
    expect(r.newEvents).toEqual([]);
    expect(r.nextId).toBe(2);
    expect(r.waiting).toBe(false);
  });

  test('fan-out gives children consecutive ids in order', () => {
    const r = replay(ctx(0), start(), [{ actionType: ActionType.WhenAll, compoundActions: [activity('a'), activity('b'), activity('c')] }]);
    expect(r.newEvents.map((e) => [e.EventId, e.Name])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
  });

  test('retries: attempt, timer, attempt, and a zero-delay timer after the last failure', () => {
    const a: Action = {
      actionType: ActionType.CallActivityWithRetry,
      functionName: 'flaky',
      retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 2 },
    };
    let h = [...start(), events.taskScheduled(at(0), 0, 'flaky', '[null]')];
    let r = replay(ctx(1), [...h, ...episode(1, events.taskFailed(at(1), 0, 'boom', '{}'))], [a]);
    expect(r.newEvents).toEqual([expect.objectContaining({ EventType: EventType.TimerCreated, EventId: 1, FireAt: at(2) })]);
    h = [...h, ...episode(1, events.taskFailed(at(1), 0, 'boom', '{}')), ...r.newEvents];
    r = replay(ctx(2), [...h, ...episode(2, events.timerFired(at(2), 1, at(2)))], [a]);
    expect(shape(r.newEvents)).toEqual([[EventType.TaskScheduled, 2]]);
    h = [...h, ...episode(2, events.timerFired(at(2), 1, at(2))), ...r.newEvents];
    r = replay(ctx(3), [...h, ...episode(3, events.taskFailed(at(3), 2, 'boom', '{}'))], [a]);
    expect(r.newEvents).toEqual([expect.objectContaining({ EventType: EventType.TimerCreated, EventId: 3, FireAt: at(3) })]);
  });

  test('back-off grows by the coefficient and stops at the maximum interval', () => {
    const o = { firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 5, backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 300 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(o, n, 0, 0))).toEqual([100, 200, 300, 300, 0]);
    expect(retryDelay({ ...o, retryTimeoutInMilliseconds: 1000 }, 1, 0, 1000)).toBe(0);
  });

  test('an approval raced against a timeout: the event wins and the next action follows the timer id', () => {
    const race: Action = {
      actionType: ActionType.WhenAny,
      compoundActions: [
        { actionType: ActionType.WaitForExternalEvent, externalEventName: 'approve' },
        { actionType: ActionType.CreateTimer, fireAt: at(3600), isCanceled: true },
      ],
    };
    const h = [...start(), events.timerCreated(at(0), 0, at(3600)), ...episode(5, events.eventRaised(at(5), 'approve', 'true'))];
    const r = replay(ctx(5), h, [race, activity('publish')]);
    expect(shape(r.newEvents)).toEqual([[EventType.TaskScheduled, 1]]);
    expect(r.canceledTimerIds).toEqual([0]);
  });

  test('an event raised before anyone waits is kept for the wait', () => {
    const h = [...start(), ...episode(1, events.eventRaised(at(1), 'go', '1'))];
    const r = replay(ctx(1), h, [{ actionType: ActionType.WaitForExternalEvent, externalEventName: 'go' }, activity('after')]);
    expect(shape(r.newEvents)).toEqual([[EventType.TaskScheduled, 0]]);
  });

  test('entity calls send a request with a stable id and resume on the response named by it', () => {
    const call: Action = { actionType: ActionType.CallEntity, instanceId: '@counter@k', operation: 'get' };
    const first = replay(ctx(0), start(), [call]);
    const sent = first.newEvents[0]!;
    expect(sent).toMatchObject({ EventType: EventType.EventSent, EventId: 0, InstanceId: '@counter@k', Name: 'get' });
    const request = JSON.parse(sent.Input!);
    expect(request).toMatchObject({ op: 'get', parent: 'i1', parentExecution: 'e1' });
    expect(replay(ctx(0), start(), [call]).newEvents[0]!.Input).toBe(sent.Input);
    const h = [...start(), sent, ...episode(1, events.eventRaised(at(1), request.id, '{"result":"3"}'))];
    expect(shape(replay(ctx(1), h, [call, activity('next')]).newEvents)).toEqual([[EventType.TaskScheduled, 1]]);
  });

  test('signals complete at once; sub-orchestrations get <executionId>:<id> unless named', () => {
    const r = replay(ctx(0), start(), [
      { actionType: ActionType.SignalEntity, instanceId: '@counter@k', operation: 'add', input: 1 },
      { actionType: ActionType.CallSubOrchestrator, functionName: 'child', input: { a: 1 } },
    ]);
    expect(r.newEvents.map((e) => [e.EventType, e.EventId, e.InstanceId])).toEqual([
      [EventType.EventSent, 0, '@counter@k'],
      [EventType.SubOrchestrationInstanceCreated, 1, 'e1:1'],
    ]);
    expect(JSON.parse(r.newEvents[0]!.Input!)).toMatchObject({ signal: true, input: '1' });
  });

  test('a history that disagrees with the actions is reported', () => {
    const h = [...start(), events.timerCreated(at(0), 0, at(10))];
    expect(replay(ctx(0), h, [activity('x')]).warnings[0]).toMatch(/non-deterministic/);
  });
});

describe('callHttp polling (202 + Location), as the extension’s CallHttpAsync does it', () => {
  const request = {
    method: 'POST',
    uri: 'http://svc/jobs/start',
    content: 'go',
    headers: { 'x-functions-key': 'k', accept: 'json' },
    asynchronousPatternEnabled: true,
  };
  const call: Action = { actionType: ActionType.CallHttp, httpRequest: request };
  const accepted = (headers: Record<string, string>) => JSON.stringify({ statusCode: 202, content: '', headers });
  const first = events.taskScheduled(at(0), 0, 'BuiltIn::HttpActivity', JSON.stringify([request]));

  test('a 202 with Location: a timer for Retry-After seconds, then a GET of the Location without x-functions-key', () => {
    let h = [
      ...start(),
      first,
      ...episode(1, events.taskCompleted(at(1), 0, accepted({ location: 'http://svc/jobs/1', 'retry-after': '5' }))),
    ];
    let r = replay(ctx(1), h, [call]);
    expect(r.newEvents).toEqual([expect.objectContaining({ EventType: EventType.TimerCreated, EventId: 1, FireAt: at(6) })]);
    expect(r.waiting).toBe(true);
    h = [...h, ...r.newEvents, ...episode(6, events.timerFired(at(6), 1, at(6)))];
    r = replay(ctx(6), h, [call]);
    expect(shape(r.newEvents)).toEqual([[EventType.TaskScheduled, 2]]);
    expect(JSON.parse(r.newEvents[0]!.Input!)).toEqual([{ method: 'GET', uri: 'http://svc/jobs/1', headers: { accept: 'json' } }]);
    h = [
      ...h,
      ...r.newEvents,
      ...episode(7, events.taskCompleted(at(7), 2, JSON.stringify({ statusCode: 200, content: 'done', headers: {} }))),
    ];
    r = replay(ctx(7), h, [call, activity('after')]);
    expect(shape(r.newEvents)).toEqual([[EventType.TaskScheduled, 3]]);
  });

  test('without Retry-After the default sleep applies; a relative Location resolves against the request; polling again on another 202', () => {
    const h = [...start(), first, ...episode(1, events.taskCompleted(at(1), 0, accepted({ Location: '/jobs/2' })))];
    const r = replay({ ...ctx(1), defaultHttpAsyncRequestSleepTimeMilliseconds: 10_000 }, h, [call]);
    expect(r.newEvents).toEqual([expect.objectContaining({ EventType: EventType.TimerCreated, EventId: 1, FireAt: at(11) })]);
    expect(replay(ctx(1), h, [call]).newEvents[0]).toMatchObject({ FireAt: at(31) });
    const h2 = [...h, ...r.newEvents, ...episode(11, events.timerFired(at(11), 1, at(11)))];
    const r2 = replay(ctx(11), h2, [call]);
    expect(JSON.parse(r2.newEvents[0]!.Input!)[0]).toMatchObject({ method: 'GET', uri: 'http://svc/jobs/2' });
    const h3 = [...h2, ...r2.newEvents, ...episode(12, events.taskCompleted(at(12), 2, accepted({ location: 'http://svc/jobs/2' })))];
    expect(replay(ctx(12), h3, [call]).newEvents).toEqual([
      expect.objectContaining({ EventType: EventType.TimerCreated, EventId: 3, FireAt: at(42) }),
    ]);
  });

  test('no polling when the async pattern is off, or for a 202 without Location', () => {
    const off: Action = { actionType: ActionType.CallHttp, httpRequest: { ...request, asynchronousPatternEnabled: false } };
    const h = [...start(), first, ...episode(1, events.taskCompleted(at(1), 0, accepted({ location: 'http://svc/jobs/1' })))];
    expect(shape(replay(ctx(1), h, [off, activity('after')]).newEvents)).toEqual([[EventType.TaskScheduled, 1]]);
    const noLocation = [...start(), first, ...episode(1, events.taskCompleted(at(1), 0, accepted({})))];
    expect(shape(replay(ctx(1), noLocation, [call, activity('after')]).newEvents)).toEqual([[EventType.TaskScheduled, 1]]);
  });
});

describe('timers an execution leaves behind', () => {
  test('pendingTimerIds: created and not fired (the ones to drop when the execution ends or continues as new)', () => {
    const h = [
      ...start(),
      events.timerCreated(at(0), 0, at(100)),
      events.taskScheduled(at(0), 1, 'a', '[null]'),
      ...episode(1, events.taskCompleted(at(1), 1, '1')),
      events.timerCreated(at(1), 2, at(5)),
      ...episode(5, events.timerFired(at(5), 2, at(5))),
    ];
    expect(pendingTimerIds(h)).toEqual([0]);
  });

  test('retryTimeoutInMilliseconds: once it has passed, the next retry follows a zero-delay timer (the SDK waits for a timer after every failure until maxNumberOfAttempts)', () => {
    const a: Action = {
      actionType: ActionType.CallActivityWithRetry,
      functionName: 'flaky',
      retryOptions: { firstRetryIntervalInMilliseconds: 60_000, maxNumberOfAttempts: 5, retryTimeoutInMilliseconds: 90_000 },
    };
    let h = [...start(), events.taskScheduled(at(0), 0, 'flaky', '[null]'), ...episode(0, events.taskFailed(at(0), 0, 'boom', '{}'))];
    let r = replay(ctx(0), h, [a]);
    expect(r.newEvents).toEqual([expect.objectContaining({ EventType: EventType.TimerCreated, EventId: 1, FireAt: at(60) })]);
    h = [...h, ...r.newEvents, ...episode(60, events.timerFired(at(60), 1, at(60)))];
    r = replay(ctx(60), h, [a]);
    h = [...h, ...r.newEvents, ...episode(100, events.taskFailed(at(100), 2, 'boom', '{}'))];
    r = replay(ctx(100), h, [a]);
    expect(r.newEvents).toEqual([expect.objectContaining({ EventType: EventType.TimerCreated, EventId: 3, FireAt: at(100) })]);
    h = [...h, ...r.newEvents, ...episode(100, events.timerFired(at(100), 3, at(100)))];
    expect(shape(replay(ctx(100), h, [a]).newEvents)).toEqual([[EventType.TaskScheduled, 4]]);
  });
});
