// Where devhost listens: this machine only unless told otherwise, since its admin API mints tokens for any
// tenant and its Durable HTTP API raises events; the banner says who can reach which control endpoint.
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

/** An address of this machine other than loopback: what another machine on the network would connect to. */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === 'IPv4')?.address;

let local: TestHost;
let open: TestHost;
beforeAll(async () => {
  [local, open] = await Promise.all([
    startHost({ app: 'test/fixtures/devhost/web' }),
    startHost({ app: 'test/fixtures/devhost/web', host: '0.0.0.0' }),
  ]);
});
afterAll(async () => {
  await Promise.all([local?.stop(), open?.stop()]);
});

const portOf = (host: TestHost) => new URL(host.url).port;
const reach = (address: string, port: string) =>
  fetch(`http://${address}:${port}/admin/host/status`).then(
    (res) => res.status,
    (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
  );

test('by default only this machine reaches it; the banner says the admin and Durable APIs answer it without a key', async () => {
  expect(outside, 'this machine needs a non-loopback IPv4 address for the test').toBeDefined();
  expect(await reach('127.0.0.1', portOf(local))).toBe(200);
  expect(await reach(outside!, portOf(local))).toBe('ECONNREFUSED');
  expect(local.output()).toContain('Listening: 127.0.0.1 (this machine only; --host 0.0.0.0 opens it)');
  expect(local.output()).toMatch(/open to this machine, without a key: the admin API .*; pass --keys to require one/);
});

test('--host 0.0.0.0 opens it to the network, and the banner says so', async () => {
  expect(await reach(outside!, portOf(open))).toBe(200);
  expect(open.output()).toContain('Listening: 0.0.0.0 (the network)');
  expect(open.output()).toMatch(/open TO THE NETWORK, without a key: the admin API/);
});
