// Blob triggers as a user sees them (fixture: devhost/blobtrigger): an upload runs the function once with the blob
// and the path's {name}; a changed blob runs again, an unchanged one never does (not after a restart either, for
// its receipt is in storage); a blob that keeps failing is reported on webjobs-blobtrigger-poison; two hosts over
// one storage run each upload once between them; the admin API runs the function on a named blob.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startAzurite, startHost, type TestHost } from '../../../src/testing.js';

const APP = 'test/fixtures/devhost/blobtrigger';
let azurite: Awaited<ReturnType<typeof startAzurite>>;
let blobs: BlobServiceClient;
let dir: string;
let runLog: string;
const hosts: TestHost[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  dir = mkdtempSync(join(tmpdir(), 'blob-trigger-'));
  runLog = join(dir, 'runs.log');
});
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.kill()));
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}): Promise<TestHost> {
  const host = await startHost({ app: APP, storage: azurite.connectionString, env: { RUN_LOG: runLog, ...env } });
  hosts.push(host);
  return host;
}

const runs = () =>
  existsSync(runLog)
    ? readFileSync(runLog, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '))
    : [];

async function upload(container: string, name: string, text: string): Promise<void> {
  const client = blobs.getContainerClient(container);
  await client.createIfNotExists();
  await client.getBlockBlobClient(name).upload(text, Buffer.byteLength(text));
}

async function read(container: string, name: string): Promise<unknown> {
  return JSON.parse((await blobs.getContainerClient(container).getBlobClient(name).downloadToBuffer()).toString());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an upload runs the function once with the blob as bytes and the path parameters; a change runs it again', async () => {
  const host = await start();
  await upload('uploads', 'hello.txt', 'hello there');
  await upload('uploads', 'notes.md', 'not a .txt: the path does not match');
  await host.idle();
  const out = await read('shouted', 'hello.txt');
  expect(out).toMatchObject({ text: 'HELLO THERE', isBuffer: true, name: 'hello', blobTrigger: 'uploads/hello.txt' });
  expect((out as { uri: string }).uri).toMatch(/\/uploads\/hello\.txt$/);
  expect(runs().map((r) => r[1])).toEqual(['uploads/hello.txt']);

  // Scans keep going; an unchanged blob is not run again, a rewritten one is.
  await sleep(1500);
  await host.idle();
  expect(runs()).toHaveLength(1);
  await upload('uploads', 'hello.txt', 'second version');
  await host.idle();
  expect(await read('shouted', 'hello.txt')).toMatchObject({ text: 'SECOND VERSION' });
  expect(runs()).toHaveLength(2);

  // A restart finds the receipts in storage: nothing runs twice.
  await host.stop();
  hosts.splice(hosts.indexOf(host), 1);
  const again = await start();
  await upload('uploads', 'later.txt', 'after the restart');
  await again.idle();
  expect(runs().map((r) => r[1])).toEqual(['uploads/hello.txt', 'uploads/hello.txt', 'uploads/later.txt']);

  // The admin API runs the function on a named blob, receipts or not, as the real host's does.
  const res = await again.adminFetch('/admin/functions/shout', { method: 'POST', body: JSON.stringify({ input: 'uploads/hello.txt' }) });
  expect(res.status).toBe(202);
  await again.idle();
  expect(runs()).toHaveLength(4);
  const bad = await again.adminFetch('/admin/functions/shout', { method: 'POST', body: JSON.stringify({ input: 'no-slash' }) });
  expect(bad.status).toBe(400);
  await again.stop();
  hosts.splice(hosts.indexOf(again), 1);
});

test('a blob that fails poisonBlobThreshold times is reported on webjobs-blobtrigger-poison, and not retried after', async () => {
  const host = await start();
  await upload('rejects', 'broken.bin', 'x');
  const poison = new QueueClient(azurite.connectionString, 'webjobs-blobtrigger-poison');
  let message: Record<string, unknown> | undefined;
  for (let i = 0; i < 60 && !message; i++) {
    await host.idle();
    const { receivedMessageItems } = await poison.receiveMessages();
    const item = receivedMessageItems[0];
    if (item) message = JSON.parse(Buffer.from(item.messageText, 'base64').toString()) as Record<string, unknown>;
    else await sleep(250);
  }
  expect(message).toMatchObject({
    FunctionId: 'Host.Functions.reject',
    BlobType: 'BlockBlob',
    ContainerName: 'rejects',
    BlobName: 'broken.bin',
  });
  expect(message!.ETag).toEqual(expect.any(String));
  // Two attempts (host.json), each logged with the function's error.
  const failures = () => host.output().match(/cannot take broken\.bin/g)?.length ?? 0;
  expect(failures()).toBe(2);
  // Later scans leave a poisoned blob alone.
  await sleep(1500);
  await host.idle();
  expect(failures()).toBe(2);
  await host.stop();
  hosts.splice(hosts.indexOf(host), 1);
});

test('two hosts over one storage run each upload exactly once between them', { timeout: 120_000 }, async () => {
  rmSync(runLog, { force: true });
  const env = { RUN_DELAY_MS: '200' };
  const [a, b] = await Promise.all([start(env), start(env)]);
  const names = Array.from({ length: 24 }, (_, i) => `batch-${i}.txt`);
  await Promise.all(names.map((n) => upload('uploads', n, n)));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && new Set(runs().map((r) => r[1])).size < names.length) await sleep(250);
  await Promise.all([a.idle(), b.idle()]);
  const paths = runs()
    .map((r) => r[1]!)
    .filter((p) => p.includes('batch-'));
  expect(paths.sort()).toEqual(names.map((n) => `uploads/${n}`).sort());
});
