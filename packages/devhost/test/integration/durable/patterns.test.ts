// The canonical Durable Functions application patterns, end to end through the real durable-functions SDK:
// function chaining, fan-out/fan-in, the async HTTP API, monitor (durable timers under the test clock),
// human interaction (an approval event raced against a deadline), the aggregator (a durable entity),
// callHttp against a local HTTP server, and custom status. Asserted as a user sees them: the HTTP status
// API, the durable client, and the <Hub>History table. Fixture: durable/patterns. One host, test clock.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';
import { durableApi, historyNotation, historyRows, jsonInit, WEBHOOK, type Status } from './support.js';

const HUB = 'PatternsHub';
const T0 = '2026-01-01T00:00:00.000Z';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let host: TestHost;
let d: ReturnType<typeof durableApi>;

/** A small HTTP server for callHttp: answers by route and records every request. */
interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
let server: Server;
let serverUrl: string;
const requests: Recorded[] = [];
const pollCounts = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = req.url ?? '/';
      if (url === '/hello') return void res.writeHead(200, { 'content-type': 'text/plain', 'x-answer': '42' }).end('hi there');
      if (url === '/echo')
        return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body }));
      // Long-running operations (the async request-reply pattern): 202 + Location, then 200 at the Location.
      const start = url.match(/^\/jobs\/(\w+)\/start(\?retryAfter=(\d+))?$/);
      if (start) {
        const headers: Record<string, string> = { location: `${serverUrl}/jobs/${start[1]}/status` };
        if (start[3]) headers['retry-after'] = start[3];
        return void res.writeHead(202, headers).end();
      }
      // /jobs/<id>/status?pending=n: still 202 (Retry-After 2) for the first n polls.
      const status = url.match(/^\/jobs\/(\w+)\/status(\?pending=(\d+))?$/);
      if (status) {
        const polls = (pollCounts.get(status[1]!) ?? 0) + 1;
        pollCounts.set(status[1]!, polls);
        if (polls <= Number(status[3] ?? 0)) return void res.writeHead(202, { location: `${serverUrl}${url}`, 'retry-after': '2' }).end();
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ job: status[1], done: true }));
      }
      const pendingStart = url.match(/^\/pending\/(\w+)\/start\?pending=(\d+)$/);
      if (pendingStart)
        return void res
          .writeHead(202, { location: `/jobs/${pendingStart[1]}/status?pending=${pendingStart[2]}`, 'retry-after': '2' })
          .end();
      res.writeHead(404).end('not found');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  host = await startHost({ app: 'test/fixtures/durable/patterns', clock: T0 });
  d = durableApi(host);
});

afterAll(async () => {
  await host?.stop();
  await new Promise((r) => server?.close(r));
});

const now = async () => (await host.clock.now()).getTime();
/** The earliest time a durable timer waits for (devhost's admin clock view), or null. */
const nextDue = async () => ((await (await host.adminFetch('/admin/devhost/clock')).json()) as { nextDue: string | null }).nextDue;

/** Starts through the app's own HTTP starter (df.app.client.http + createCheckStatusResponse). */
async function startViaApp(name: string, id: string, input?: unknown): Promise<Response> {
  return host.fetch(`/api/orchestrators/${name}/${id}`, jsonInit('POST', input));
}

