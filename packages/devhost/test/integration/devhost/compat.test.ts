// Apps on the oldest and the newest @azure/functions and durable-functions devhost supports, each installed from
// its own lock file (test/fixtures/compat/oldest, newest), run the same: the library reads the invocation's HTTP
// data differently per version (4.3 takes the query only from `query`/`nullableQuery`; 4.5 hands any body to
// `new Request`, which refuses one on GET), and the Durable samples' starter reads `?timeout` from the query.
import { createRequire } from 'node:module';
import { BlobServiceClient } from '@azure/storage-blob';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

const FIXTURES = [
  { app: 'test/fixtures/compat/oldest', functions: '4.3.0', durable: '3.1.0' },
  { app: 'test/fixtures/compat/newest', functions: '4.16.5', durable: '3.5.0' },
];

const versionIn = (app: string, pkg: string) =>
  (createRequire(resolve(app, 'package.json'))(`${pkg}/package.json`) as { version: string }).version;

describe.each(FIXTURES)('$app: @azure/functions $functions, durable-functions $durable', ({ app, functions, durable }) => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startHost({ app });
  });
  afterAll(async () => {
    await host?.stop();
  });

  test('the fixture runs the versions it pins', () => {
    expect(versionIn(app, '@azure/functions')).toBe(functions);
    expect(versionIn(app, 'durable-functions')).toBe(durable);
  });

  test('a GET handler runs and sees the query string, repeated keys joined as the host joins them', async () => {
    const res = await host.fetch('/api/echo?x=1&x=2&name=J%C3%BCrgen&empty=');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: 'GET', query: { x: '1,2', name: 'Jürgen', empty: '' }, all: ['1,2'], body: '' });
  });

  test('HEAD and DELETE without a body run too; a POST gets its body and its query', async () => {
    expect((await host.fetch('/api/echo?a=1', { method: 'HEAD' })).status).toBe(200);
    const del = await host.fetch('/api/echo?a=1', { method: 'DELETE' });
    expect(await del.json()).toMatchObject({ method: 'DELETE', query: { a: '1' }, body: '' });
    const post = await host.fetch('/api/echo?a=1', { method: 'POST', body: 'hello' });
    expect(await post.json()).toEqual({ method: 'POST', query: { a: '1' }, all: [], body: 'hello' });
  });

  test("the Durable starter's ?timeout ends its wait: 202 with the status URLs for a running orchestration", async () => {
    // Without the query the starter would wait an hour (the fixture's default) and this test would time out.
    const res = await host.fetch('/api/orchestrators/waitForApproval?timeout=2');
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; statusQueryGetUri: string };
    const status = await host.fetch(new URL(body.statusQueryGetUri).pathname + new URL(body.statusQueryGetUri).search);
    expect(((await status.json()) as { runtimeStatus: string }).runtimeStatus).toMatch(/Running|Pending/);
  });

  test('an uploaded blob triggers its function, which gets it as a Buffer with the {name} and writes its copy', async () => {
    const blobs = BlobServiceClient.fromConnectionString(host.storage);
    const drop = blobs.getContainerClient('drop');
    await drop.createIfNotExists();
    await drop.getBlockBlobClient('note.txt').upload('hi', 2);
    let copy: string | undefined;
    for (let i = 0; i < 80 && copy === undefined; i++) {
      await host.idle();
      copy = await blobs
        .getContainerClient('copies')
        .getBlobClient('note.txt')
        .downloadToBuffer()
        .then((b) => b.toString())
        .catch(() => undefined);
    }
    expect(copy).toBe('true note.txt hi');
  });

  test('an orchestration that completes within ?timeout answers 200 with its output', async () => {
    const res = await host.fetch('/api/orchestrators/helloCities?timeout=50', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
  });
});
