// Output bindings of activities as a user sees them: a queue output is written when the activity returns; a
// binding devhost does not implement fails the activity, and so the orchestration, naming the binding, instead
// of completing with the output dropped.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';
import { durableApi } from './support.js';

let host: TestHost;
let api: ReturnType<typeof durableApi>;

beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/durable/bindings' });
  api = durableApi(host);
});
afterAll(async () => {
  await host?.stop();
});

test("an activity's queue output is in the queue once the orchestration has the activity's result", async () => {
  const id = await api.start('notifyOne', 'notify-1', 'ann');
  await host.idle();
  const status = await api.status(id);
  expect(status.runtimeStatus).toBe('Completed');
  expect(status.output).toBe('told ann');
  expect(await host.queue.drain('notices')).toEqual([{ hello: 'ann' }]);
});

test('an activity with an unsupported binding fails loudly: the orchestration fails naming it, the host log says so', async () => {
  const id = await api.start('smsOne', 'sms-1', '+15551234567');
  await host.idle();
  const status = await api.status(id);
  expect(status.runtimeStatus).toBe('Failed');
  expect(JSON.stringify(status.output)).toContain("output binding 'twilioSms'");
  expect(host.output()).toMatch(/Executed 'sendSms' \(Failed[^\n]*\n[^\n]*output binding 'twilioSms'/);
});
