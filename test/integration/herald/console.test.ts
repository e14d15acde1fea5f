// The admin console served by the Function app itself: the page at / and at every screen's path, its built
// assets cached for good, the API's paths never answered by it, and where it signs people in.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { startHerald } from './support.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHerald();
});
afterAll(async () => {
  await host?.stop();
});

test('the page at / and at a screen’s path, never cached; its script cached for a year as the content it names', async () => {
  for (const path of ['/', '/messages/abc/edit']) {
    const res = await host.fetch(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toMatch(/<div id="root"><\/div>/);
  }
  const html = await (await host.fetch('/')).text();
  const script = /<script type="module"[^>]*src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
  const js = await host.fetch(script);
  expect(js.status).toBe(200);
  expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(js.headers.get('x-content-type-options')).toBe('nosniff');
});

test('an unknown API path is the API’s 404, and a missing file is not the page', async () => {
  const api = await host.fetch('/api/no-such-thing');
  expect(api.status).toBe(404);
  expect(api.headers.get('content-type')).toBe('application/problem+json');
  expect((await host.fetch('/assets/missing-0000.js')).status).toBe(404);
  expect((await host.fetch('/api/health')).status).toBe(200);
});

test('the console signs people in with the API’s own issuer, for the API’s audience', async () => {
  const res = await host.fetch('/api/console/config');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    authority: `${host.url}/devhost/identity/organizations`,
    protocol: 'oidc',
    clientId: 'api://herald',
    scopes: ['api://herald/.default'],
  });
});
