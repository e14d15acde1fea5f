// Recorded histories against the canonical ones. The durable-functions repository's
// test/testobjects/testhistories.ts (`TestHistories`) holds the histories its SDK is tested with, i.e. what
// the Durable extension + DTFx write for each orchestration shape. We run orchestrations of the same shapes
// (fixture durable/histories, modelled on that repository's TestOrchestrations.ts) through devhost and read
// the <Hub>History table back, row by row in RowKey order, comparing EventType and the ids that tie events
// together (EventId of scheduling events, TaskScheduledId / TimerId of completions). Each expected list
// below is the fact sequence of the named TestHistories function — which stops at the last replay's input —
// followed by what the host appends after that replay (new scheduling events, ExecutionCompleted with the
// next id, OrchestratorCompleted). Episode layout is DTFx's: OrchestratorStarted, the new messages, the
// scheduling events in id order, ExecutionCompleted if done, OrchestratorCompleted.
//
// Notation (see support.ts): `Type#n` = EventId n; `Type@n` = TaskScheduledId / TimerId n; a bare `Type`
// has EventId -1.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';
import { durableApi, episodes, historyNotation, historyRows, waitForStatus } from './support.js';

const HUB = 'HistoriesHub';
const T0 = '2026-02-01T00:00:00.000Z';
const OS = 'OrchestratorStarted';
const OC = 'OrchestratorCompleted';
const ES = 'ExecutionStarted';

let host: TestHost;
/** A second host on the real clock, for the WhenAny races: they need a timer to fire while an activity runs. */
let realHost: TestHost;
let d: ReturnType<typeof durableApi>;

beforeAll(async () => {
  [host, realHost] = await Promise.all([
    startHost({ app: 'test/fixtures/durable/histories', clock: T0 }),
    startHost({ app: 'test/fixtures/durable/histories' }),
  ]);
  d = durableApi(host);
});

afterAll(async () => {
  await Promise.all([host?.stop(), realHost?.stop()]);
});

const now = async () => (await host.clock.now()).getTime();

async function run(name: string, id: string, input?: unknown): Promise<string[]> {
  await d.start(name, id, input);
  await host.idle();
  return historyNotation(host, HUB, id);
}