describe('function chaining', () => {
  test('a three-activity sequence: outputs in order, and the history the status API and the History table show', async () => {
    const res = await startViaApp('helloSequence', 'chain-1');
    expect(res.status).toBe(202);
    await host.idle();
    const s = await d.status('chain-1', '?showHistory=true&showHistoryOutput=true');
    // client.startNew without an input posts the JSON text "" (the SDK's axios serialises its ""), and the
    // extension's start endpoint deserialises that: the input is the empty string, not null.
    expect(s).toMatchObject({
      name: 'helloSequence',
      runtimeStatus: 'Completed',
      input: '',
      output: ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'],
    });
    expect(s.historyEvents!.map((e) => [e.EventType, e.FunctionName ?? null, e.Result ?? null])).toEqual([
      ['ExecutionStarted', 'helloSequence', null],
      ['TaskCompleted', 'sayHello', 'Hello Tokyo!'],
      ['TaskCompleted', 'sayHello', 'Hello Seattle!'],
      ['TaskCompleted', 'sayHello', 'Hello London!'],
      ['ExecutionCompleted', null, ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']],
    ]);
    expect(s.historyEvents!.at(-1)).toMatchObject({ OrchestrationStatus: 'Completed' });
    // Every episode: OrchestratorStarted, what arrived, what was scheduled, OrchestratorCompleted.
    expect(await historyNotation(host, HUB, 'chain-1')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskCompleted@0', 'TaskScheduled#1', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskCompleted@1', 'TaskScheduled#2', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskCompleted@2', 'ExecutionCompleted#3', 'OrchestratorCompleted',
    ]); // prettier-ignore
    const rows = await historyRows(host, HUB, 'chain-1');
    // Activity inputs as DTFx stores them: the parameter array (the SDK pre-serialises string inputs).
    expect(rows.filter((r) => r.EventType === 'TaskScheduled').map((r) => [r.Name, r.Input])).toEqual([
      ['sayHello', JSON.stringify([JSON.stringify('Tokyo')])],
      ['sayHello', JSON.stringify([JSON.stringify('Seattle')])],
      ['sayHello', JSON.stringify([JSON.stringify('London')])],
    ]);
    expect(rows.filter((r) => r.EventType === 'TaskCompleted').map((r) => r.Result)).toEqual([
      '"Hello Tokyo!"',
      '"Hello Seattle!"',
      '"Hello London!"',
    ]);
    expect(rows.find((r) => r.EventType === 'ExecutionCompleted')).toMatchObject({
      OrchestrationStatus: 'Completed',
      Result: JSON.stringify(s.output),
    });
  });

  test('the input flows to the activities', async () => {
    await d.start('helloSequence', 'chain-2', ['Oslo', 'Lima']);
    await host.idle();
    expect(await d.status('chain-2')).toMatchObject({
      runtimeStatus: 'Completed',
      input: ['Oslo', 'Lima'],
      output: ['Hello Oslo!', 'Hello Lima!'],
    });
  });
});

describe('function chaining, more', () => {
  test('ten sequences started at once all complete, each with its own output', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `chain-many-${i}`);
    await Promise.all(ids.map((id, i) => d.start('helloSequence', id, [`City${i}`, 'Paris'])));
    await host.idle();
    for (const [i, id] of ids.entries()) {
      expect(await d.status(id)).toMatchObject({ runtimeStatus: 'Completed', output: [`Hello City${i}!`, 'Hello Paris!'] });
    }
  });

  test('results and outputs far over 60 KB (stored off-table) come back whole', async () => {
    await d.start('bigPayload', 'big-1', { char: 'x', count: 200_000 });
    await host.idle();
    const s = await d.status('big-1');
    expect(s.runtimeStatus).toBe('Completed');
    const output = s.output as { length: number; text: string };
    expect(output.length).toBe(200_000);
    expect(output.text).toBe('x'.repeat(200_000));
    const done = (await historyRows(host, HUB, 'big-1')).find((r) => r.EventType === 'TaskCompleted')!;
    expect(done.Result).toBe('');
    expect((done as unknown as Record<string, unknown>).ResultBlobName).toMatch(/\.json\.gz$/);
  });
});

describe('fan-out/fan-in', () => {
  test('50 activities in parallel (Task.all): all scheduled in one episode, results aggregated in order', async () => {
    await d.start('fanOutFanIn', 'fan-1', 50);
    await host.idle();
    const s = await d.status('fan-1');
    const squares = Array.from({ length: 50 }, (_, i) => (i + 1) ** 2);
    expect(s).toMatchObject({ runtimeStatus: 'Completed', output: { count: 50, sum: 42925, results: squares } });

    const list = await historyNotation(host, HUB, 'fan-1');
    const fanOut = Array.from({ length: 50 }, (_, i) => `TaskScheduled#${i + 1}`);
    expect(list.slice(0, 4 + 2 + 50 + 1)).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskCompleted@0', ...fanOut, 'OrchestratorCompleted',
    ]); // prettier-ignore
    // The results arrive in whatever order and batches the activities finish in; each exactly once.
    const rest = list.slice(57);
    const completions = rest.filter((e) => e.startsWith('TaskCompleted@'));
    expect(completions.map((e) => Number(e.split('@')[1])).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(rest.filter((e) => !e.startsWith('TaskCompleted@') && e !== 'OrchestratorStarted' && e !== 'OrchestratorCompleted')).toEqual([
      'ExecutionCompleted#51',
    ]);
    expect(rest.at(-2)).toBe('ExecutionCompleted#51');
  });
});

