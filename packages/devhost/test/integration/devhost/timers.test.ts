// Timer triggers under the test clock: firings in order at the virtual times the app sees, skip to the
// next occurrence, runOnStartup, %Setting% schedules, retry policies, disabled timers, and past-due
// timers after a restart over the same storage. Fixtures: timers, hourly.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAzurite, startHost, type TestHost } from '../../../src/testing.js';

/**
 * "<name> fired at <time> pastDue=<bool>" lines the fixture functions logged, in order. The host's stdout
 * and its HTTP answers travel separately, so first have the app log a marker and wait for it to arrive.
 */
async function firings(host: TestHost, name: string): Promise<string[]> {
  const id = randomUUID();
  expect((await host.fetch(`/api/mark?id=${id}`, { method: 'POST' })).status).toBe(204);
  await host.waitForOutput(new RegExp(`mark ${id}`));
  return [...host.output().matchAll(new RegExp(`${name} fired at (\\S+) pastDue=(\\w+)`, 'g'))].map((m) => `${m[1]} ${m[2]}`);
}

describe('one host with a test clock', () => {
  const T0 = '2026-03-02T00:01:30.000Z';
  let host: TestHost;

  beforeAll(async () => {
    host = await startHost({ app: 'test/fixtures/devhost/timers', clock: T0 });
    await host.idle();
  });

  afterAll(async () => {
    await host?.stop();
  });

  test('runOnStartup fires once when the host starts, at the start time', async () => {
    expect(await firings(host, 'startup')).toEqual([`${T0} false`]);
    expect(await firings(host, 'everyFive')).toEqual([]);
    expect((await host.clock.now()).toISOString()).toBe(T0);
  });

  test('advancing 20 minutes fires a */5 schedule (from %EVERY_FIVE_MINUTES%) exactly 4 times, in order, at the virtual times', async () => {
    const now = await host.clock.advance(20 * 60_000);
    expect(now.toISOString()).toBe('2026-03-02T00:21:30.000Z');
    expect(await firings(host, 'everyFive')).toEqual([
      '2026-03-02T00:05:00.000Z false',
      '2026-03-02T00:10:00.000Z false',
      '2026-03-02T00:15:00.000Z false',
      '2026-03-02T00:20:00.000Z false',
    ]);
    expect(await firings(host, 'startup')).toHaveLength(1);
  });

  test('clock.skip() moves to the next occurrence and fires it', async () => {
    const to = await host.clock.skip();
    expect(to?.toISOString()).toBe('2026-03-02T00:25:00.000Z');
    expect((await firings(host, 'everyFive')).slice(4)).toEqual(['2026-03-02T00:25:00.000Z false']);
  });

  test('a fixedDelay retry policy runs a failing timer again after each delay, with context.retryContext', async () => {
    await host.clock.set('2026-03-02T00:41:00.000Z');
    const fiveMinutely = await firings(host, 'everyFive');
    const attempts = [...host.output().matchAll(/retrying attempt at (.*)/g)].map((m) => m[1]);
    expect(attempts).toEqual([
      '2026-03-02T00:40:00.000Z retryCount=none max=none error=none',
      '2026-03-02T00:40:10.000Z retryCount=1 max=2 error=transient failure 0',
      '2026-03-02T00:40:20.000Z retryCount=2 max=2 error=transient failure 1',
    ]);
    expect(fiveMinutely.slice(5)).toEqual([
      '2026-03-02T00:30:00.000Z false',
      '2026-03-02T00:35:00.000Z false',
      '2026-03-02T00:40:00.000Z false',
    ]);
  });

  test('a timer disabled with AzureWebJobs.<name>.Disabled never fires', async () => {
    expect(host.output()).toMatch(/dormant: timerTrigger .*\(disabled\)/);
    expect(await firings(host, 'dormant')).toEqual([]);
  });
});

describe('a restart over the same storage', () => {
  const T0 = Date.parse('2026-03-02T10:30:00.000Z');
  const hour = 3600_000;
  let azurite: Awaited<ReturnType<typeof startAzurite>>;
  const hosts: TestHost[] = [];

  beforeAll(async () => {
    azurite = await startAzurite();
  });

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    await azurite?.stop();
  });

  test('a schedule that came due while the host was down fires once at start with isPastDue, then runs on time', async () => {
    const first = await startHost({ app: 'test/fixtures/devhost/hourly', clock: T0, storage: azurite.connectionString });
    hosts.push(first);
    await first.idle();
    expect(await firings(first, 'hourly')).toEqual([]);
    expect(await first.stop()).toBe(0);

    const second = await startHost({ app: 'test/fixtures/devhost/hourly', clock: T0 + 3 * hour, storage: azurite.connectionString });
    hosts.push(second);
    await second.idle();
    expect(await firings(second, 'hourly')).toEqual(['2026-03-02T13:30:00.000Z true']);
    await second.clock.advance(29 * 60_000);
    expect(await firings(second, 'hourly')).toHaveLength(1);
    await second.clock.advance(60_000);
    expect(await firings(second, 'hourly')).toEqual(['2026-03-02T13:30:00.000Z true', '2026-03-02T14:00:00.000Z false']);
  });
});
