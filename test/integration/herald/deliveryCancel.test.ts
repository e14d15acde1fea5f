// Cancelling a message stops its delivery in flight: what was not sent yet is recorded as cancelled and
// nobody else is notified. Real clock (the send must be under way when the cancel arrives), Herald paced at
// Teams' published bulk limit of 2 requests a second.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { startHerald } from './support.js';
import { ALL_STAFF, crowd, delivered, newTenant, status, teamsFeed } from './deliverySupport.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHerald({ env: { TEAMS_REQUESTS_PER_SECOND: '2' } });
});
afterAll(async () => {
  await host?.stop();
});

test('cancel mid-send: what was not sent yet is recorded as cancelled and nobody else is notified', async () => {
  const tenant = newTenant();
  const t = await crowd(host, tenant, 1500);
  const start = Date.now() + 3000;
  const created = await t.writer('/api/messages', {
    body: {
      name: 'To be cancelled',
      objective: 'announcement',
      location: 'teams',
      template: { kind: 'custom' },
      content: { title: 'Office closed', body: 'The office is closed on Friday.' },
      audience: { groups: [ALL_STAFF] },
      schedule: { start: new Date(start).toISOString(), end: new Date(start + 86_400_000).toISOString() },
    },
  });
  const { id } = (await created.json()) as { id: string };
  expect((await t.writer(`/api/messages/${id}/submit`, { body: {} })).status).toBe(200);
  expect((await t.approver(`/api/messages/${id}/approve`, { body: {} })).status).toBe(200);
  for (let i = 0; i < 300 && (await teamsFeed(host, tenant)).entries.length === 0; i++) await new Promise((r) => setTimeout(r, 50));

  const cancelled = await t.writer(`/api/messages/${id}/cancel`, { body: {} });
  expect(cancelled.status).toBe(200);
  const done = await delivered(t.writer, id);
  expect(done.cancelled).toBeGreaterThan(0);
  expect(done.sent).toBeGreaterThan(0);
  expect(done.sent + done.cancelled).toBe(1500);
  expect(await status(t.writer, id)).toBe('Cancelled');
  await new Promise((r) => setTimeout(r, 1500));
  expect((await teamsFeed(host, tenant)).entries).toHaveLength(done.sent);
  const rows = (await (await t.writer(`/api/messages/${id}/delivery/recipients?status=cancelled&pageSize=1`)).json()) as {
    items: { reason: string }[];
  };
  expect(rows.items[0]!.reason).toBe('message cancelled before delivery');
});