describe('fan-out/fan-in, edges', () => {
  test('fanning out over nothing: the SDK refuses Task.all([]), and the orchestration fails with its message', async () => {
    await d.start('fanOutFanIn', 'fan-0', 0);
    await host.idle();
    const s = await d.status('fan-0');
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toBe(
      "Orchestrator function 'fanOutFanIn' failed: When constructing a CompoundTask (such as Task.all() or Task.any()), you must specify at least one Task.",
    );
    expect(await historyNotation(host, HUB, 'fan-0')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskCompleted@0', 'ExecutionCompleted#1', 'OrchestratorCompleted',
    ]); // prettier-ignore
  });
});

describe('async HTTP API', () => {
  test('the starter answers 202 with Location / statusQueryGetUri on the host’s real port; polling gives 202 while running, then 200 with the output', async () => {
    const res = await startViaApp('longJob', 'async-1', { order: 42 });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(
      [
        'id',
        'purgeHistoryDeleteUri',
        'restartPostUri',
        'resumePostUri',
        'rewindPostUri',
        'sendEventPostUri',
        'statusQueryGetUri',
        'suspendPostUri',
        'terminatePostUri',
      ].sort(),
    );
    expect(body.id).toBe('async-1');
    expect(res.headers.get('location')).toBe(body.statusQueryGetUri);
    const statusUri = new URL(body.statusQueryGetUri!);
    expect(statusUri.origin).toBe(new URL(host.url).origin);
    expect(statusUri.pathname).toBe(`${WEBHOOK}/instances/async-1`);
    expect(statusUri.searchParams.get('taskHub')).toBe(HUB);

    await host.idle();
    const running = await fetch(body.statusQueryGetUri!);
    expect(running.status).toBe(202);
    expect(running.headers.get('location')).toBe(body.statusQueryGetUri);
    expect(await running.json()).toMatchObject({
      runtimeStatus: 'Running',
      customStatus: { stage: 'working' },
      output: null,
      input: { order: 42 },
    });

    const raise = await fetch(body.sendEventPostUri!.replace('{eventName}', 'finish'), jsonInit('POST', 'by the test'));
    expect(raise.status).toBe(202);
    await host.idle();
    const done = await fetch(body.statusQueryGetUri!);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({
      name: 'longJob',
      instanceId: 'async-1',
      runtimeStatus: 'Completed',
      customStatus: { stage: 'done' },
      output: { finished: 'by the test', input: { order: 42 } },
    });
  });

  test('waitForCompletionOrCreateCheckStatusResponse: 200 with the output when it finishes in time, else the 202 check-status response', async () => {
    const quick = await host.fetch('/api/wait/helloSequence/wait-1', jsonInit('POST', ['Rome']));
    expect(quick.status).toBe(200);
    expect(await quick.json()).toEqual(['Hello Rome!']);

    const slow = await host.fetch('/api/wait/longJob/wait-2?timeoutMs=300', jsonInit('POST', {}));
    expect(slow.status).toBe(202);
    const payload = (await slow.json()) as Record<string, string>;
    expect(slow.headers.get('location')).toBe(payload.statusQueryGetUri);
    expect(new URL(payload.statusQueryGetUri!).origin).toBe(new URL(host.url).origin);
    await d.raise('wait-2', 'finish', 'late');
    await host.idle();
    expect((await fetch(payload.statusQueryGetUri!)).status).toBe(200);
  });
});

