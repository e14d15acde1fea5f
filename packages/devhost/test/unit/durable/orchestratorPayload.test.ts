// The orchestration trigger's input is sent as text built from the committed history's JSON, kept between
// episodes: it must be the very text the whole payload serializes to.
import { expect, test } from 'vitest';
import { events } from '../../../src/durable/history.js';
import { eventsJson, orchestratorPayload, orchestratorPayloadText } from '../../../src/durable/orchestratorInvocation.js';

const at = '2026-01-01T00:00:00.000Z';
const settings = {
  maximumShortTimerDuration: '1.00:00:00',
  longRunningTimerIntervalDuration: '1.00:00:00',
  defaultHttpAsyncRequestSleepTimeMillseconds: 5,
};
const start = events.executionStarted(at, {
  name: 'seq',
  instance: { InstanceId: 'i1', ExecutionId: 'e1' },
  input: '{"n":"<3 \\"quoted\\""}',
  parent: null,
});
const committed = [events.orchestratorStarted(at), start, events.taskScheduled(at, 0, 'a', null), events.orchestratorCompleted(at)];
for (const e of committed) e.IsPlayed = true;
const fresh = [events.orchestratorStarted(at), events.taskCompleted(at, 0, '"done"')];
const history = [...committed, ...fresh];

test('the payload text with the committed events given as JSON is the payload serialized whole', () => {
  const whole = JSON.stringify(orchestratorPayload(history, start, 'i1', settings));
  expect(orchestratorPayloadText(history, start, 'i1', settings, { count: committed.length, json: eventsJson(committed) })).toBe(whole);
  expect(orchestratorPayloadText(history, start, 'i1', settings)).toBe(whole);
  // A new execution: nothing committed yet.
  expect(orchestratorPayloadText(history, start, 'i1', settings, { count: 0, json: '' })).toBe(whole);
  // Only committed events (a terminate or a redelivery with nothing new).
  const old = JSON.stringify(orchestratorPayload(committed, start, 'i1', settings));
  expect(orchestratorPayloadText(committed, start, 'i1', settings, { count: committed.length, json: eventsJson(committed) })).toBe(old);
});
