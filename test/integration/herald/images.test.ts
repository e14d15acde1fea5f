// Images: type and size checked against the bytes, stored per tenant and message, served back, replaced,
// removed, copied with the message, never settable through the draft JSON.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, forceStatus, startHerald, TENANT_A, TENANT_B, type Client } from './support.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('rest of a png')]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('rest of a jpeg')]);

let host: TestHost;
let ann: Client;
let bob: Client;
beforeAll(async () => {
  host = await startHerald();
  ann = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write']);
  bob = await as(host, TENANT_B, 'bob@fabrikam.test', ['Messages.Write']);
});
afterAll(async () => {
  await host?.stop();
});

// Raw bytes, so not through the JSON client.
const upload = async (_client: Client, id: string, etag: string, bytes: Buffer, type: string) => {
  const token = await host.token({ tenant: TENANT_A, user: 'ann@contoso.test', roles: ['Messages.Write'], audience: 'api://herald' });
  return host.fetch(`/api/messages/${id}/image`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': type, 'if-match': etag },
    body: new Uint8Array(bytes),
  });
};

async function newDraft(): Promise<{ id: string; etag: string }> {
  const res = await ann('/api/messages', {
    body: {
      name: 'With a picture',
      location: 'spotlight',
      content: { title: 'Hi', image: { blob: 'x/y/z', contentType: 'image/png', size: 1 } },
    },
  });
  const body = (await res.json()) as { id: string; content: { image?: unknown } };
  expect(body.content.image, 'a client cannot set the image through the draft').toBeUndefined();
  return { id: body.id, etag: res.headers.get('etag')! };
}

test('upload, read back, replace, remove — each an edit guarded by the ETag', async () => {
  const { id, etag } = await newDraft();
  expect((await upload(ann, id, etag, PNG, 'image/gif')).status).toBe(400);
  const wrong = await upload(ann, id, etag, Buffer.from('<svg/>'), 'image/svg+xml');
  expect(((await wrong.json()) as { errors: { path: string; message: string }[] }).errors[0]).toMatchObject({ path: 'image' });
  expect((await upload(ann, id, etag, Buffer.alloc(1024 * 1024 + 1, 0x89), 'image/png')).status).toBe(400);

  const put = await upload(ann, id, etag, PNG, 'image/png');
  expect(put.status, await put.clone().text()).toBe(200);
  expect(((await put.json()) as { content: { image: { contentType: string; size: number } } }).content.image).toMatchObject({
    contentType: 'image/png',
    size: PNG.length,
  });
  const stale = await upload(ann, id, etag, JPEG, 'image/jpeg');
  expect(stale.status).toBe(412);

  const got = await ann(`/api/messages/${id}/image`);
  expect(got.headers.get('content-type')).toBe('image/png');
  expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).toBe(true);
  expect((await bob(`/api/messages/${id}/image`)).status).toBe(404);

  const replaced = await upload(ann, id, put.headers.get('etag')!, JPEG, 'image/jpeg');
  expect(Buffer.from(await (await ann(`/api/messages/${id}/image`)).arrayBuffer()).equals(JPEG)).toBe(true);
  const removed = await ann(`/api/messages/${id}/image`, { method: 'DELETE', headers: { 'if-match': replaced.headers.get('etag')! } });
  expect(removed.status).toBe(200);
  expect((await ann(`/api/messages/${id}/image`)).status).toBe(404);
});

test('a copy keeps the image as its own blob', async () => {
  const { id, etag } = await newDraft();
  await upload(ann, id, etag, PNG, 'image/png');
  const copy = (await (await ann(`/api/messages/${id}/copy`, { body: {} })).json()) as { id: string; content: { image: { blob: string } } };
  expect(copy.content.image.blob).toContain(`/${copy.id}/`);
  expect(Buffer.from(await (await ann(`/api/messages/${copy.id}/image`)).arrayBuffer()).equals(PNG)).toBe(true);
});

test('"As long as the Location of the copied message remains the same, images from the copied message are automatically copied"', async () => {
  const { id, etag } = await newDraft();
  await upload(ann, id, etag, PNG, 'image/png');
  const res = await ann(`/api/messages/${id}/copy`, { body: {} });
  const copy = (await res.json()) as { id: string };
  const copyEtag = res.headers.get('etag')!;
  // Same location, another name: the copied image stays.
  const renamed = await ann(`/api/messages/${copy.id}`, { method: 'PATCH', headers: { 'if-match': copyEtag }, body: { name: 'Renamed' } });
  expect(((await renamed.json()) as { content: { image?: unknown } }).content.image).toBeDefined();
  // Another location: the copied image goes; the original keeps its own.
  const moved = await ann(`/api/messages/${copy.id}`, {
    method: 'PATCH',
    headers: { 'if-match': renamed.headers.get('etag')! },
    body: { location: 'taskbar' },
  });
  expect(moved.status).toBe(200);
  expect(((await moved.json()) as { content: { image?: unknown } }).content.image).toBeUndefined();
  expect((await ann(`/api/messages/${copy.id}/image`)).status).toBe(404);
  expect(Buffer.from(await (await ann(`/api/messages/${id}/image`)).arrayBuffer()).equals(PNG)).toBe(true);
  // "However, you can override that image by uploading a new image": an uploaded one stays wherever it goes.
  const again = await upload(ann, copy.id, moved.headers.get('etag')!, JPEG, 'image/jpeg');
  const back = await ann(`/api/messages/${copy.id}`, {
    method: 'PATCH',
    headers: { 'if-match': again.headers.get('etag')! },
    body: { location: 'spotlight' },
  });
  expect(((await back.json()) as { content: { image?: { contentType: string } } }).content.image).toMatchObject({
    contentType: 'image/jpeg',
  });
});

test('recipients read the image once the message has gone out, not before', async () => {
  const { id, etag } = await newDraft();
  await upload(ann, id, etag, PNG, 'image/png');
  const recipient = await as(host, TENANT_A, 'una@contoso.test', []);
  expect((await recipient(`/api/messages/${id}/image`)).status).toBe(403);
  await forceStatus(host, TENANT_A, id, 'Active');
  const got = await recipient(`/api/messages/${id}/image`);
  expect(got.status).toBe(200);
  expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).toBe(true);
  const stranger = await as(host, TENANT_B, 'bob@fabrikam.test', []);
  expect((await stranger(`/api/messages/${id}/image`)).status).toBe(404);
});