describe('human interaction (approval raced against a deadline)', () => {
  test('approved through client.raiseEvent before the deadline; the deadline timer is cancelled', async () => {
    const start = await now();
    await d.start('approvalWorkflow', 'approve-1', { approver: 'alice', timeoutHours: 72 });
    await host.idle();
    const waiting = await d.status('approve-1');
    expect(waiting).toMatchObject({
      runtimeStatus: 'Running',
      customStatus: { stage: 'awaiting approval', deadline: new Date(start + 72 * HOUR).toISOString() },
    });

    await host.clock.advance(2 * HOUR);
    await d.client('raise', 'approve-1', { event: 'Approval', data: { by: 'alice', approved: true } });
    await host.idle();
    expect(await d.status('approve-1')).toMatchObject({
      runtimeStatus: 'Completed',
      customStatus: { stage: 'approved' },
      output: { outcome: 'approved', approval: { by: 'alice', approved: true }, at: new Date(start + 2 * HOUR).toISOString() },
    });
    // timeout.cancel(): nothing waits on the clock any more.
    expect(await nextDue()).toBeNull();
    const before = await historyNotation(host, HUB, 'approve-1');
    expect(before).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskCompleted@0', 'TimerCreated#1', 'OrchestratorCompleted',
      'OrchestratorStarted', 'EventRaised', 'ExecutionCompleted#2', 'OrchestratorCompleted',
    ]); // prettier-ignore
    // The deadline passing later changes nothing.
    await host.clock.advance(72 * HOUR);
    expect(await historyNotation(host, HUB, 'approve-1')).toEqual(before);
    // A completed instance takes no more events.
    const late = await d.api('instances/approve-1/raiseEvent/Approval', jsonInit('POST', {}));
    expect(late.status).toBe(410);
  });

  test('approved through the HTTP raiseEvent endpoint', async () => {
    const start = await now();
    await d.start('approvalWorkflow', 'approve-2', { approver: 'bob', timeoutHours: 1 });
    await host.idle();
    await host.clock.advance(59 * MINUTE);
    await d.raise('approve-2', 'Approval', 'ok by bob');
    await host.idle();
    expect(await d.status('approve-2')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { outcome: 'approved', approval: 'ok by bob', at: new Date(start + 59 * MINUTE).toISOString() },
    });
  });

  test('no answer: skipping the clock past the deadline takes the timeout path', async () => {
    const start = await now();
    await d.start('approvalWorkflow', 'approve-3', { timeoutHours: 24 });
    await host.idle();
    await host.clock.advance(23 * HOUR);
    expect((await d.status('approve-3')).runtimeStatus).toBe('Running');
    const skipped = await host.clock.skip();
    expect(skipped?.toISOString()).toBe(new Date(start + 24 * HOUR).toISOString());
    const deadline = new Date(start + 24 * HOUR).toISOString();
    expect(await d.status('approve-3')).toMatchObject({
      runtimeStatus: 'Completed',
      customStatus: { stage: 'escalated' },
      output: { outcome: 'timed out', deadline, at: deadline },
    });
    const rows = await historyRows(host, HUB, 'approve-3');
    const timer = rows.find((r) => r.EventType === 'TimerCreated')!;
    expect(timer.FireAt?.toISOString()).toBe(deadline);
    expect(rows.map((r) => (r.EventType === 'TimerFired' ? `TimerFired@${r.TimerId}` : r.EventType)).slice(-4)).toEqual([
      'OrchestratorStarted',
      `TimerFired@${timer.EventId}`,
      'ExecutionCompleted',
      'OrchestratorCompleted',
    ]);
  });

  test('an approval raised before the orchestrator waits for it is buffered and consumed when it does', async () => {
    const start = await now();
    await d.start('approvalWorkflow', 'approve-4', { prepareMinutes: 60, timeoutHours: 24 });
    await host.idle();
    expect(await d.status('approve-4')).toMatchObject({ runtimeStatus: 'Running', customStatus: { stage: 'preparing' } });
    await d.raise('approve-4', 'Approval', { early: true });
    await host.idle();
    // Recorded in history, but nobody waits for it yet.
    expect(await d.status('approve-4')).toMatchObject({ runtimeStatus: 'Running', customStatus: { stage: 'preparing' } });
    expect((await historyNotation(host, HUB, 'approve-4')).slice(-3)).toEqual([
      'OrchestratorStarted',
      'EventRaised',
      'OrchestratorCompleted',
    ]);

    await host.clock.advance(60 * MINUTE);
    expect(await d.status('approve-4')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { outcome: 'approved', approval: { early: true }, at: new Date(start + 60 * MINUTE).toISOString() },
    });
  });
});

