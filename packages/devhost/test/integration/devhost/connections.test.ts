// Every storage connection setting that says UseDevelopmentStorage=true means devhost's Azurite, not the
// emulator's default ports: bindings on a connection other than AzureWebJobsStorage, and the app's own SDK
// clients built from such a setting (fixture: devhost/connections, settings from its local.settings.sample.json).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/devhost/connections', env: { ArchiveStorage: 'UseDevelopmentStorage=true' } });
});
afterAll(async () => {
  await host?.stop();
});

test('a queue trigger and output on another connection naming the emulator run on devhost’s Azurite', async () => {
  await host.queue.send('orders-in', { id: 'o-1' });
  await host.idle();
  expect(await host.queue.drain('orders-shipped')).toEqual([{ shipped: 'o-1' }]);
});

test("the app's own client on that setting reaches the same Azurite, and the trigger picks its message up", async () => {
  expect((await host.fetch('/api/enqueue', { method: 'POST', body: JSON.stringify({ id: 'o-2' }) })).status).toBe(202);
  await host.idle();
  expect(await host.queue.drain('orders-shipped')).toEqual([{ shipped: 'o-2' }]);
});

test('a setting from the environment is redirected too, and /admin/devhost/info says which settings were', async () => {
  const info = (await (await host.adminFetch('/admin/devhost/info')).json()) as { developmentStorage: string[] };
  expect(info.developmentStorage).toEqual(expect.arrayContaining(['ArchiveStorage', 'OrdersStorage']));
});
