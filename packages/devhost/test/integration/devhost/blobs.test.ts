// Blob input and output bindings over devhost's Azurite, as a user sees them: a queue message written to the blob
// its path names, read back through an HTTP function's blob input, and the Durable backup pattern (a fan-out of
// activities each writing a blob) leaving every blob behind (fixture: devhost/blobs).
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';
import { durableApi } from '../durable/support.js';

let host: TestHost;
let blobs: BlobServiceClient;
beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/devhost/blobs' });
  blobs = BlobServiceClient.fromConnectionString(host.storage);
});
afterAll(async () => {
  await host?.stop();
});

test('a blob output named by the message ({id}) holds the message; a blob input reads it back, 404 when absent', async () => {
  await host.queue.send('to-archive', { id: 'a-1', text: 'hello' });
  await host.idle();
  const stored = await blobs.getContainerClient('archive').getBlobClient('a-1.json').downloadToBuffer();
  expect(JSON.parse(stored.toString())).toEqual({ id: 'a-1', text: 'hello' });
  const res = await host.fetch('/api/archived/a-1');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ id: 'a-1', text: 'hello' });
  expect((await host.fetch('/api/archived/nothing-here')).status).toBe(404);
});

test('a fan-out of activities with blob outputs completes with every blob written', async () => {
  const api = durableApi(host);
  const id = await api.start('backupAll', 'backup-1', ['a.txt', 'bb.txt', 'ccc.txt']);
  await host.idle();
  const status = await api.status(id);
  expect(status.runtimeStatus).toBe('Completed');
  expect(status.output).toBe(18);
  const written: string[] = [];
  const container = blobs.getContainerClient('backups');
  for await (const blob of container.listBlobsFlat())
    written.push((await container.getBlobClient(blob.name).downloadToBuffer()).toString());
  expect(written.sort()).toEqual(['copy of a.txt', 'copy of bb.txt', 'copy of ccc.txt']);
});