describe('aggregator (durable entity)', () => {
  const entity = (key: string) => `${WEBHOOK}/entities/counter/${key}`;

  test('signals through the HTTP API and client.signalEntity; state through GET entities/… and client.readEntityState', async () => {
    const signal = await host.fetch(`${entity('agg-1')}?op=add`, jsonInit('POST', 5));
    expect(signal.status).toBe(202);
    await host.idle();
    const read = await host.fetch(entity('agg-1'));
    expect(read.status).toBe(200);
    expect(await read.json()).toBe(5);

    await d.client('signal', undefined, { key: 'agg-1', op: 'add', input: 10 });
    await host.idle();
    expect(await d.client('readEntity', undefined, { key: 'agg-1' })).toEqual({ entityExists: true, entityState: 15 });

    // Many signals at once are each applied once.
    const many = await Promise.all(Array.from({ length: 20 }, () => host.fetch(`${entity('agg-1')}?op=add`, jsonInit('POST', 1))));
    expect(many.map((r) => r.status)).toEqual(Array(20).fill(202));
    await host.idle();
    expect(await (await host.fetch(entity('agg-1'))).json()).toBe(35);

    expect(await d.client('readEntity', undefined, { key: 'nobody' })).toEqual({ entityExists: false });
    expect((await host.fetch(entity('nobody'))).status).toBe(404);
  });

  test('an entity signals another entity; DELETE entities/… deletes one (destructOnExit)', async () => {
    await d.client('signal', undefined, { key: 'agg-fwd-a', op: 'addAndForward', input: { amount: 7, to: 'agg-fwd-b' } });
    await host.idle();
    expect(await d.client('readEntity', undefined, { key: 'agg-fwd-a' })).toEqual({ entityExists: true, entityState: 7 });
    expect(await d.client('readEntity', undefined, { key: 'agg-fwd-b' })).toEqual({ entityExists: true, entityState: 7 });

    const del = await host.fetch(entity('agg-fwd-a'), { method: 'DELETE' });
    expect(del.status).toBe(202);
    await host.idle();
    expect((await host.fetch(entity('agg-fwd-a'))).status).toBe(404);
    expect(await d.client('readEntity', undefined, { key: 'agg-fwd-a' })).toEqual({ entityExists: false });
    // A new signal starts it again from its initial state.
    await host.fetch(`${entity('agg-fwd-a')}?op=add`, jsonInit('POST', 1));
    await host.idle();
    expect(await (await host.fetch(entity('agg-fwd-a'))).json()).toBe(1);
  });

  test('an orchestration calls the entity (callEntity) and gets the value back', async () => {
    await host.fetch(`${entity('agg-2')}?op=add`, jsonInit('POST', 40));
    await host.idle();
    await d.start('counterOrchestration', 'agg-call-1', { key: 'agg-2', add: 2 });
    await host.idle();
    expect(await d.status('agg-call-1')).toMatchObject({ runtimeStatus: 'Completed', output: 42 });
    expect(await d.client('readEntity', undefined, { key: 'agg-2' })).toEqual({ entityExists: true, entityState: 42 });
    // Each call is an EventSent with a task id, answered by an EventRaised named by the request id.
    expect(await historyNotation(host, HUB, 'agg-call-1')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'EventSent#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'EventRaised', 'EventSent#1', 'OrchestratorCompleted',
      'OrchestratorStarted', 'EventRaised', 'ExecutionCompleted#2', 'OrchestratorCompleted',
    ]); // prettier-ignore
    const rows = await historyRows(host, HUB, 'agg-call-1');
    const sent = rows.filter((r) => r.EventType === 'EventSent');
    const raised = rows.filter((r) => r.EventType === 'EventRaised');
    expect(sent.map((r) => [r.InstanceId, r.Name])).toEqual([
      ['@counter@agg-2', 'add'],
      ['@counter@agg-2', 'get'],
    ]);
    expect(raised.map((r) => r.Name)).toEqual(sent.map((r) => JSON.parse(r.Input!).id));
    expect(JSON.parse(raised[1]!.Input!)).toMatchObject({ result: '42' });
  });
});

