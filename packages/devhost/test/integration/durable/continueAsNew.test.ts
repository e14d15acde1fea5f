// continueAsNew through the real durable-functions SDK: generations that carry their input over, an eternal
// orchestration driven by the test clock, and external events that arrive while an execution ends and must
// be carried into the next one. Fixture: durable/continue.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

const START = Date.parse('2032-06-01T00:00:00.000Z');
const HOUR = 60 * 60_000;

let host: TestHost;

beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/durable/continue', clock: START });
});

afterAll(async () => {
  await host?.stop();
});

type Status = { runtimeStatus: string; input: unknown; output: unknown; customStatus: unknown; historyEvents?: Record<string, unknown>[] };

const api = (path: string, init?: RequestInit) => host.fetch(`/runtime/webhooks/durabletask/${path}`, init);

async function start(name: string, id: string, input: unknown): Promise<void> {
  const res = await api(`orchestrators/${name}/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  expect(res.status).toBe(202);
}

async function status(id: string, query = ''): Promise<Status> {
  return (await (await api(`instances/${id}${query}`)).json()) as Status;
}

async function raise(id: string, value: unknown): Promise<void> {
  const res = await api(`instances/${id}/raiseEvent/item`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
  expect(res.status).toBe(202);
}

test('counting up through continueAsNew: the input carries over, the last generation completes with everything', async () => {
  await start('countUp', 'count-8', { n: 0, max: 8, seen: [] });
  await host.idle();
  const s = await status('count-8', '?showHistory=true&showHistoryOutput=true');
  expect(s).toMatchObject({
    runtimeStatus: 'Completed',
    output: { generations: 8, seen: [0, 10, 20, 30, 40, 50, 60, 70] },
    // The status shows the last generation's input.
    input: { n: 7, max: 8, seen: [0, 10, 20, 30, 40, 50, 60] },
  });
  // Only the last execution's history is kept.
  expect(s.historyEvents!.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskCompleted', 'ExecutionCompleted']);
  expect(s.historyEvents![1]).toMatchObject({ FunctionName: 'tick', Result: 70 });
});

test('several counters at once', async () => {
  await Promise.all([3, 5, 7].map((max) => start('countUp', `count-par-${max}`, { n: 0, max, seen: [] })));
  await host.idle();
  for (const max of [3, 5, 7]) {
    expect(await status(`count-par-${max}`)).toMatchObject({
      runtimeStatus: 'Completed',
      output: { generations: max, seen: Array.from({ length: max }, (_, i) => i * 10) },
    });
  }
});

test('an eternal orchestration: one generation per hour of test clock, each starting at its timer', async () => {
  await start('eternal', 'forever', {});
  await host.idle();
  expect(await status('forever')).toMatchObject({ runtimeStatus: 'Running', customStatus: { gen: 0, now: new Date(START).toISOString() } });

  const now = (await host.clock.now()).getTime();
  await host.clock.advance(5 * HOUR);
  const s = await status('forever', '?showHistory=true');
  const hours = [0, 1, 2, 3, 4].map((h) => new Date(now + h * HOUR).toISOString());
  expect(s).toMatchObject({
    runtimeStatus: 'Running',
    customStatus: { gen: 5, now: new Date(now + 5 * HOUR).toISOString() },
    input: { gen: 5, starts: hours },
  });
  expect(s.historyEvents!.filter((e) => e.EventType === 'ExecutionStarted')).toHaveLength(1);

  // Half an hour more: nothing new is due.
  await host.clock.advance(HOUR / 2);
  expect(await status('forever')).toMatchObject({ customStatus: { gen: 5 } });
  await host.clock.advance(HOUR / 2);
  expect(await status('forever')).toMatchObject({ customStatus: { gen: 6 } });

  expect((await api('instances/forever/terminate?reason=enough', { method: 'POST' })).status).toBe(202);
  await host.idle();
  expect(await status('forever')).toMatchObject({ runtimeStatus: 'Terminated', output: 'enough' });
  // Its pending timer fires into a terminated instance: nothing changes.
  await host.clock.advance(2 * HOUR);
  expect(await status('forever')).toMatchObject({ runtimeStatus: 'Terminated', output: 'enough', customStatus: { gen: 6 } });
});

test('events raised while an execution is ending are carried into the next execution', async () => {
  await start('relay', 'relay-1', { max: 5 });
  await host.idle();
  await raise('relay-1', { i: 1 });
  await host.idle();
  // Generation 1 has its item and waits on its timer; four more items arrive before it continues as new.
  for (let i = 2; i <= 5; i++) await raise('relay-1', { i });
  await host.idle();
  expect(await status('relay-1')).toMatchObject({ runtimeStatus: 'Running', input: { max: 5 } });

  await host.clock.advance(60_000);
  const gen2 = await status('relay-1', '?showHistory=true&showHistoryOutput=true');
  expect(gen2.input).toEqual({ received: [{ i: 1 }], max: 5, pause: true });
  // The next execution starts with the four carried events, in the order they were raised.
  const raised = gen2.historyEvents!.filter((e) => e.EventType === 'EventRaised');
  expect(raised.map((e) => e.Input)).toEqual([{ i: 2 }, { i: 3 }, { i: 4 }, { i: 5 }]);

  for (let g = 2; g <= 4; g++) await host.clock.advance(60_000);
  expect(await status('relay-1')).toMatchObject({ runtimeStatus: 'Completed', output: [{ i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }, { i: 5 }] });
});

test('a burst of events against back-to-back continueAsNew generations: none lost, none doubled, in order', async () => {
  await start('relay', 'relay-burst', { max: 12, pause: false });
  await host.idle();
  for (let i = 1; i <= 12; i++) await raise('relay-burst', i);
  await host.idle();
  expect(await status('relay-burst')).toMatchObject({ runtimeStatus: 'Completed', output: Array.from({ length: 12 }, (_, i) => i + 1) });
});
