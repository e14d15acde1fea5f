// Fixture for bench/devhost-queue.mjs: a queue trigger doing trivial work (it reads the decoded JSON
// message and counts it). It has no output binding, so each message costs devhost exactly what the raw
// baseline does: its share of a receive, one invocation, one delete.
//
// To let the bench time the trigger without polling storage, it logs (at Information, so devhost prints
// it) the wall-clock time of the first invocation, of invocation BENCH_EXPECTED / 2 and of invocation
// BENCH_EXPECTED. The bench then waits for the queue to be empty (the last deletes).
import { app } from '@azure/functions';

const expected = Number(process.env.BENCH_EXPECTED ?? 0);
let count = 0;
let checksum = 0;

app.storageQueue('drain', {
  queueName: 'bench-in',
  connection: 'AzureWebJobsStorage',
  handler: async (message, context) => {
    count++;
    checksum += typeof message === 'object' && message !== null ? Number(message.i) || 0 : 0;
    if (count === 1) context.log(`bench: first ${Date.now()}`);
    if (count === Math.floor(expected / 2)) context.log(`bench: half ${Date.now()}`);
    if (count === expected) context.log(`bench: done ${Date.now()} count ${count} checksum ${checksum}`);
  },
});