describe('aggregator (durable entity), continued', () => {
  test('a signal from an orchestration takes a task id; an operation that throws surfaces as an error the orchestrator catches', async () => {
    await host.fetch(`${WEBHOOK}/entities/counter/agg-3?op=add`, jsonInit('POST', 10));
    await host.idle();
    await d.start('entityErrors', 'agg-errors', 'agg-3');
    await host.idle();
    expect(await d.status('agg-errors')).toMatchObject({ runtimeStatus: 'Completed', output: { caught: true, value: 11 } });
    expect(await historyNotation(host, HUB, 'agg-errors')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'EventSent#0', 'EventSent#1', 'OrchestratorCompleted',
      'OrchestratorStarted', 'EventRaised', 'EventSent#2', 'OrchestratorCompleted',
      'OrchestratorStarted', 'EventRaised', 'ExecutionCompleted#3', 'OrchestratorCompleted',
    ]); // prettier-ignore
    const rows = await historyRows(host, HUB, 'agg-errors');
    expect(JSON.parse(rows.find((r) => r.EventType === 'EventSent' && r.EventId === 0)!.Input!)).toMatchObject({
      op: 'add',
      signal: true,
      input: '1',
    });
    expect(JSON.parse(rows.find((r) => r.EventType === 'EventRaised')!.Input!)).toMatchObject({ exceptionType: 'Error' });
  });
});

describe('eternal orchestration (continueAsNew)', () => {
  test('each continueAsNew starts a fresh execution with the new input; history holds only the last one', async () => {
    const start = await now();
    await d.start('eternalCounter', 'eternal-1', { count: 0, until: 3 });
    await host.idle();
    expect(await d.status('eternal-1')).toMatchObject({ runtimeStatus: 'Running', customStatus: { count: 0 } });
    await host.clock.advance(3 * HOUR);
    const s = await d.status('eternal-1');
    expect(s).toMatchObject({
      runtimeStatus: 'Completed',
      input: { count: 3, until: 3 },
      output: { count: 3, at: new Date(start + 3 * HOUR).toISOString() },
      customStatus: { count: 3 },
    });
    expect(await historyNotation(host, HUB, 'eternal-1')).toEqual([
      'OrchestratorStarted',
      'ExecutionStarted',
      'ExecutionCompleted#0',
      'OrchestratorCompleted',
    ]);
  });
});

describe('external events, more', () => {
  test('events raised faster than an eternal orchestration takes them are carried into the next execution, in order', async () => {
    await d.start('eternalInbox', 'inbox-1', { until: 4 });
    // No waiting between: several arrive in one batch, and continueAsNew must carry the unconsumed ones.
    for (const item of ['a', 'b', 'c', 'd']) await d.raise('inbox-1', 'item', item);
    await host.idle();
    expect(await d.status('inbox-1')).toMatchObject({ runtimeStatus: 'Completed', output: ['a', 'b', 'c', 'd'] });
  });

  test('an event raised right after the start (before the first episode) is kept', async () => {
    await d.start('progressReporter', 'early-event', 1);
    await d.raise('early-event', 'next', 'x');
    await host.idle();
    expect(await d.status('early-event')).toMatchObject({ runtimeStatus: 'Completed', output: 'finished' });
  });
});

describe('eternal orchestration with timers it leaves running', () => {
  test('a timer the previous execution did not cancel does not stand in for the new execution’s timer of the same id', async () => {
    const start = await now();
    await d.start('eternalPinger', 'pinger-1', { rounds: 2 });
    await host.idle();
    await host.clock.advance(HOUR);
    await d.raise('pinger-1', 'ping', 1);
    await host.idle();
    // Execution 2 waits for its own timer (id 0 again), due a day after the ping.
    expect(await d.status('pinger-1')).toMatchObject({ runtimeStatus: 'Running', input: { pings: 1, timeouts: 0, rounds: 2 } });
    await host.clock.advance(24 * HOUR);
    expect(await d.status('pinger-1')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { pings: 1, timeouts: 1, at: new Date(start + 25 * HOUR).toISOString() },
    });
  });
});

