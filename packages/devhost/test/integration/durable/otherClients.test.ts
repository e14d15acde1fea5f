// Other clients of the task hub write it as the Durable Task Azure Storage provider does, and devhost must
// follow: a start may come as a message alone (a DTFx worker starts sub-orchestrations so; a DTFx client
// writes the Instances row only after the message), an instance may be purged behind devhost's back, and a
// large Instances value is a URL to its blob. (packages/devhost/interop checks the same against the real
// .NET provider.) Fixture: durable/basic.
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { partitionOf } from '../../../src/durable/names.js';
import { startHost, type TestHost } from '../../../src/testing.js';

let host: TestHost;
let instances: TableClient;
let history: TableClient;

beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/durable/basic' });
  instances = TableClient.fromConnectionString(host.storage, 'ConformanceHubInstances', { allowInsecureConnection: true });
  history = TableClient.fromConnectionString(host.storage, 'ConformanceHubHistory', { allowInsecureConnection: true });
});

afterAll(async () => {
  await host?.stop();
});

const api = (path: string, init?: RequestInit) => host.fetch(`/runtime/webhooks/durabletask/${path}`, init);
const status = async (id: string) => (await (await api(`instances/${id}`)).json()) as Record<string, unknown>;

/** A start message as DTFx's client sends it: MessageData with $type, 32-hex execution id, 7-digit times. */
function startMessage(instanceId: string, executionId: string, input: string): string {
  const instance = { $type: 'DurableTask.Core.OrchestrationInstance', InstanceId: instanceId, ExecutionId: executionId };
  return JSON.stringify({
    $type: 'DurableTask.AzureStorage.MessageData',
    ActivityId: randomUUID(),
    TaskMessage: {
      $type: 'DurableTask.Core.TaskMessage',
      Event: {
        $type: 'DurableTask.Core.History.ExecutionStartedEvent',
        OrchestrationInstance: instance,
        EventType: 0,
        ParentInstance: null,
        Name: 'helloSequence',
        Version: '',
        Input: input,
        Tags: null,
        Correlation: null,
        ParentTraceContext: { $type: 'DurableTask.Core.Tracing.DistributedTraceContext', TraceParent: '00-1-2-01', TraceState: null },
        ScheduledStartTime: null,
        Generation: 0,
        EventId: -1,
        IsPlayed: false,
        Timestamp: new Date().toISOString().replace('Z', '1234Z'),
      },
      SequenceNumber: 0,
      OrchestrationInstance: instance,
    },
    CompressedBlobName: null,
    SequenceNumber: 1,
    Sender: { $type: 'DurableTask.Core.OrchestrationInstance', InstanceId: '', ExecutionId: '' },
    SerializableTraceContext: null,
  });
}

test('a start that comes as a message alone, with no Instances row, runs and gets its row', async () => {
  const executionId = randomUUID().replace(/-/g, '');
  const queue = host.queue.client(`conformancehub-control-${String(partitionOf('by-message', 4)).padStart(2, '0')}`);
  await queue.sendMessage(startMessage('by-message', executionId, '["Oslo"]'));
  await host.idle();
  expect(await status('by-message')).toMatchObject({ name: 'helloSequence', runtimeStatus: 'Completed', output: ['Hello Oslo!'] });
  expect((await instances.getEntity('by-message', '')).ExecutionId).toBe(executionId);
});

test('an instance purged by another client is gone from the status API at once', async () => {
  const started = await api('orchestrators/helloSequence/purged-elsewhere', { method: 'POST' });
  expect(started.status).toBe(202);
  await host.idle();
  expect((await status('purged-elsewhere')).runtimeStatus).toBe('Completed');
  // As DTFx's PurgeInstanceHistoryAsync does it: every history row, then the Instances row.
  for await (const row of history.listEntities({ queryOptions: { filter: `PartitionKey eq 'purged-elsewhere'` } }))
    await history.deleteEntity(row.partitionKey!, row.rowKey!);
  await instances.deleteEntity('purged-elsewhere', '');
  expect((await api('instances/purged-elsewhere')).status).toBe(404);
});

test("large Instances values written the provider's way (a URL to the blob) are read back", async () => {
  const container = BlobServiceClient.fromConnectionString(host.storage).getContainerClient('conformancehub-largemessages');
  const put = async (name: string, text: string) => {
    const body = gzipSync(Buffer.from(text, 'utf8'));
    const blob = container.getBlockBlobClient(name);
    await blob.upload(body, body.length);
    return blob.url;
  };
  const input = JSON.stringify(['x'.repeat(40_000)]);
  const output = JSON.stringify('y'.repeat(40_000));
  const executionId = randomUUID().replace(/-/g, '');
  // A client start whose message went to a blob points Input at that message; Output at its own blob.
  const inputUrl = await put(
    `from-dtfx/message-${randomUUID().replace(/-/g, '')}-ExecutionStarted.json.gz`,
    startMessage('from-dtfx', executionId, input),
  );
  const outputUrl = await put('from-dtfx/history-000000000000000A-ExecutionCompleted-1A2B3C4D-Result.json.gz', output);
  const now = new Date();
  await instances.createEntity({
    partitionKey: 'from-dtfx',
    rowKey: '',
    Name: 'helloSequence',
    Version: '',
    Input: inputUrl,
    Output: outputUrl,
    CustomStatus: 'null',
    RuntimeStatus: 'Completed',
    CreatedTime: now,
    LastUpdatedTime: now,
    CompletedTime: now,
    ExecutionId: executionId,
    TaskHubName: 'ConformanceHub',
    Generation: 0,
  });
  const res = await api('instances/from-dtfx?showInput=true');
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body.input).toEqual(JSON.parse(input));
  expect(body.output).toEqual(JSON.parse(output));
});
