// Queue triggers and queue outputs over the real Azurite devhost starts, driven with the real
// @azure/storage-queue SDK. Fixture: queues (host.json maxDequeueCount 3).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

let host: TestHost;

beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/devhost/queues' });
});

afterAll(async () => {
  await host?.stop();
});

const base64 = (text: string) => Buffer.from(text).toString('base64');

test('a queue trigger gets the message and its metadata; a single output value is one message', async () => {
  const client = host.queue.client('single-in');
  const sent = await client.sendMessage(base64(JSON.stringify({ order: 7, item: 'widget' })));
  await host.idle();
  const out = await host.queue.drain('single-out');
  expect(out).toEqual([
    {
      message: { order: 7, item: 'widget' },
      metadata: {
        id: sent.messageId,
        dequeueCount: 1,
        insertionTime: sent.insertedOn.toISOString(),
        expirationTime: sent.expiresOn.toISOString(),
        nextVisibleTime: expect.any(String),
        hasPopReceipt: true,
        queueTrigger: { order: 7, item: 'widget' },
      },
    },
  ]);
  expect(await host.queue.peek('single-in')).toEqual([]);
});

test('an array output is one message per element; the trigger queue name comes from %FANOUT_QUEUE%', async () => {
  await host.queue.send('fanout-in', { batch: 'b1', count: 3 });
  await host.idle();
  const out = (await host.queue.drain('fanout-out')) as { batch: string; part: number }[];
  expect(out.sort((a, b) => a.part - b.part)).toEqual([
    { batch: 'b1', part: 1 },
    { batch: 'b1', part: 2 },
    { batch: 'b1', part: 3 },
  ]);
});

test('a return value goes to the return output binding', async () => {
  await host.queue.send('return-in', 'hello');
  await host.idle();
  expect(await host.queue.drain('return-out')).toEqual(['processed hello']);
});

test('an HTTP function writes its queue output before it answers', async () => {
  const res = await host.fetch('/api/submit', { method: 'POST', body: JSON.stringify({ id: 5, what: 'report' }) });
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ accepted: true });
  expect(await host.queue.drain('submitted')).toEqual([{ id: 5, what: 'report' }]);
});

test('a message that keeps failing is tried maxDequeueCount (3) times, then moved to <queue>-poison', async () => {
  await host.queue.send('failing-in', { tag: 'bad-1' });
  await host.idle();
  expect(await host.queue.drain('failing-in-poison')).toEqual([{ tag: 'bad-1' }]);
  expect(await host.queue.peek('failing-in')).toEqual([]);
  await host.waitForOutput(/Moving message to queue 'failing-in-poison'/);
  const attempts = [...host.output().matchAll(/failing attempt (\d+) for bad-1/g)].map((m) => Number(m[1]));
  expect(attempts).toEqual([1, 2, 3]);
  expect(host.output()).toContain('Message has reached MaxDequeueCount of 3');
});

test('a message that is not base64 goes to poison without running the function', async () => {
  const client = host.queue.client('strict-in');
  await client.sendMessage('this is not base64!');
  await host.idle();
  expect(await host.queue.peek('strict-in-poison', { encoding: 'none' })).toEqual(['this is not base64!']);
  expect(await host.queue.peek('strict-in')).toEqual([]);
  expect(await host.queue.peek('strict-out')).toEqual([]);
  await host.waitForOutput(/\[strict\] Message '[^']+' on queue 'strict-in' is not valid base64/);
});

test('a function disabled with AzureWebJobs.<name>.Disabled leaves its messages alone', async () => {
  await host.queue.send('paused-in', { keep: 'me' });
  await host.idle();
  expect(await host.queue.peek('paused-in')).toEqual([{ keep: 'me' }]);
  expect(host.output()).not.toContain('paused ran');
  expect(host.output()).toMatch(/paused: queueTrigger .*\(disabled\)/);
});