describe('callHttp', () => {
  test('one request per action; the response comes back as { statusCode, content, headers }', async () => {
    requests.length = 0;
    await d.start('httpCall', 'http-1', { url: `${serverUrl}/hello`, headers: { 'x-trace': 'abc' } });
    await host.idle();
    const s = await d.status('http-1');
    expect(s).toMatchObject({ runtimeStatus: 'Completed', output: { statusCode: 200, content: 'hi there' } });
    expect((s.output as { headers: Record<string, string> }).headers['x-answer']).toBe('42');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'GET', url: '/hello', headers: { 'x-trace': 'abc' } });
    expect(await historyNotation(host, HUB, 'http-1')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskCompleted@0', 'ExecutionCompleted#1', 'OrchestratorCompleted',
    ]); // prettier-ignore
    expect((await historyRows(host, HUB, 'http-1'))[2]).toMatchObject({ Name: 'BuiltIn::HttpActivity' });
  });

  test('a POST with a JSON body', async () => {
    requests.length = 0;
    await d.start('httpCall', 'http-2', {
      url: `${serverUrl}/echo`,
      method: 'POST',
      body: { a: 1 },
      headers: { 'content-type': 'application/json' },
    });
    await host.idle();
    expect(await d.status('http-2')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { statusCode: 201, content: JSON.stringify({ method: 'POST', body: '{"a":1}' }) },
    });
    expect(requests).toEqual([expect.objectContaining({ method: 'POST', url: '/echo', body: '{"a":1}' })]);
  });

  test('202 + Location: the poll waits Retry-After on a durable timer, then GETs the Location (one request per step)', async () => {
    requests.length = 0;
    const start = await now();
    await d.start('httpCall', 'http-3', { url: `${serverUrl}/jobs/a/start?retryAfter=5`, method: 'POST', body: 'go' });
    await host.idle();
    expect((await d.status('http-3')).runtimeStatus).toBe('Running');
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /jobs/a/start?retryAfter=5']);
    await host.clock.advance(5000);
    const s = await d.status('http-3');
    expect(s).toMatchObject({ runtimeStatus: 'Completed', output: { statusCode: 200, content: JSON.stringify({ job: 'a', done: true }) } });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /jobs/a/start?retryAfter=5', 'GET /jobs/a/status']);
    expect(await historyNotation(host, HUB, 'http-3')).toEqual([
      'OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled#0', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskCompleted@0', 'TimerCreated#1', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TimerFired@1', 'TaskScheduled#2', 'OrchestratorCompleted',
      'OrchestratorStarted', 'TaskCompleted@2', 'ExecutionCompleted#3', 'OrchestratorCompleted',
    ]); // prettier-ignore
    const timer = (await historyRows(host, HUB, 'http-3')).find((r) => r.EventType === 'TimerCreated')!;
    expect(timer.FireAt?.toISOString()).toBe(new Date(start + 5000).toISOString());
  });

  test('202 + Location without Retry-After waits the default 30 s; with polling disabled the 202 is the result', async () => {
    requests.length = 0;
    const start = await now();
    await d.start('httpCall', 'http-4', { url: `${serverUrl}/jobs/b/start` });
    await host.idle();
    const timer = (await historyRows(host, HUB, 'http-4')).find((r) => r.EventType === 'TimerCreated')!;
    expect(timer.FireAt?.toISOString()).toBe(new Date(start + 30_000).toISOString());
    await host.clock.advance(30_000);
    expect(await d.status('http-4')).toMatchObject({ runtimeStatus: 'Completed', output: { statusCode: 200 } });

    await d.start('httpCall', 'http-5', { url: `${serverUrl}/jobs/c/start`, enablePolling: false });
    await host.idle();
    expect(await d.status('http-5')).toMatchObject({ runtimeStatus: 'Completed', output: { statusCode: 202 } });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /jobs/b/start', 'GET /jobs/b/status', 'GET /jobs/c/start']);
  });
});

describe('callHttp, more', () => {
  test('a Location that is still 202 is polled again after its Retry-After; a relative Location resolves against the request', async () => {
    requests.length = 0;
    const start = await now();
    await d.start('httpCall', 'http-6', { url: `${serverUrl}/pending/d/start?pending=2` });
    await host.idle();
    for (let i = 0; i < 3; i++) await host.clock.advance(2000);
    expect(await d.status('http-6')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { statusCode: 200, content: JSON.stringify({ job: 'd', done: true }) },
    });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /pending/d/start?pending=2',
      'GET /jobs/d/status?pending=2',
      'GET /jobs/d/status?pending=2',
      'GET /jobs/d/status?pending=2',
    ]);
    const rows = await historyRows(host, HUB, 'http-6');
    expect(rows.filter((r) => r.EventType === 'TimerCreated').map((r) => [r.EventId, r.FireAt!.getTime() - start])).toEqual([
      [1, 2000],
      [3, 4000],
      [5, 6000],
    ]);
    expect(rows.filter((r) => r.EventType === 'TaskScheduled').map((r) => r.EventId)).toEqual([0, 2, 4, 6]);
  });

  test('a request that cannot connect fails the task: "Activity function \'BuiltIn::HttpActivity\' failed: …"', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await d.start('httpCall', 'http-7', { url: `http://127.0.0.1:${port}/nothing` });
    await host.idle();
    const s = await d.status('http-7');
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toMatch(/^Orchestrator function 'httpCall' failed: Activity function 'BuiltIn::HttpActivity' failed: /);
  });
});