describe('canonical histories (TestHistories)', () => {
  test('hello sequence — GetHelloSequenceReplayFinal', async () => {
    const list = await run('SayHelloSequence', 'canon-sequence');
    expect(list).toEqual([
      OS, ES, 'TaskScheduled#0', OC,
      OS, 'TaskCompleted@0', 'TaskScheduled#1', OC,
      OS, 'TaskCompleted@1', 'TaskScheduled#2', OC,
      OS, 'TaskCompleted@2',
      // appended after the final replay
      'ExecutionCompleted#3', OC,
    ]); // prettier-ignore
    expect(await d.status('canon-sequence')).toMatchObject({
      runtimeStatus: 'Completed',
      output: ['Hello, Tokyo!', 'Hello, Seattle!', 'Hello, London!'],
    });
  });

  test('fan-out/fan-in — GetFanOutFanInDiskUsageComplete (completion batches vary; ids do not)', async () => {
    const list = await run('FanOutFanInDiskUsage', 'canon-fan', 3);
    expect(await d.status('canon-fan')).toMatchObject({ runtimeStatus: 'Completed', output: 600 });
    // GetFileList is task 0; after its result, one episode schedules GetFileSize 1..3.
    expect(list.slice(0, 11)).toEqual([
      OS, ES, 'TaskScheduled#0', OC,
      OS, 'TaskCompleted@0', 'TaskScheduled#1', 'TaskScheduled#2', 'TaskScheduled#3', OC,
      OS,
    ]); // prettier-ignore
    // Then the three results in one or more episodes (the canonical has 1+2 in one and 3 in another).
    const rest = episodes(list.slice(10));
    for (const e of rest) expect(e[0]).toBe(OS);
    for (const e of rest) expect(e.at(-1)).toBe(OC);
    const inner = rest.flatMap((e) => e.slice(1, -1));
    expect(inner.at(-1)).toBe('ExecutionCompleted#4');
    expect(inner.slice(0, -1).sort()).toEqual(['TaskCompleted@1', 'TaskCompleted@2', 'TaskCompleted@3']);
    const rows = await historyRows(host, HUB, 'canon-fan');
    expect(rows.filter((r) => r.EventType === 'TaskScheduled').map((r) => [r.EventId, r.Name])).toEqual([
      [0, 'GetFileList'],
      [1, 'GetFileSize'],
      [2, 'GetFileSize'],
      [3, 'GetFileSize'],
    ]);
  });

  test('activity retry, succeeding on the retry — GetSayHelloWithActivityRetryRetryOne', async () => {
    const start = await now();
    await run('SayHelloWithActivityRetry', 'canon-retry-one', { failTimes: 1 });
    await host.clock.skip();
    const list = await historyNotation(host, HUB, 'canon-retry-one');
    expect(list).toEqual([
      OS, ES, 'TaskScheduled#0', OC,
      OS, 'TaskFailed@0', 'TimerCreated#1', OC,
      OS, 'TimerFired@1',
      // appended: the second attempt, its result, completion
      'TaskScheduled#2', OC,
      OS, 'TaskCompleted@2', 'ExecutionCompleted#3', OC,
    ]); // prettier-ignore
    const timer = (await historyRows(host, HUB, 'canon-retry-one')).find((r) => r.EventType === 'TimerCreated')!;
    // FireAt = time of the failure + firstRetryInterval (10 s in RetryOptions(10000, 2)).
    expect(timer.FireAt!.getTime()).toBe(start + 10_000);
    expect(await d.status('canon-retry-one')).toMatchObject({ runtimeStatus: 'Completed', output: 'Hello, World!' });
  });

  test('activity retry, exhausting the attempts — GetSayHelloWithActivityRetryRetryTwo (extra timer after the last failure)', async () => {
    const start = await now();
    await run('SayHelloWithActivityRetry', 'canon-retry-two', { failTimes: 99 });
    await host.clock.skip();
    const list = await historyNotation(host, HUB, 'canon-retry-two');
    expect(list).toEqual([
      OS, ES, 'TaskScheduled#0', OC,
      OS, 'TaskFailed@0', 'TimerCreated#1', OC,
      OS, 'TimerFired@1', 'TaskScheduled#2', OC,
      OS, 'TaskFailed@2', 'TimerCreated#3', OC,
      OS, 'TimerFired@3',
      // appended: the orchestrator gets the error and fails
      'ExecutionCompleted#4', OC,
    ]); // prettier-ignore
    const timers = (await historyRows(host, HUB, 'canon-retry-two')).filter((r) => r.EventType === 'TimerCreated');
    // The canonical history (written against an older DTFx) gives the last timer a full interval; current
    // DTFx (RetryInterceptor: "Dummy timer for back-compat") makes it fire at once, as devhost does.
    expect(timers.map((t) => t.FireAt!.getTime() - start)).toEqual([10_000, 10_000]);
    expect(timers[1]!.FireAt!.getTime()).toBe(timers[1]!.Timestamp.getTime());
    const s = await d.status('canon-retry-two');
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toMatch(
      /^Orchestrator function 'SayHelloWithActivityRetry' failed: Activity function 'Hello' failed: Hello failed for World\b/,
    );
  });

  test('activity retries in a fan-out — GetSayHelloWithActivityRetryFanout (retry ids interleave with the other branch)', async () => {
    const list = await run('SayHelloWithActivityRetryFanout', 'canon-retry-fanout');
    // Tokyo (0) fails and its retry timer takes id 2 — after Seattle (1) — whichever result arrives first.
    expect(list.slice(0, 6)).toEqual([OS, ES, 'TaskScheduled#0', 'TaskScheduled#1', OC, OS]);
    const phase = list.slice(5);
    expect(phase.filter((e) => e !== OS && e !== OC).sort()).toEqual(['TaskCompleted@1', 'TaskFailed@0', 'TimerCreated#2']);
    expect(phase.indexOf('TimerCreated#2')).toBeGreaterThan(phase.indexOf('TaskFailed@0'));
    await host.clock.skip();
    const after = (await historyNotation(host, HUB, 'canon-retry-fanout')).slice(list.length);
    expect(after).toEqual([
      OS, 'TimerFired@2', 'TaskScheduled#3', OC,
      OS, 'TaskCompleted@3', 'ExecutionCompleted#4', OC,
    ]); // prettier-ignore
    expect(await d.status('canon-retry-fanout')).toMatchObject({
      runtimeStatus: 'Completed',
      output: ['Hello, Tokyo!', 'Hello, Seattle!'],
    });
  });

  test('timer — GetWaitOnTimerFired (a short timer: one TimerCreated / TimerFired)', async () => {
    const fireAt = new Date((await now()) + 10 * 60_000).toISOString();
    await run('WaitOnTimer', 'canon-timer', fireAt);
    expect((await d.status('canon-timer')).runtimeStatus).toBe('Running');
    expect((await host.clock.skip())?.toISOString()).toBe(fireAt);
    expect(await historyNotation(host, HUB, 'canon-timer')).toEqual([
      OS, ES, 'TimerCreated#0', OC,
      OS, 'TimerFired@0',
      'ExecutionCompleted#1', OC,
    ]); // prettier-ignore
    const rows = await historyRows(host, HUB, 'canon-timer');
    expect(rows.find((r) => r.EventType === 'TimerCreated')!.FireAt!.toISOString()).toBe(fireAt);
    expect(rows.find((r) => r.EventType === 'TimerFired')!.FireAt!.toISOString()).toBe(fireAt);
    expect(await d.status('canon-timer')).toMatchObject({ runtimeStatus: 'Completed', output: 'Timer fired!' });
  });

  test('a 10-day timer is one timer too (devhost advertises a maximumShortTimerDuration the SDK never splits at)', async () => {
    const fireAt = new Date((await now()) + 10 * 24 * 3600_000).toISOString();
    await run('WaitOnTimer', 'canon-long-timer', fireAt);
    expect((await host.clock.skip())?.toISOString()).toBe(fireAt);
    expect(await historyNotation(host, HUB, 'canon-long-timer')).toEqual([
      OS,
      ES,
      'TimerCreated#0',
      OC,
      OS,
      'TimerFired@0',
      'ExecutionCompleted#1',
      OC,
    ]);
  });

  test('external event — GetWaitForExternalEventEventReceived (no id for the wait)', async () => {
    await run('WaitForExternalEvent', 'canon-event');
    await d.raise('canon-event', 'start', 'Reykjavik');
    await host.idle();
    expect(await historyNotation(host, HUB, 'canon-event')).toEqual([
      OS, ES, OC,
      OS, 'EventRaised',
      'TaskScheduled#0', OC,
      OS, 'TaskCompleted@0', 'ExecutionCompleted#1', OC,
    ]); // prettier-ignore
    const raised = (await historyRows(host, HUB, 'canon-event')).find((r) => r.EventType === 'EventRaised')!;
    expect(raised).toMatchObject({ Name: 'start', Input: '"Reykjavik"' });
    expect(await d.status('canon-event')).toMatchObject({ runtimeStatus: 'Completed', output: 'Hello, Reykjavik!' });
  });

  test('sub-orchestration — GetSayHelloWithSubOrchestratorReplayOne', async () => {
    const list = await run('SayHelloWithSubOrchestrator', 'canon-sub', { input: 'World', childId: 'canon-sub-child' });
    expect(list).toEqual([
      OS, ES, 'SubOrchestrationInstanceCreated#0', OC,
      OS, 'SubOrchestrationInstanceCompleted@0',
      'ExecutionCompleted#1', OC,
    ]); // prettier-ignore
    const created = (await historyRows(host, HUB, 'canon-sub')).find((r) => r.EventType === 'SubOrchestrationInstanceCreated')!;
    expect(created).toMatchObject({ Name: 'SayHelloInline', InstanceId: 'canon-sub-child', Input: '"World"' });
    expect(await d.status('canon-sub')).toMatchObject({ runtimeStatus: 'Completed', output: 'Hello, World!' });
    // The child's own history starts with ExecutionStarted carrying the parent.
    const child = await historyRows(host, HUB, 'canon-sub-child');
    expect(child.map((r) => r.EventType)).toEqual([OS, ES, 'ExecutionCompleted', OC]);
    expect(JSON.parse(String((child[1] as unknown as Record<string, unknown>).ParentInstance))).toMatchObject({
      Name: 'SayHelloWithSubOrchestrator',
      TaskScheduleId: 0,
      OrchestrationInstance: { InstanceId: 'canon-sub' },
    });
  });

  test('failing sub-orchestration — GetSayHelloWithSubOrchestratorFail', async () => {
    const list = await run('SayHelloWithSubOrchestrator', 'canon-sub-fail', {
      input: { name: 'World', key: 'canon-sub-fail', failTimes: 1 },
      childId: 'canon-sub-fail-child',
    });
    expect(list).toEqual([
      OS, ES, 'SubOrchestrationInstanceCreated#0', OC,
      OS, 'SubOrchestrationInstanceFailed@0',
      'ExecutionCompleted#1', OC,
    ]); // prettier-ignore
    const failed = (await historyRows(host, HUB, 'canon-sub-fail')).find((r) => r.EventType === 'SubOrchestrationInstanceFailed')!;
    expect(failed.Reason).toBe("Orchestrator function 'SayHelloInline' failed: SayHelloInline failed for World");
  });

  test('sub-orchestration retry, exhausted — GetSayHelloWithSubOrchestratorRetryRetryTwo', async () => {
    await run('SayHelloWithSubOrchestratorRetry', 'canon-sub-retry', { failTimes: 99, childId: 'canon-sub-retry-child' });
    await host.clock.skip();
    expect(await historyNotation(host, HUB, 'canon-sub-retry')).toEqual([
      OS, ES, 'SubOrchestrationInstanceCreated#0', OC,
      OS, 'SubOrchestrationInstanceFailed@0', 'TimerCreated#1', OC,
      OS, 'TimerFired@1', 'SubOrchestrationInstanceCreated#2', OC,
      OS, 'SubOrchestrationInstanceFailed@2', 'TimerCreated#3', OC,
      OS, 'TimerFired@3',
      'ExecutionCompleted#4', OC,
    ]); // prettier-ignore
    const s = await d.status('canon-sub-retry');
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toMatch(
      /^Orchestrator function 'SayHelloWithSubOrchestratorRetry' failed: Orchestrator function 'SayHelloInline' failed: SayHelloInline failed for World\b/,
    );
  });

  test('sub-orchestration retry, succeeding on the retry — GetSayHelloWithSubOrchestratorRetryRetryOne', async () => {
    await run('SayHelloWithSubOrchestratorRetry', 'canon-sub-retry-one', { failTimes: 1, childId: 'canon-sub-retry-one-child' });
    await host.clock.skip();
    expect(await historyNotation(host, HUB, 'canon-sub-retry-one')).toEqual([
      OS, ES, 'SubOrchestrationInstanceCreated#0', OC,
      OS, 'SubOrchestrationInstanceFailed@0', 'TimerCreated#1', OC,
      OS, 'TimerFired@1',
      'SubOrchestrationInstanceCreated#2', OC,
      OS, 'SubOrchestrationInstanceCompleted@2', 'ExecutionCompleted#3', OC,
    ]); // prettier-ignore
    expect(await d.status('canon-sub-retry-one')).toMatchObject({ runtimeStatus: 'Completed', output: 'Hello, World!' });
  });

  test('several sub-orchestrations without ids — GetMultipleSubOrchestratorNoIdsSubOrchestrationsFinished', async () => {
    const list = await run('MultipleSubOrchestratorNoSubId', 'canon-subs', 'in');
    const created = [
      'SubOrchestrationInstanceCreated#0',
      'SubOrchestrationInstanceCreated#1',
      'SubOrchestrationInstanceCreated#2',
      'SubOrchestrationInstanceCreated#3',
    ];
    expect(list.slice(0, 8)).toEqual([OS, ES, ...created, OC, OS]);
    const inner = episodes(list.slice(7)).flatMap((e) => e.slice(1, -1));
    expect(inner.at(-1)).toBe('ExecutionCompleted#4');
    expect(inner.slice(0, -1).sort()).toEqual([0, 1, 2, 3].map((i) => `SubOrchestrationInstanceCompleted@${i}`));
    const rows = await historyRows(host, HUB, 'canon-subs');
    const executionId = rows[0]!.ExecutionId;
    expect(rows.filter((r) => r.EventType === 'SubOrchestrationInstanceCreated').map((r) => [r.Name, r.InstanceId])).toEqual([
      ['SayHelloWithActivity', `${executionId}:0`],
      ['SayHelloInline', `${executionId}:1`],
      ['SayHelloWithActivity', `${executionId}:2`],
      ['SayHelloInline', `${executionId}:3`],
    ]);
    expect(await d.status('canon-subs')).toMatchObject({
      runtimeStatus: 'Completed',
      output: [
        'Hello, in_SayHelloWithActivity_0!',
        'Hello, in_SayHelloInline_1!',
        'Hello, in_SayHelloWithActivity_2!',
        'Hello, in_SayHelloInline_3!',
      ],
    });
  });

  test('WhenAny of a WhenAll of events and a timer, the events winning — GetAnyWithTaskSet (eventsBeatTimer)', async () => {
    await run('AnyWithTaskSet', 'canon-any-set');
    await d.raise('canon-any-set', 'firstRequiredEvent', 1);
    await host.idle();
    await d.raise('canon-any-set', 'secondRequiredEvent', 2);
    await host.idle();
    // Events consume no ids: the timer is 0, the activity after the race 1. (Raised one at a time here,
    // so each event has its own episode; the canonical delivers them in one.)
    expect(await historyNotation(host, HUB, 'canon-any-set')).toEqual([
      OS, ES, 'TimerCreated#0', OC,
      OS, 'EventRaised', OC,
      OS, 'EventRaised', 'TaskScheduled#1', OC,
      OS, 'TaskCompleted@1', 'ExecutionCompleted#2', OC,
    ]); // prettier-ignore
    expect(await d.status('canon-any-set')).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello, Tokyo!'] });
  });

  test('WhenAny of a WhenAll of events and a timer, the timer winning — GetAnyWithTaskSet', async () => {
    await run('AnyWithTaskSet', 'canon-any-timeout');
    await d.raise('canon-any-timeout', 'firstRequiredEvent', 1);
    await host.idle();
    await host.clock.skip();
    expect(await historyNotation(host, HUB, 'canon-any-timeout')).toEqual([
      OS, ES, 'TimerCreated#0', OC,
      OS, 'EventRaised', OC,
      OS, 'TimerFired@0', 'ExecutionCompleted#1', OC,
    ]); // prettier-ignore
    expect(await d.status('canon-any-timeout')).toMatchObject({ runtimeStatus: 'Completed', output: ['timeout'] });
  });

  test('entity call — GetCallEntitySet (EventSent with a task id, answered by an EventRaised)', async () => {
    const list = await run('CallEntitySet', 'canon-entity', 'k1');
    expect(list).toEqual([
      OS, ES, 'EventSent#0', OC,
      OS, 'EventRaised',
      'ExecutionCompleted#1', OC,
    ]); // prettier-ignore
    const rows = await historyRows(host, HUB, 'canon-entity');
    const sent = rows.find((r) => r.EventType === 'EventSent')!;
    expect(sent).toMatchObject({ Name: 'set', InstanceId: '@stringstore@k1' });
    const request = JSON.parse(sent.Input!);
    expect(request).toMatchObject({ op: 'set', parent: 'canon-entity', input: '"testString"' });
    expect(rows.find((r) => r.EventType === 'EventRaised')).toMatchObject({ Name: request.id, Input: JSON.stringify({ result: null }) });
  });
});

