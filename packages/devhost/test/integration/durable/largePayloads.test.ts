// Large payloads: values over the 64 KB queue-message and table-property limits travel through the
// <hub>-largemessages container (gzip'd blobs) and come back intact, ASCII or not. Fixture: durable/large.
import { BlobServiceClient } from '@azure/storage-blob';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

let host: TestHost;

beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/durable/large' });
});

afterAll(async () => {
  await host?.stop();
});

const api = (path: string, init?: RequestInit) => host.fetch(`/runtime/webhooks/durabletask/${path}`, init);
const post = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const reverse = (text: string) => [...text].reverse().join('');

/** Distinct, mostly incompressible-looking text of about `chars` UTF-16 units; `alphabet` picks the script. */
function text(chars: number, alphabet: 'ascii' | 'mixed' | 'cjk'): string {
  if (alphabet === 'cjk') return Array.from({ length: chars }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join('');
  const words = { ascii: ['alpha', 'beta', 'gamma', 'delta'], mixed: ['Grüße', 'naïve', 'été', '🎉', 'Ωμέγα', 'x'] }[alphabet];
  let out = '';
  for (let i = 0; out.length < chars; i++) out += `${words[i % words.length]}${(i * 2654435761) % 9973} `;
  return out;
}

async function blobNames(): Promise<string[]> {
  const container = BlobServiceClient.fromConnectionString(host.storage).getContainerClient('largehub-largemessages');
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names;
}

function expectedBig(input: string) {
  const sent = `${input}|end`;
  return { echo: input, result: { tag: 'a', reversed: reverse(sent), length: sent.length }, codePoints: [...input].length };
}

test('an orchestration with a large input, activity input and output, and output (mixed scripts and emoji)', async () => {
  const input = text(100_000, 'mixed');
  expect((await api('orchestrators/big/big-mixed', post({ text: input }))).status).toBe(202);
  await host.idle();
  const res = await api('instances/big-mixed?showHistory=true&showHistoryOutput=true');
  expect(res.status).toBe(200);
  const status = (await res.json()) as { runtimeStatus: string; input: unknown; output: unknown; historyEvents: Record<string, unknown>[] };
  expect(status.runtimeStatus).toBe('Completed');
  expect(status.input).toEqual({ text: input });
  expect(status.output).toEqual(expectedBig(input));
  const completed = status.historyEvents.find((e) => e.EventType === 'TaskCompleted')!;
  expect(completed.Result).toEqual(expectedBig(input).result);
  expect(status.historyEvents.find((e) => e.EventType === 'ExecutionCompleted')!.Result).toEqual(expectedBig(input));

  // Where they went: queue messages, history properties and the Instances row all spilled into blobs. (An
  // activity's result reaches its orchestration in memory, its work item being the durable record, so the
  // large result shows up in history, not as a queue message.)
  const names = (await blobNames()).filter((n) => n.startsWith('big-mixed/'));
  expect(names.some((n) => /^big-mixed\/message-.*-ExecutionStarted\.json\.gz$/.test(n))).toBe(true);
  expect(names.some((n) => /^big-mixed\/message-.*-TaskScheduled\.json\.gz$/.test(n))).toBe(true);
  expect(names.some((n) => /^big-mixed\/history-.*-TaskCompleted-Result\.json\.gz$/.test(n))).toBe(true);
  expect(names.some((n) => /^big-mixed\/history-.*-ExecutionCompleted-Result\.json\.gz$/.test(n))).toBe(true);
  const row = await TableClient.fromConnectionString(host.storage, 'LargeHubInstances', { allowInsecureConnection: true }).getEntity(
    'big-mixed',
    '',
  );
  // The Instances row names its blobs by URL in the column itself, where DTFx's client looks (history rows
  // keep a <Column>BlobName column instead).
  expect(row.Output).toMatch(/^http:\/\/.*\/largehub-largemessages\/big-mixed\/instance-.*-Output\.json\.gz$/);
  expect(row.Input).toMatch(/^http:\/\/.*\/largehub-largemessages\/big-mixed\/instance-.*-Input\.json\.gz$/);
  expect(row.OutputBlobName).toBeUndefined();
});

test('multi-byte text under the size thresholds in characters but over 64 KB in UTF-8 still round-trips', async () => {
  // 25,000 CJK characters are 75 KB of UTF-8: more than a queue message holds, though fewer characters than
  // the engine's thresholds (45,000 for messages, 30,000 for table properties).
  const input = text(25_000, 'cjk');
  expect(Buffer.byteLength(JSON.stringify(input))).toBeGreaterThan(64 * 1024);
  expect((await api('orchestrators/big/big-cjk', post({ text: input }))).status).toBe(202);
  await host.idle();
  const status = (await (await api('instances/big-cjk')).json()) as { runtimeStatus: string; output: unknown };
  expect(status.runtimeStatus).toBe('Completed');
  expect(status.output).toEqual(expectedBig(input));
  expect((await blobNames()).some((n) => /^big-cjk\/message-.*-ExecutionStarted\.json\.gz$/.test(n))).toBe(true);
});

test('a sub-orchestration with a large input and output', async () => {
  const input = text(90_000, 'ascii');
  expect((await api('orchestrators/bigParent/big-parent', post({ text: input }))).status).toBe(202);
  await host.idle();
  const status = (await (await api('instances/big-parent')).json()) as { runtimeStatus: string; output: unknown };
  expect(status.runtimeStatus).toBe('Completed');
  expect(status.output).toEqual({ fromChild: input.length + 4, child: expectedBig(input) });
  expect(await (await api('instances/big-parent-child')).json()).toMatchObject({ runtimeStatus: 'Completed', input: { text: input } });
});

test('a large external event', async () => {
  expect((await api('orchestrators/bigEvent/big-event', { method: 'POST' })).status).toBe(202);
  await host.idle();
  const payload = text(120_000, 'mixed');
  expect((await api('instances/big-event/raiseEvent/payload', post({ text: payload }))).status).toBe(202);
  await host.idle();
  const status = (await (await api('instances/big-event')).json()) as { runtimeStatus: string; output: unknown };
  expect(status).toMatchObject({ runtimeStatus: 'Completed', output: { length: payload.length, text: payload } });
});

test('purging an instance removes its large-message blobs', async () => {
  expect((await blobNames()).some((n) => n.startsWith('big-mixed/'))).toBe(true);
  expect((await api('instances/big-mixed', { method: 'DELETE' })).status).toBe(200);
  expect((await blobNames()).filter((n) => n.startsWith('big-mixed/'))).toEqual([]);
});