describe('custom status', () => {
  test('setCustomStatus is visible while the orchestration runs, through the HTTP API and the client', async () => {
    await d.start('progressReporter', 'progress-1', 3);
    await host.idle();
    for (let step = 1; step <= 3; step++) {
      const expected = { step, of: 3, message: `waiting for step ${step}` };
      expect(await d.status('progress-1')).toMatchObject({ runtimeStatus: 'Running', customStatus: expected });
      expect(await d.client('status', 'progress-1')).toMatchObject({ runtimeStatus: 'Running', customStatus: expected });
      await d.raise('progress-1', 'next', step);
      await host.idle();
    }
    expect(await d.status('progress-1')).toMatchObject({
      runtimeStatus: 'Completed',
      customStatus: { step: 3, of: 3, message: 'all done' },
      output: 'finished',
    });
  });
});

test('the engine logged no replay warnings (non-determinism, completions nobody waits for)', () => {
  expect(host.output()).not.toMatch(/non-deterministic|which is not waiting|could not fire/);
});

describe('monitor (durable timers on the test clock)', () => {
  test('checks every hour for a week: clock.advance(7 days) runs it to the end; currentUtcDateTime follows the virtual clock', async () => {
    const start = await now();
    await d.start('monitor', 'monitor-7d', { days: 7, intervalMinutes: 60 });
    await host.idle();
    expect(await d.status('monitor-7d')).toMatchObject({
      runtimeStatus: 'Running',
      customStatus: { checks: 1, lastCheck: new Date(start).toISOString() },
    });

    await host.clock.advance(36 * HOUR + 30 * MINUTE);
    expect(await d.status('monitor-7d')).toMatchObject({
      runtimeStatus: 'Running',
      customStatus: { checks: 37, lastCheck: new Date(start + 36 * HOUR).toISOString() },
    });

    await host.clock.advance(7 * DAY);
    const s: Status = await d.status('monitor-7d');
    expect(s).toMatchObject({
      runtimeStatus: 'Completed',
      output: {
        outcome: 'expired',
        checks: 168,
        startedAt: new Date(start).toISOString(),
        finishedAt: new Date(start + 7 * DAY).toISOString(),
        mismatches: [],
      },
      customStatus: { checks: 168, lastCheck: new Date(start + 7 * DAY - HOUR).toISOString() },
    });
    expect(s.lastUpdatedTime).toBe(new Date(start + 7 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const timers = (await historyRows(host, HUB, 'monitor-7d')).filter((r) => r.EventType === 'TimerCreated');
    expect(timers).toHaveLength(168);
    expect(timers.map((t) => t.FireAt!.getTime() - start)).toEqual(Array.from({ length: 168 }, (_, i) => (i + 1) * HOUR));
  }, 180_000);

  test('a monitor whose activity finds the job ready on the 6th check: repeated clock.skip()', async () => {
    const start = await now();
    await d.start('monitor', 'monitor-ready', { days: 30, intervalMinutes: 60, readyAfterHours: 5 });
    await host.idle();
    let skips = 0;
    while ((await d.status('monitor-ready')).runtimeStatus === 'Running') {
      const to = await host.clock.skip();
      expect(to?.toISOString()).toBe(new Date(start + (skips + 1) * HOUR).toISOString());
      skips++;
      expect(skips).toBeLessThanOrEqual(5);
    }
    expect(skips).toBe(5);
    expect(await d.status('monitor-ready')).toMatchObject({
      runtimeStatus: 'Completed',
      output: { outcome: 'job ready', checks: 6, finishedAt: new Date(start + 5 * HOUR).toISOString(), mismatches: [] },
    });
  });
});