describe('WhenAny: a timer raced against an activity (real clock) — GetTimerActivityRace…', () => {
  // The test serves a "gate": a gated activity's request hangs until the test releases it.
  let gate: Server;
  let gateUrl: string;
  const held = new Map<string, ServerResponse>();
  const waiters = new Map<string, () => void>();

  beforeAll(async () => {
    gate = createServer((req, res) => {
      const name = (req.url ?? '/').slice(1);
      held.set(name, res);
      waiters.get(name)?.();
    });
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
    gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of held.values()) res.end();
    await new Promise((r) => gate.close(r));
  });

  const arrived = (name: string, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      if (held.has(name)) return resolve();
      const timer = setTimeout(() => reject(new Error(`${name} never reached the gate`)), timeoutMs);
      waiters.set(name, () => (clearTimeout(timer), resolve()));
    });
  const release = (name: string) => held.get(name)!.end('ok');
  const realApi = () => durableApi(realHost);

  test('the timer wins — GetTimerActivityRaceTimerWinsHistory', async () => {
    const api = realApi();
    await api.start('TimerActivityRace', 'race-timer', { timerMs: 300, gateA: `${gateUrl}/race-timer` });
    await arrived('race-timer/TaskA');
    const s = await waitForStatus(realHost, 'race-timer', (x) => x.runtimeStatus !== 'Running' && x.runtimeStatus !== 'Pending');
    expect(s).toMatchObject({ runtimeStatus: 'Completed', output: 'Timer finished' });
    const expected = [
      OS, ES, 'TimerCreated#0', 'TaskScheduled#1', OC,
      OS, 'TimerFired@0',
      'ExecutionCompleted#2', OC,
    ]; // prettier-ignore
    expect(await historyNotation(realHost, HUB, 'race-timer')).toEqual(expected);
    // TaskA finishing afterwards changes nothing.
    release('race-timer/TaskA');
    await realHost.idle();
    expect(await historyNotation(realHost, HUB, 'race-timer')).toEqual(expected);
  });

  test('the activity wins, the timer fires later — GetTimerActivityRaceActivityWinsHistory', async () => {
    const api = realApi();
    // TaskA runs at once; TaskB is held until the (uncancelled) timer has fired, as in the canonical history.
    // (TaskA has 2.5 s of real time to win; if the machine is too slow for that, the timer wins instead.)
    await api.start('TimerActivityRace', 'race-activity', { timerMs: 2500, gateB: `${gateUrl}/race-activity` });
    await Promise.race([
      arrived('race-activity/TaskB'),
      waitForStatus(realHost, 'race-activity', (x) => x.runtimeStatus === 'Completed').then((x) => {
        throw new Error(`TaskA lost the race to a 2.5 s timer (machine too slow?): ${JSON.stringify(x.output)}`);
      }),
    ]);
    const deadline = Date.now() + 20_000;
    while (!(await historyNotation(realHost, HUB, 'race-activity')).includes('TimerFired@0')) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    release('race-activity/TaskB');
    const s = await waitForStatus(realHost, 'race-activity', (x) => x.runtimeStatus === 'Completed');
    expect(s.output).toBe('TaskB done');
    expect(await historyNotation(realHost, HUB, 'race-activity')).toEqual([
      OS, ES, 'TimerCreated#0', 'TaskScheduled#1', OC,
      OS, 'TaskCompleted@1', 'TaskScheduled#2', OC,
      OS, 'TimerFired@0', OC,
      OS, 'TaskCompleted@2',
      'ExecutionCompleted#3', OC,
    ]); // prettier-ignore
  });
});

test('the engines logged no replay warnings (non-determinism, completions nobody waits for)', () => {
  for (const h of [host, realHost]) expect(h.output()).not.toMatch(/non-deterministic|which is not waiting|could not fire/);
});
