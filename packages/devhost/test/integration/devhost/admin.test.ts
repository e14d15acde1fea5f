// A host started with keys: HTTP auth levels (code query parameter and x-functions-key header), the admin
// API behind the master key, the function listing (unsupported bindings included), and running a queue or
// timer function once through POST /admin/functions/<name>. Fixture: mixed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

const keys = {
  masterKey: 'master-secret',
  functionKeys: { default: 'host-function-key' },
  functions: { special: { default: 'special-key' } },
};

let host: TestHost;

beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/devhost/mixed', keys });
});

afterAll(async () => {
  await host?.stop();
});

/** Status of GET <path>, with the key given as ?code=, as x-functions-key, or not at all. */
async function statusWith(path: string, key?: string, via: 'code' | 'header' = 'code'): Promise<number> {
  if (key === undefined) return (await host.fetch(path)).status;
  if (via === 'code') return (await host.fetch(`${path}?code=${encodeURIComponent(key)}`)).status;
  return (await host.fetch(path, { headers: { 'x-functions-key': key } })).status;
}

describe('auth levels with keys', () => {
  test('anonymous functions need no key', async () => {
    expect(await statusWith('/api/ping')).toBe(200);
  });

  test('a function-level function takes a host function key or the master key, by query or header', async () => {
    expect(await statusWith('/api/guarded')).toBe(401);
    expect(await statusWith('/api/guarded', 'wrong')).toBe(401);
    expect(await statusWith('/api/guarded', 'wrong', 'header')).toBe(401);
    expect(await statusWith('/api/guarded', 'host-function-key')).toBe(200);
    expect(await statusWith('/api/guarded', 'host-function-key', 'header')).toBe(200);
    expect(await statusWith('/api/guarded', 'master-secret')).toBe(200);
    expect(await statusWith('/api/guarded', 'master-secret', 'header')).toBe(200);
    // Another function's own key does not open this one.
    expect(await statusWith('/api/guarded', 'special-key')).toBe(401);
    const ok = await host.fetch('/api/guarded', { headers: { 'x-functions-key': 'host-function-key' } });
    expect(await ok.text()).toBe('guarded ok');
  });

  test("a function's own key opens that function", async () => {
    expect(await statusWith('/api/special')).toBe(401);
    expect(await statusWith('/api/special', 'special-key')).toBe(200);
    expect(await statusWith('/api/special', 'special-key', 'header')).toBe(200);
    expect(await statusWith('/api/special', 'host-function-key')).toBe(200);
  });

  test('an admin-level function takes the master key only', async () => {
    expect(await statusWith('/api/root')).toBe(401);
    expect(await statusWith('/api/root', 'host-function-key')).toBe(401);
    expect(await statusWith('/api/root', 'special-key', 'header')).toBe(401);
    expect(await statusWith('/api/root', 'master-secret')).toBe(200);
    expect(await statusWith('/api/root', 'master-secret', 'header')).toBe(200);
  });
});

describe('admin API', () => {
  test('admin endpoints need the master key when keys are configured', async () => {
    expect(await statusWith('/admin/host/status')).toBe(401);
    expect(await statusWith('/admin/host/status', 'host-function-key', 'header')).toBe(401);
    expect(await statusWith('/admin/functions', 'special-key')).toBe(401);
    expect((await host.fetch('/admin/functions/nightly', { method: 'POST', body: '{}' })).status).toBe(401);
    expect(await statusWith('/admin/host/status', 'master-secret')).toBe(200);
  });

  test('GET /admin/host/status says Running', async () => {
    const res = await host.adminFetch('/admin/host/status');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'Running', id: 'mixed' });
  });

  test('GET /admin/functions lists every function with its trigger, and says which devhost cannot run', async () => {
    const res = await host.adminFetch('/admin/functions');
    expect(res.status).toBe(200);
    const functions = (await res.json()) as {
      name: string;
      isDisabled: boolean;
      supported: boolean;
      unsupportedReason: string | null;
      invoke_url_template: string | null;
      config: { bindings: { type: string; direction: string }[] };
    }[];
    const summary = Object.fromEntries(
      functions.map((f) => [
        f.name,
        {
          trigger: f.config.bindings.find((b) => /trigger$/i.test(b.type))?.type,
          supported: f.supported,
          disabled: f.isDisabled,
        },
      ]),
    );
    expect(summary).toEqual({
      consume: { trigger: 'queueTrigger', supported: true, disabled: false },
      dormant: { trigger: 'httpTrigger', supported: true, disabled: true },
      guarded: { trigger: 'httpTrigger', supported: true, disabled: false },
      nightly: { trigger: 'timerTrigger', supported: true, disabled: false },
      onOrder: { trigger: 'serviceBusTrigger', supported: false, disabled: false },
      ping: { trigger: 'httpTrigger', supported: true, disabled: false },
      root: { trigger: 'httpTrigger', supported: true, disabled: false },
      special: { trigger: 'httpTrigger', supported: true, disabled: false },
      withCosmos: { trigger: 'httpTrigger', supported: false, disabled: false },
    });
    const byName = new Map(functions.map((f) => [f.name, f]));
    expect(byName.get('onOrder')!.unsupportedReason).toMatch(/serviceBusTrigger/);
    expect(byName.get('withCosmos')!.unsupportedReason).toMatch(/input binding 'cosmosDB'/);
    expect(byName.get('ping')!.invoke_url_template).toBe(`${host.url}/api/ping`);
    expect(byName.get('consume')!.invoke_url_template).toBeNull();
  });

  test('the startup banner lists unsupported functions as not supported, never silently', () => {
    const banner = host.output();
    const section = banner.slice(banner.indexOf('Not supported by devhost'));
    expect(section).toMatch(/onOrder: serviceBusTrigger — devhost does not support trigger type 'serviceBusTrigger'/);
    expect(banner).toMatch(/withCosmos: .*answers 501: devhost does not support input binding 'cosmosDB'/);
  });

  test('an HTTP function with an unsupported input binding answers 501 with the reason', async () => {
    const res = await host.fetch('/api/withCosmos');
    expect(res.status).toBe(501);
    expect(await res.text()).toMatch(/input binding 'cosmosDB'/);
  });

  test('POST /admin/functions/<queue function> runs it once with the given input', async () => {
    const res = await host.adminFetch('/admin/functions/consume', { method: 'POST', body: JSON.stringify({ input: '{"job":42}' }) });
    expect(res.status).toBe(202);
    await host.idle();
    expect(await host.queue.drain('jobs-out')).toEqual([{ got: { job: 42 } }]);
  });

  test('POST /admin/functions/<timer function> runs it once, not past due', async () => {
    const res = await host.adminFetch('/admin/functions/nightly', { method: 'POST', body: '{}' });
    expect(res.status).toBe(202);
    await host.idle();
    expect(await host.queue.drain('nightly-out')).toEqual([{ ran: true, isPastDue: false }]);
  });

  test('POST /admin/functions/<name> refuses HTTP, unsupported and unknown functions', async () => {
    const post = (name: string) => host.adminFetch(`/admin/functions/${name}`, { method: 'POST', body: '{}' });
    expect((await post('ping')).status).toBe(400);
    expect((await post('onOrder')).status).toBe(501);
    expect((await post('no-such-function')).status).toBe(404);
  });
});
