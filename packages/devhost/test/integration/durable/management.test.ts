// Instance management over the real durable-functions client (through HTTP functions of the app) and the
// public Durable HTTP API under /runtime/webhooks/durabletask, with the documented status codes and the
// status payload's shape. Fixture: durable/management. The test clock keeps createdTime predictable.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';
import { jsonInit, type Status } from './support.js';

const START = '2031-03-04T05:06:07.250Z';
const SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const HUB = 'ManagementHub';

let host: TestHost;

beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/durable/management', clock: START });
});

afterAll(async () => {
  await host?.stop();
});

const api = (path: string, init?: RequestInit) => host.fetch(`/runtime/webhooks/durabletask/${path}`, init);
async function start(name: string, id?: string, input?: unknown): Promise<string> {
  const res = await api(`orchestrators/${name}${id ? `/${id}` : ''}`, jsonInit('POST', input));
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function status(id: string, query = ''): Promise<Status> {
  const res = await api(`instances/${id}${query}`);
  expect([200, 202]).toContain(res.status);
  return (await res.json()) as Status;
}

/** Calls an operation of the app's durable client (fixture `client/{op}/{id?}`). */
async function client(
  op: string,
  id?: string,
  body?: unknown,
  query = '',
): Promise<{ status: number; json: { ok?: boolean; result?: unknown; error?: string } & Record<string, unknown> }> {
  const res = await host.fetch(`/api/client/${op}${id ? `/${id}` : ''}${query}`, jsonInit('POST', body ?? {}));
  return { status: res.status, json: (await res.json()) as { ok?: boolean; result?: unknown; error?: string } };
}

async function clientOk(op: string, id?: string, body?: unknown, query = ''): Promise<unknown> {
  const r = await client(op, id, body, query);
  expect(r.json, JSON.stringify(r.json)).toMatchObject({ ok: true });
  return r.json.result;
}

describe('public HTTP API', () => {
  test('start: 202 with the management payload, Location and Retry-After; the status payload has the documented shape', async () => {
    const res = await api('orchestrators/quick/api-start-1', jsonInit('POST', { word: 'tokyo' }));
    expect(res.status).toBe(202);
    expect(res.headers.get('retry-after')).toBe('10');
    const body = (await res.json()) as Record<string, string>;
    const base = `${host.url}/runtime/webhooks/durabletask/instances/api-start-1`;
    const q = `taskHub=${HUB}&connection=Storage`;
    expect(body).toEqual({
      id: 'api-start-1',
      statusQueryGetUri: `${base}?${q}`,
      sendEventPostUri: `${base}/raiseEvent/{eventName}?${q}`,
      terminatePostUri: `${base}/terminate?reason={text}&${q}`,
      rewindPostUri: `${base}/rewind?reason={text}&${q}`,
      purgeHistoryDeleteUri: `${base}?${q}`,
      restartPostUri: `${base}/restart?${q}`,
      suspendPostUri: `${base}/suspend?reason={text}&${q}`,
      resumePostUri: `${base}/resume?reason={text}&${q}`,
    });
    expect(res.headers.get('location')).toBe(body.statusQueryGetUri);

    await host.idle();
    const done = await fetch(body.statusQueryGetUri!);
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({
      name: 'quick',
      instanceId: 'api-start-1',
      runtimeStatus: 'Completed',
      input: { word: 'tokyo' },
      customStatus: { stage: 'done' },
      output: { shout: 'TOKYO', input: { word: 'tokyo' } },
      createdTime: '2031-03-04T05:06:07Z',
      lastUpdatedTime: '2031-03-04T05:06:07Z',
    });
  });

  test('start without an id makes a 32-hex-digit id; without a body the input is null', async () => {
    const res = await api('orchestrators/quick', { method: 'POST' });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    await host.idle();
    const s = await status(id);
    expect(s).toMatchObject({ runtimeStatus: 'Completed', input: null, output: { shout: 'HI', input: null } });
    expect(s.createdTime).toMatch(SECONDS);
    expect(s.lastUpdatedTime).toMatch(SECONDS);
  });

  test('start with ?timeout= waits: 200 with the output when it completes in time, else the 202 check-status answer', async () => {
    const res = await api('orchestrators/quick/api-wait?timeout=10&pollingInterval=0.1', jsonInit('POST', { word: 'kobe' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ shout: 'KOBE', input: { word: 'kobe' } });
    const late = await api('orchestrators/collector/api-wait-running?timeout=0.3&pollingInterval=0.1', jsonInit('POST', { count: 1 }));
    expect(late.status).toBe(202);
    expect(((await late.json()) as { id: string }).id).toBe('api-wait-running');
    await api('instances/api-wait-running/terminate?reason=cleanup', { method: 'POST' });
    await host.idle();
  });

  test('start: unknown orchestrator → 400; invalid JSON body → 400; a bad instance id → 400', async () => {
    const unknown = await api('orchestrators/nope', jsonInit('POST', 1));
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(await unknown.json())).toContain("'nope'");
    // An activity is not an orchestrator either.
    expect((await api('orchestrators/upper', jsonInit('POST', 'x'))).status).toBe(400);

    const invalid = await api('orchestrators/quick/bad-json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"word": ',
    });
    expect(invalid.status).toBe(400);
    expect((await api('instances/bad-json')).status).toBe(404);

    expect((await api('orchestrators/quick/@entity-like', jsonInit('POST', 1))).status).toBe(400);
  });

  test('starting an id that is running → 409 and the running instance is untouched; a completed id starts again', async () => {
    await start('collector', 'api-dupe', { count: 1 });
    await host.idle();
    const again = await api('orchestrators/collector/api-dupe', jsonInit('POST', { count: 5 }));
    expect(again.status).toBe(409);
    expect(((await again.json()) as { Message: string }).Message).toMatch(/already exists.*Running/);
    expect(await status('api-dupe')).toMatchObject({ runtimeStatus: 'Running', input: { count: 1 } });

    expect((await api('instances/api-dupe/raiseEvent/add', jsonInit('POST', 'first'))).status).toBe(202);
    await host.idle();
    expect(await status('api-dupe')).toMatchObject({ runtimeStatus: 'Completed', output: ['first'] });

    // Completed: the same id can be started over, as a fresh execution with the new input.
    await start('collector', 'api-dupe', { count: 2 });
    await host.idle();
    expect(await status('api-dupe')).toMatchObject({
      runtimeStatus: 'Running',
      input: { count: 2 },
      output: null,
      customStatus: { received: 0 },
    });
    for (const v of ['a', 'b']) expect((await api('instances/api-dupe/raiseEvent/add', jsonInit('POST', v))).status).toBe(202);
    await host.idle();
    expect(await status('api-dupe')).toMatchObject({ runtimeStatus: 'Completed', output: ['a', 'b'] });
  });

  test('an id terminated while its timer waits, then started again, gets its own timer', async () => {
    await start('sleeper', 'api-sleeper');
    await host.idle();
    expect((await api('instances/api-sleeper/terminate?reason=wake', { method: 'POST' })).status).toBe(202);
    await host.idle();
    expect(await status('api-sleeper')).toMatchObject({ runtimeStatus: 'Terminated', output: 'wake' });
    // Same id, same virtual time: the new execution's timer has the same id and fire time as the old one's.
    await start('sleeper', 'api-sleeper');
    await host.idle();
    expect(await status('api-sleeper')).toMatchObject({ runtimeStatus: 'Running' });
    const now = await host.clock.advance(60 * 60_000);
    expect(await status('api-sleeper')).toMatchObject({ runtimeStatus: 'Completed', output: `rested until ${now.toISOString()}` });
  });

  test('GET an instance: 202 + Location + Retry-After while running, 200 when done, 404 when unknown', async () => {
    await start('collector', 'api-get', { count: 1 });
    await host.idle();
    const running = await api('instances/api-get');
    expect(running.status).toBe(202);
    expect(running.headers.get('retry-after')).toBe('5');
    expect(running.headers.get('location')).toContain('/runtime/webhooks/durabletask/instances/api-get');
    expect(await running.json()).toEqual({
      name: 'collector',
      instanceId: 'api-get',
      runtimeStatus: 'Running',
      input: { count: 1 },
      customStatus: { received: 0 },
      output: null,
      createdTime: expect.stringMatching(SECONDS),
      lastUpdatedTime: expect.stringMatching(SECONDS),
    });
    await api('instances/api-get/raiseEvent/add', jsonInit('POST', { n: 1 }));
    await host.idle();
    const done = await api('instances/api-get');
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ runtimeStatus: 'Completed', output: [{ n: 1 }], customStatus: { received: 1 } });

    const unknown = await api('instances/no-such-instance');
    expect(unknown.status).toBe(404);

    // A failed instance is 200 (500 only when asked for).
    await start('failing', 'api-failed');
    await host.idle();
    const failed = await api('instances/api-failed');
    expect(failed.status).toBe(200);
    const f = (await failed.json()) as Status;
    expect(f.runtimeStatus).toBe('Failed');
    expect(String(f.output)).toContain("Orchestrator function 'failing' failed");
    expect(String(f.output)).toContain('boom in orchestration');
    expect((await api('instances/api-failed?returnInternalServerErrorOnFailure=true')).status).toBe(500);
  });

  test('showHistory / showHistoryOutput / showInput', async () => {
    await start('quick', 'api-history', { word: 'osaka' });
    await host.idle();
    const plain = await status('api-history');
    expect(plain.historyEvents).toBeUndefined();

    const full = await status('api-history', '?showHistory=true&showHistoryOutput=true');
    expect(full.historyEvents).toEqual([
      { EventType: 'ExecutionStarted', FunctionName: 'quick', Input: { word: 'osaka' }, Timestamp: expect.any(String) },
      {
        EventType: 'TaskCompleted',
        FunctionName: 'upper',
        // The SDK sends string inputs JSON-encoded ('"osaka"'); TaskScheduled.Input is the array of that argument.
        Input: ['"osaka"'],
        Result: 'OSAKA',
        ScheduledTime: expect.any(String),
        Timestamp: expect.any(String),
      },
      {
        EventType: 'ExecutionCompleted',
        OrchestrationStatus: 'Completed',
        Result: { shout: 'OSAKA', input: { word: 'osaka' } },
        Timestamp: expect.any(String),
      },
    ]);

    const noOutput = await status('api-history', '?showHistory=true');
    expect(noOutput.historyEvents!.map((e) => 'Result' in e)).toEqual([false, false, false]);

    const noInput = await status('api-history', '?showHistory=true&showInput=false');
    expect(noInput.input).toBeNull();
    expect(noInput.historyEvents!.some((e) => 'Input' in e)).toBe(false);
    expect(noInput.output).toEqual({ shout: 'OSAKA', input: { word: 'osaka' } });
  });

  test('raiseEvent: 202; 404 unknown; 410 completed; 400 for a non-JSON content type or body', async () => {
    await start('collector', 'api-raise', { count: 2 });
    await host.idle();
    expect((await api('instances/api-raise/raiseEvent/add', jsonInit('POST', 1))).status).toBe(202);
    expect(
      (await api('instances/api-raise/raiseEvent/add', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '2' })).status,
    ).toBe(400);
    expect(
      (await api('instances/api-raise/raiseEvent/add', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{2' }))
        .status,
    ).toBe(400);
    expect((await api('instances/unknown-id/raiseEvent/add', jsonInit('POST', 1))).status).toBe(404);
    await host.idle();
    // The rejected events were not delivered.
    expect(await status('api-raise')).toMatchObject({ runtimeStatus: 'Running', customStatus: { received: 1 } });
    expect((await api('instances/api-raise/raiseEvent/add', jsonInit('POST', 3))).status).toBe(202);
    await host.idle();
    expect(await status('api-raise')).toMatchObject({ runtimeStatus: 'Completed', output: [1, 3] });
    expect((await api('instances/api-raise/raiseEvent/add', jsonInit('POST', 4))).status).toBe(410);
  });

  test('terminate: Terminated with the reason as output; 410 once ended; 404 unknown', async () => {
    await start('collector', 'api-term', { count: 2 });
    await host.idle();
    const res = await api('instances/api-term/terminate?reason=enough%20waiting', { method: 'POST' });
    expect(res.status).toBe(202);
    await host.idle();
    expect(await status('api-term')).toMatchObject({ runtimeStatus: 'Terminated', output: 'enough waiting' });
    expect((await api('instances/api-term/terminate?reason=again', { method: 'POST' })).status).toBe(410);
    expect((await api('instances/api-term/raiseEvent/add', jsonInit('POST', 1))).status).toBe(410);
    expect((await api('instances/unknown-id/terminate?reason=x', { method: 'POST' })).status).toBe(404);
    const history = await status('api-term', '?showHistory=true&showHistoryOutput=true');
    expect(history.historyEvents!.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'ExecutionTerminated', 'ExecutionCompleted']);
    expect(history.historyEvents!.at(-1)).toMatchObject({ OrchestrationStatus: 'Terminated', Result: 'enough waiting' });
  });

  test('terminating a sub-orchestration fails its parent', async () => {
    await start('parent', 'api-parent');
    await host.idle();
    expect(await status('api-parent-child')).toMatchObject({ name: 'collector', runtimeStatus: 'Running', input: { count: 1 } });
    expect(await status('api-parent')).toMatchObject({ runtimeStatus: 'Running' });
    expect((await api('instances/api-parent-child/terminate?reason=cut', { method: 'POST' })).status).toBe(202);
    await host.idle();
    expect(await status('api-parent-child')).toMatchObject({ runtimeStatus: 'Terminated', output: 'cut' });
    const parent = await status('api-parent');
    expect(parent.runtimeStatus).toBe('Failed');
    expect(String(parent.output)).toContain("Orchestrator function 'parent' failed");
    expect(String(parent.output)).toContain('cut');
  });

  test('suspend / resume: Suspended, events raised meanwhile are kept and processed after resume', async () => {
    await start('collector', 'api-suspend', { count: 3 });
    await host.idle();
    await api('instances/api-suspend/raiseEvent/add', jsonInit('POST', 'one'));
    await host.idle();
    expect((await api('instances/api-suspend/suspend?reason=hold', { method: 'POST' })).status).toBe(202);
    await host.idle();
    const suspended = await api('instances/api-suspend');
    expect(suspended.status).toBe(202);
    expect(await suspended.json()).toMatchObject({ runtimeStatus: 'Suspended', customStatus: { received: 1 } });

    expect((await api('instances/api-suspend/raiseEvent/add', jsonInit('POST', 'two'))).status).toBe(202);
    expect((await api('instances/api-suspend/raiseEvent/add', jsonInit('POST', 'three'))).status).toBe(202);
    await host.idle();
    expect(await status('api-suspend')).toMatchObject({ runtimeStatus: 'Suspended', customStatus: { received: 1 }, output: null });

    expect((await api('instances/api-suspend/resume?reason=go', { method: 'POST' })).status).toBe(202);
    await host.idle();
    expect(await status('api-suspend')).toMatchObject({ runtimeStatus: 'Completed', output: ['one', 'two', 'three'] });
    expect((await api('instances/api-suspend/suspend', { method: 'POST' })).status).toBe(410);
    expect((await api('instances/unknown-id/suspend', { method: 'POST' })).status).toBe(404);
    expect((await api('instances/unknown-id/resume', { method: 'POST' })).status).toBe(404);
  });

  test('rewind answers 501 (not supported); 404 for an unknown id', async () => {
    await start('failing', 'api-rewind');
    await host.idle();
    expect((await api('instances/api-rewind/rewind?reason=retry', { method: 'POST' })).status).toBe(501);
    expect((await api('instances/unknown-id/rewind?reason=retry', { method: 'POST' })).status).toBe(404);
  });

  test('restart: a new instance id by default, the same id on request; the input carries over', async () => {
    await start('quick', 'api-restart', { word: 'kyoto' });
    await host.idle();
    const fresh = await api('instances/api-restart/restart', { method: 'POST' });
    expect(fresh.status).toBe(202);
    const { id: newId } = (await fresh.json()) as { id: string };
    expect(newId).not.toBe('api-restart');
    const same = await api('instances/api-restart/restart?restartWithNewInstanceId=false', { method: 'POST' });
    expect(same.status).toBe(202);
    expect(((await same.json()) as { id: string }).id).toBe('api-restart');
    await host.idle();
    for (const id of [newId, 'api-restart']) {
      expect(await status(id)).toMatchObject({
        name: 'quick',
        runtimeStatus: 'Completed',
        input: { word: 'kyoto' },
        output: { shout: 'KYOTO' },
      });
    }
    expect((await api('instances/unknown-id/restart', { method: 'POST' })).status).toBe(404);
  });

  test('purge one instance: 200 {instancesDeleted: 1}, then 404', async () => {
    await start('quick', 'api-purge', { word: 'nara' });
    await host.idle();
    const res = await api('instances/api-purge', { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ instancesDeleted: 1 });
    expect((await api('instances/api-purge')).status).toBe(404);
    expect((await api('instances/api-purge', { method: 'DELETE' })).status).toBe(404);
    // The id is free again.
    await start('quick', 'api-purge', { word: 'again' });
    await host.idle();
    expect(await status('api-purge')).toMatchObject({ runtimeStatus: 'Completed', output: { shout: 'AGAIN' } });
  });

  test('an instance id with a space, a colon and non-ASCII letters works throughout', async () => {
    const id = 'ünï code:1';
    const res = await api(`orchestrators/collector/${encodeURIComponent(id)}`, jsonInit('POST', { count: 1 }));
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, string>;
    expect(body.id).toBe(id);
    expect(body.statusQueryGetUri).toContain('/instances/%C3%BCn%C3%AF%20code%3A1?');
    await host.idle();
    expect(((await (await fetch(body.statusQueryGetUri!)).json()) as Status).instanceId).toBe(id);
    const listed = (await (await api(`instances?instanceIdPrefix=${encodeURIComponent('ünï')}`)).json()) as Status[];
    expect(listed.map((s) => s.instanceId)).toEqual([id]);
    expect((await client('status', encodeURIComponent(id))).json.result).toMatchObject({ instanceId: id, runtimeStatus: 'Running' });
    await clientOk('raise', encodeURIComponent(id), { event: 'add', data: 'ok' });
    await host.idle();
    expect(await status(encodeURIComponent(id))).toMatchObject({ runtimeStatus: 'Completed', output: ['ok'] });
    expect((await api(`instances/${encodeURIComponent(id)}`, { method: 'DELETE' })).status).toBe(200);
  });

  test('list: createdTime and runtimeStatus filters, paging with top and x-ms-continuation-token until exhausted', async () => {
    const t0 = await host.clock.advance(60 * 60_000); // a later hour than the other tests' instances
    const ids = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        start(i % 5 === 0 ? 'collector' : 'quick', `page-${String(i).padStart(2, '0')}`, { word: `w${i}` }),
      ),
    );
    await host.idle();
    const t1 = await host.clock.advance(60 * 60_000);
    const late = await start('quick', 'page-later');
    await host.idle();

    const from = encodeURIComponent(t0.toISOString());
    const to = encodeURIComponent(new Date(t1.getTime() - 1).toISOString());
    const pages: Status[][] = [];
    let token: string | null = null;
    do {
      const res: Response = await api(`instances?createdTimeFrom=${from}&createdTimeTo=${to}&top=10`, {
        headers: token ? { 'x-ms-continuation-token': token } : {},
      });
      expect(res.status).toBe(200);
      pages.push((await res.json()) as Status[]);
      token = res.headers.get('x-ms-continuation-token');
      expect(pages.length).toBeLessThan(10);
    } while (token);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    const listed = pages.flat().map((s) => s.instanceId);
    expect(new Set(listed).size).toBe(25);
    expect([...listed].sort()).toEqual([...ids].sort());
    // Listing leaves the input out unless asked for.
    expect(pages[0]![0]).toMatchObject({ input: null, createdTime: expect.stringMatching(SECONDS) });

    const running = (await (
      await api(`instances?createdTimeFrom=${from}&createdTimeTo=${to}&runtimeStatus=Running&showInput=true`)
    ).json()) as Status[];
    expect(running.map((s) => s.instanceId).sort()).toEqual(['page-00', 'page-05', 'page-10', 'page-15', 'page-20']);
    expect(running.every((s) => s.name === 'collector' && (s.input as { word: string }).word.startsWith('w'))).toBe(true);
    const both = (await (
      await api(`instances?createdTimeFrom=${from}&createdTimeTo=${to}&runtimeStatus=Running,Completed&top=100`)
    ).json()) as Status[];
    expect(both).toHaveLength(25);
    const after = (await (await api(`instances?createdTimeFrom=${encodeURIComponent(t1.toISOString())}`)).json()) as Status[];
    expect(after.map((s) => s.instanceId)).toEqual([late]);
    expect((await api('instances?runtimeStatus=Bogus')).status).toBe(400);
  });

  test('purge by filter: createdTimeFrom required; only matching instances go; 404 when nothing matches', async () => {
    const t0 = await host.clock.advance(60 * 60_000);
    for (const id of ['pf-a', 'pf-b', 'pf-c']) await start('quick', id);
    await start('collector', 'pf-running', { count: 1 });
    await host.idle();
    const from = encodeURIComponent(t0.toISOString());
    expect((await api('instances', { method: 'DELETE' })).status).toBe(400);
    const res = await api(`instances?createdTimeFrom=${from}&runtimeStatus=Completed`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ instancesDeleted: 3 });
    for (const id of ['pf-a', 'pf-b', 'pf-c']) expect((await api(`instances/${id}`)).status).toBe(404);
    expect((await api('instances/pf-running')).status).toBe(202);
    expect((await api(`instances?createdTimeFrom=${from}&runtimeStatus=Completed`, { method: 'DELETE' })).status).toBe(404);
    await api('instances/pf-running/terminate?reason=cleanup', { method: 'POST' });
    await host.idle();
  });
});

