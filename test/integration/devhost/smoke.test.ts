import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../devhost/src/testing.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/devhost/smoke', clock: '2026-01-01T00:00:00Z' });
});
afterAll(async () => {
  await host?.stop();
});

test('http, queue and poison', async () => {
  const res = await host.fetch('/api/hello/bob');
  expect(await res.text()).toBe('hi bob');
  await host.queue.send('smoke-in', { a: 1 });
  await host.queue.send('smoke-in', { fail: true });
  await host.idle();
  expect(await host.queue.drain('smoke-out')).toEqual([{ got: { a: 1 }, dequeueCount: 1 }]);
  expect(await host.queue.drain('smoke-in-poison')).toEqual([{ fail: true }]);
});

test('timer under the test clock', async () => {
  await host.clock.advance(15 * 60_000);
  expect(host.output().match(/tick false/g)?.length).toBe(3);
});
