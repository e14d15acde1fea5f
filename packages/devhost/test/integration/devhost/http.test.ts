// HTTP triggers as a user sees them through real HTTP: routes, methods, bodies, cookies, CORS, errors,
// open auth levels without keys, app settings, logging and hooks. Fixtures: web (prefix "api"), noprefix ("").
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

let web: TestHost;
let bare: TestHost;

beforeAll(async () => {
  [web, bare] = await Promise.all([startHost({ app: 'test/fixtures/devhost/web' }), startHost({ app: 'test/fixtures/devhost/noprefix' })]);
});

afterAll(async () => {
  await Promise.all([web?.stop(), bare?.stop()]);
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('routes', () => {
  test('{id:int} matches integers only; anything else is a 404', async () => {
    const ok = await web.fetch('/api/items/42');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: '42' });
    expect((await web.fetch('/api/items/-7')).status).toBe(200);
    for (const bad of ['/api/items/abc', '/api/items/4.5', '/api/items/99999999999']) {
      expect((await web.fetch(bad)).status, bad).toBe(404);
    }
  });

  test('{name?} is optional and values are URL-decoded', async () => {
    expect(await (await web.fetch('/api/greet')).text()).toBe('hello stranger');
    expect(await (await web.fetch('/api/greet/')).text()).toBe('hello stranger');
    expect(await (await web.fetch('/api/greet/ada')).text()).toBe('hello ada');
    expect(await (await web.fetch('/api/greet/ada%20lovelace')).text()).toBe('hello ada lovelace');
  });

  test('{*path} catches the rest of the path, slashes included', async () => {
    expect(await (await web.fetch('/api/files/docs/2024/report.pdf')).json()).toEqual({ path: 'docs/2024/report.pdf' });
    expect(await (await web.fetch('/api/files/one')).json()).toEqual({ path: 'one' });
    expect(await (await web.fetch('/api/files')).json()).toEqual({ path: null });
  });

  test('a function without a route answers at its own name, under the route prefix only', async () => {
    const res = await web.fetch('/api/echo', { method: 'POST', body: 'x' });
    expect(res.status).toBe(200);
    expect((await web.fetch('/echo', { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await web.fetch('/api/no-such-function')).status).toBe(404);
    expect(web.output()).toContain(`echo: [POST,PUT] ${web.url}/api/echo`);
  });

  test('a method the function does not accept gets 405 with Allow', async () => {
    const get = await web.fetch('/api/echo');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')?.split(/,\s*/).sort()).toEqual(['POST', 'PUT']);
    const del = await web.fetch('/api/items/1', { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET');
  });

  test('an empty routePrefix serves functions at the root', async () => {
    const res = await bare.fetch('/status');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ up: true });
    expect((await bare.fetch('/api/status')).status).toBe(404);
    expect(await (await bare.fetch('/orders/7/lines/abc')).json()).toEqual({ orderId: '7', line: 'abc' });
    expect((await bare.fetch('/orders/seven/lines/abc')).status).toBe(404);
    expect(bare.output()).toContain(`status: [GET] ${bare.url}/status`);
  });

  test('a function disabled with AzureWebJobs.<name>.Disabled does not answer', async () => {
    expect((await web.fetch('/api/retired')).status).toBe(404);
    expect(web.output()).toMatch(/retired: .*\(disabled\)/);
  });
});

describe('requests and responses', () => {
  test('binary bodies round-trip byte for byte', async () => {
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(64 * 1024)]);
    const res = await web.fetch('/api/echo', { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-body-length')).toBe(String(bytes.length));
    const back = Buffer.from(await res.arrayBuffer());
    expect(back.length).toBe(bytes.length);
    expect(back.equals(bytes)).toBe(true);
  });

  test('JSON in, JSON out, with status and headers', async () => {
    const payload = { name: 'Zoë', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null } };
    const res = await web.fetch('/api/json', {
      method: 'POST',
      body: JSON.stringify(payload),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('location')).toBe('/api/json/1');
    expect(await res.json()).toEqual({ received: payload, keys: ['name', 'tags', 'nested'] });
  });

  test('text bodies keep their content type and encoding', async () => {
    const res = await web.fetch('/api/text');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('plain text, ünïcödé ✓');
  });

  test('query strings with repeated keys, request headers and the method reach the handler', async () => {
    const res = await web.fetch('/api/echo?tag=a&tag=b&single=x&tag=c%20d', {
      method: 'PUT',
      body: 'hi',
      headers: { 'x-client-header': 'from-the-client', 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(200);
    // As on Azure: the host sends one string per key (ASP.NET joins repeated values with commas), which the library prefers to the URL.
    expect(JSON.parse(res.headers.get('x-tags')!)).toEqual(['a,b,c d']);
    expect(res.headers.get('x-single')).toBe('x');
    expect(res.headers.get('x-method')).toBe('PUT');
    expect(res.headers.get('x-client-header')).toBe('from-the-client');
    expect(await res.text()).toBe('hi');
  });

  test('request cookies reach the handler and response cookies become Set-Cookie headers', async () => {
    const res = await web.fetch('/api/cookies', { headers: { cookie: 'visitor=42; lang=en' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 'visitor=42; lang=en' });
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    const session = cookies.find((c) => c.startsWith('session='))!.split('; ');
    expect(session[0]).toBe('session=abc123');
    expect(session).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=3600']));
    const theme = cookies.find((c) => c.startsWith('theme='))!.split('; ');
    expect(theme).toEqual(['theme=dark', 'Secure']);
  });

  test('a handler that returns nothing answers 204 with no body', async () => {
    const res = await web.fetch('/api/nothing', { method: 'POST' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  test('an unhandled error is a bare 500 to the client and a stack trace in the host output', async () => {
    const res = await web.fetch('/api/boom');
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).not.toMatch(/kaboom|\bat\s|index\.js/);
    // The host prints the failure under the function's name, followed by the error and its stack.
    await web.waitForOutput(/kaboom: the widget exploded\n\s+at /);
    expect(web.output()).toMatch(/\[Error\] \[boom\] [^\n]*\n[^\n]*kaboom: the widget exploded\n\s+at [^\n]*devhost\/web\/index\.js:\d+/);
  });
});

describe('CORS from local.settings.json Host.CORS', () => {
  test('a preflight from an allowed origin is answered', async () => {
    const res = await web.fetch('/api/echo', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://allowed.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'x-client-header',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(res.headers.get('access-control-allow-headers')).toContain('x-client-header');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });

  test('normal responses to an allowed origin carry Access-Control-Allow-Origin', async () => {
    for (const origin of ['https://allowed.example', 'https://also-allowed.example']) {
      const res = await web.fetch('/api/text', { headers: { origin } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('vary')).toMatch(/origin/i);
    }
  });

  test('a disallowed origin gets no Access-Control-Allow-Origin, on preflight or request', async () => {
    const pre = await web.fetch('/api/echo', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-methods')).toBeNull();
    const res = await web.fetch('/api/text', { headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const none = await web.fetch('/api/text');
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('host behaviour around the app', () => {
  test('without keys, function and admin auth levels are open', async () => {
    expect(web.output()).toContain('HTTP keys: not enforced');
    const fn = await web.fetch('/api/guarded');
    expect(fn.status).toBe(200);
    expect(await fn.text()).toBe('function-level ok');
    const admin = await web.fetch('/api/root');
    expect(admin.status).toBe(200);
    expect(await admin.text()).toBe('admin-level ok');
    expect((await web.fetch('/admin/host/status')).status).toBe(200);
  });

  test('local.settings.json Values are environment variables of the app', async () => {
    expect(await (await web.fetch('/api/settings')).json()).toEqual({ greeting: 'hello from local.settings', retryLimit: '3' });
  });

  test('context.log levels reach the output with function name and invocation id; below the host.json level they do not', async () => {
    const marker = `m${Date.now()}`;
    const res = await web.fetch(`/api/logs?marker=${marker}`);
    const { invocationId } = (await res.json()) as { invocationId: string };
    expect(invocationId).toMatch(/^[0-9a-f-]{36}$/);
    // The log hook's rewrite is the last line the function writes: once it is here, all the others are.
    await web.waitForOutput(new RegExp(`${marker} login password=\\[redacted\\]`));
    const scope = `\\[logs\\] \\[${invocationId}\\]`;
    for (const [level, text] of [
      ['Information', 'log-level'],
      ['Information', 'info-level'],
      ['Warning', 'warn-level'],
      ['Error', 'error-level'],
    ]) {
      expect(web.output()).toMatch(new RegExp(`\\[${level}\\] ${scope} ${marker} ${text}`));
    }
    expect(web.output()).not.toContain(`${marker} trace-level`);
    expect(web.output()).not.toContain(`${marker} debug-level`);
    expect(web.output()).not.toContain('hunter2');
  });

  test('a per-function logLevel in host.json filters that function only', async () => {
    const marker = `q${Date.now()}`;
    expect((await web.fetch(`/api/quietly?marker=${marker}`)).status).toBe(200);
    await web.waitForOutput(new RegExp(`\\[Error\\] \\[quietly\\] \\[[0-9a-f-]+\\] ${escape(marker)} quiet-error`));
    expect(web.output()).not.toContain(`${marker} quiet-info`);
    expect(web.output()).not.toContain(`${marker} quiet-warn`);
  });

  test('appStart ran once; preInvocation and postInvocation hooks wrap the handler', async () => {
    const res = await web.fetch('/api/hooked');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-hook-trail')).toBe('pre>handler>post');
    expect(await res.json()).toEqual({ appStarts: [{ hasHookData: true }] });
  });
});