describe('durable client inside the app', () => {
  test('startNew with and without an instance id; getStatus', async () => {
    const given = await clientOk('start', 'cl-start', { name: 'quick', input: { word: 'lima' } });
    expect(given).toBe('cl-start');
    const generated = (await clientOk('start', undefined, { name: 'quick' })) as string;
    expect(generated).toMatch(/^[0-9a-f]{32}$/);
    await host.idle();
    const s = (await clientOk('status', 'cl-start')) as Status;
    expect(s).toEqual({
      name: 'quick',
      instanceId: 'cl-start',
      runtimeStatus: 'Completed',
      input: { word: 'lima' },
      customStatus: { stage: 'done' },
      output: { shout: 'LIMA', input: { word: 'lima' } },
      createdTime: expect.any(String),
      lastUpdatedTime: expect.any(String),
    });
    // The SDK turns the seconds-precision times into Dates.
    expect(new Date(s.createdTime).getUTCMilliseconds()).toBe(0);
    // Without an input the SDK posts an empty string, which axios sends as the JSON text "" — so the input is "".
    expect((await clientOk('status', generated)) as Status).toMatchObject({
      runtimeStatus: 'Completed',
      input: '',
      output: { shout: 'HI', input: '' },
    });

    // Unknown orchestrator and a running id are errors for startNew too.
    expect((await client('start', undefined, { name: 'nope' })).json.error).toContain('400');
    await clientOk('start', 'cl-busy', { name: 'collector', input: { count: 1 } });
    await host.idle();
    expect((await client('start', 'cl-busy', { name: 'collector' })).json.error).toContain('409');
    // getStatus of an unknown id: the SDK's 404 error.
    expect((await client('status', 'cl-unknown')).json.error).toContain('404');
    await clientOk('terminate', 'cl-busy', { reason: 'done' });
    await host.idle();
  });

  test('getStatus with showHistory, showHistoryOutput and showInput', async () => {
    await clientOk('start', 'cl-history', { name: 'quick', input: { word: 'rome' } });
    await host.idle();
    const s = (await clientOk('status', 'cl-history', {}, '?showHistory=true&showHistoryOutput=true&showInput=true')) as Status & {
      history?: unknown;
    };
    expect(s).toMatchObject({ runtimeStatus: 'Completed', input: { word: 'rome' }, output: { shout: 'ROME' } });
    // durable-functions 3.x reads `history` while the API sends `historyEvents`, so it is always undefined.
    expect(s.history).toBeUndefined();
  });

  test('raiseEvent, suspend, resume and terminate through the client', async () => {
    await clientOk('start', 'cl-events', { name: 'collector', input: { count: 3 } });
    await host.idle();
    await clientOk('raise', 'cl-events', { event: 'add', data: { n: 1 } });
    await host.idle();
    expect(((await clientOk('status', 'cl-events')) as Status).customStatus).toEqual({ received: 1 });
    await clientOk('suspend', 'cl-events', { reason: 'pause' });
    await host.idle();
    expect(((await clientOk('status', 'cl-events')) as Status).runtimeStatus).toBe('Suspended');
    await clientOk('raise', 'cl-events', { event: 'add', data: { n: 2 } });
    await host.idle();
    expect((await clientOk('status', 'cl-events')) as Status).toMatchObject({ runtimeStatus: 'Suspended', customStatus: { received: 1 } });
    await clientOk('resume', 'cl-events', { reason: 'go on' });
    await host.idle();
    expect((await clientOk('status', 'cl-events')) as Status).toMatchObject({ runtimeStatus: 'Running', customStatus: { received: 2 } });
    await clientOk('terminate', 'cl-events', { reason: 'stop now' });
    await host.idle();
    expect((await clientOk('status', 'cl-events')) as Status).toMatchObject({ runtimeStatus: 'Terminated', output: 'stop now' });
    // Ended: the SDK treats 410 as success for raiseEvent/terminate/suspend/resume.
    await clientOk('raise', 'cl-events', { event: 'add', data: 3 });
    await clientOk('terminate', 'cl-events', { reason: 'again' });
    expect((await clientOk('status', 'cl-events')) as Status).toMatchObject({ runtimeStatus: 'Terminated', output: 'stop now' });
    // Unknown ids: the SDK's "No instance" errors.
    for (const op of ['raise', 'terminate', 'suspend', 'resume']) {
      expect((await client(op, 'cl-unknown', { event: 'add', reason: 'x' })).json.error).toContain(
        "No instance with ID 'cl-unknown' found",
      );
    }
  });

  test('getStatusAll and getStatusBy filters', async () => {
    const t0 = await host.clock.advance(60 * 60_000);
    for (let i = 0; i < 3; i++) await clientOk('start', `cl-by-${i}`, { name: 'quick' });
    await clientOk('start', 'cl-by-running', { name: 'collector', input: { count: 1 } });
    await host.idle();
    const t1 = await host.clock.advance(60 * 60_000);

    const all = (await clientOk('statusAll')) as Status[];
    const allIds = all.map((s) => s.instanceId);
    expect(new Set(allIds).size).toBe(allIds.length);
    expect(allIds).toEqual(expect.arrayContaining(['cl-by-0', 'cl-by-1', 'cl-by-2', 'cl-by-running', 'api-start-1']));
    expect(all.length).toBeGreaterThan(40);

    const window = { createdTimeFrom: t0.toISOString(), createdTimeTo: t1.toISOString() };
    const inWindow = (await clientOk('statusBy', undefined, window)) as Status[];
    expect(inWindow.map((s) => s.instanceId).sort()).toEqual(['cl-by-0', 'cl-by-1', 'cl-by-2', 'cl-by-running']);
    const running = (await clientOk('statusBy', undefined, { ...window, runtimeStatus: ['Running'] })) as Status[];
    expect(running.map((s) => s.instanceId)).toEqual(['cl-by-running']);
    const completedOrRunning = (await clientOk('statusBy', undefined, { ...window, runtimeStatus: ['Completed', 'Running'] })) as Status[];
    expect(completedOrRunning).toHaveLength(4);
    const none = (await clientOk('statusBy', undefined, { ...window, runtimeStatus: ['Failed'] })) as Status[];
    expect(none).toEqual([]);
    await clientOk('terminate', 'cl-by-running', { reason: 'cleanup' });
    await host.idle();
  });

  test('purgeInstanceHistory and purgeInstanceHistoryBy', async () => {
    const t0 = await host.clock.advance(60 * 60_000);
    for (const id of ['cl-p-1', 'cl-p-2', 'cl-p-3']) await clientOk('start', id, { name: 'quick' });
    await host.idle();
    expect(await clientOk('purge', 'cl-p-1')).toEqual({ instancesDeleted: 1 });
    expect(await clientOk('purge', 'cl-p-1')).toEqual({ instancesDeleted: 0 });
    expect((await client('status', 'cl-p-1')).json.error).toContain('404');
    const byFilter = await clientOk('purgeBy', undefined, { createdTimeFrom: t0.toISOString(), runtimeStatus: ['Completed'] });
    expect(byFilter).toEqual({ instancesDeleted: 2 });
    expect(await clientOk('purgeBy', undefined, { createdTimeFrom: t0.toISOString(), runtimeStatus: ['Completed'] })).toEqual({
      instancesDeleted: 0,
    });
    expect((await api('instances/cl-p-3')).status).toBe(404);
  });

  test('restart (through restartPostUri) and rewind ("not supported")', async () => {
    await clientOk('start', 'cl-restart', { name: 'quick', input: { word: 'oslo' } });
    await host.idle();
    const newId = (await clientOk('restart', 'cl-restart', {})) as string;
    expect(newId).toMatch(/^[0-9a-f]{32}$/);
    expect(await clientOk('restart', 'cl-restart', { newInstanceId: false })).toBe('cl-restart');
    await host.idle();
    for (const id of [newId, 'cl-restart'])
      expect((await clientOk('status', id)) as Status).toMatchObject({ runtimeStatus: 'Completed', output: { shout: 'OSLO' } });

    await clientOk('start', 'cl-rewind', { name: 'failing' });
    await host.idle();
    const rewind = await client('rewind', 'cl-rewind', { reason: 'again' });
    expect(rewind.json.ok).toBe(false);
    expect(rewind.json.error).toMatch(/rewind operation is not supported/i);
    expect((await client('rewind', 'cl-unknown', { reason: 'again' })).json.error).toBe("No instance with ID 'cl-unknown' found.");
  });

  test('createCheckStatusResponse and waitForCompletionOrCreateCheckStatusResponse', async () => {
    await clientOk('start', 'cl-check', { name: 'quick', input: { word: 'bern' } });
    const res = await host.fetch('/api/client/checkStatus/cl-check', { method: 'POST' });
    expect(res.status).toBe(202);
    const payload = (await res.json()) as Record<string, string>;
    expect(payload.id).toBe('cl-check');
    expect(res.headers.get('location')).toBe(payload.statusQueryGetUri);
    expect(payload.statusQueryGetUri!.startsWith(`${host.url}/runtime/webhooks/durabletask/instances/cl-check?`)).toBe(true);

    const waited = await host.fetch('/api/client/waitForCompletion/cl-check', jsonInit('POST', {}));
    expect(waited.status).toBe(200);
    expect(await waited.json()).toEqual({ shout: 'BERN', input: { word: 'bern' } });

    await clientOk('start', 'cl-wait-running', { name: 'collector', input: { count: 1 } });
    const timedOut = await host.fetch('/api/client/waitForCompletion/cl-wait-running', jsonInit('POST', { timeoutMs: 300 }));
    expect(timedOut.status).toBe(202);
    await clientOk('terminate', 'cl-wait-running', { reason: 'bye' });
    const terminated = await host.fetch('/api/client/waitForCompletion/cl-wait-running', jsonInit('POST', {}));
    expect(terminated.status).toBe(200);
    expect(await terminated.json()).toMatchObject({ runtimeStatus: 'Terminated', output: 'bye' });
  });
});
