// The real host's queue-writer notification (WebJobs SharedQueueWatcher): a queue output binding announces
// each message it writes, and this host's listener on that queue polls at once instead of waiting out its
// back-off. Fake timers: nothing here waits on the clock, so no timing can fail it.
import type { QueueClient } from '@azure/storage-queue';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { OutputBindings } from '../../../src/bindings/outputs.js';
import type { QueueOptions } from '../../../src/config.js';
import type { Logger } from '../../../src/log.js';
import type { StorageClients } from '../../../src/storage/connections.js';
import { QueueListener } from '../../../src/triggers/queueListener.js';

const options: QueueOptions = {
  batchSize: 16,
  newBatchThreshold: 8,
  maxPollingIntervalMs: 600_000,
  visibilityTimeoutMs: 0,
  maxDequeueCount: 5,
  messageEncoding: 'base64',
};
const logger = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as Logger;

/** A queue that counts polls and answers each with nothing. */
function emptyQueue(name: string) {
  const queue = {
    name,
    polls: 0,
    sent: [] as string[],
    createIfNotExists: async () => ({}),
    receiveMessages: async () => {
      queue.polls++;
      return { receivedMessageItems: [] };
    },
    sendMessage: async (text: string) => {
      queue.sent.push(text);
      return {};
    },
  };
  return queue;
}

/** Lets pending promise callbacks run, without moving the fake clock. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

test('an output binding announces every message it writes, after writing it, by queue name', async () => {
  const queue = emptyQueue('deliver-teams');
  const clients = { queueService: () => ({ getQueueClient: () => queue }) } as unknown as StorageClients;
  const announced: [string, number][] = [];
  const outputs = new OutputBindings(clients, { AzureWebJobsStorage: 'UseDevelopmentStorage=true' }, 'base64', (name) =>
    announced.push([name, queue.sent.length]),
  );

  await outputs.sendToQueue(outputs.queueClient(undefined, 'deliver-teams'), ['{"batch":0}', '{"batch":1}']);

  expect(announced).toEqual([
    ['deliver-teams', 1],
    ['deliver-teams', 2],
  ]);
});

test('a backed-off listener polls at once when poked, not at the end of its back-off', async () => {
  const queue = emptyQueue('deliver-teams');
  const listener = new QueueListener('deliverTeams', queue as unknown as QueueClient, undefined, options, async () => undefined, logger);
  await listener.start();
  // Empty polls double the wait: 100 ms, 200 ms, … up to maxPollingInterval (10 minutes here).
  await vi.advanceTimersByTimeAsync(200_000);
  const polls = queue.polls;
  await vi.advanceTimersByTimeAsync(1_000);
  expect(queue.polls).toBe(polls);

  listener.poke();
  await settle();

  expect(queue.polls).toBe(polls + 1);
  const stopped = listener.stop();
  await vi.runAllTimersAsync();
  await stopped;
});
