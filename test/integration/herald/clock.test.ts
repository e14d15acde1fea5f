import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, startHerald, TENANT_A } from './support.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHerald({ clock: 'test' });
});
afterAll(async () => {
  await host?.stop();
});

test('token expiry follows the host clock: a one-hour token stops working when the test clock passes the hour', async () => {
  const ann = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write']);
  expect((await ann('/api/messages')).status).toBe(200);
  await host.clock.advance(61 * 60_000);
  const res = await ann('/api/messages');
  expect(res.status).toBe(401);
  expect(((await res.json()) as { detail: string }).detail).toBe('the token has expired');
});

test('a token minted after the test clock moved on is issued at the host’s time, so it works there', async () => {
  await host.clock.advance(3 * 60 * 60_000);
  const bea = await as(host, TENANT_A, 'bea@contoso.test', ['Messages.Write']);
  expect((await bea('/api/messages')).status).toBe(200);
});
