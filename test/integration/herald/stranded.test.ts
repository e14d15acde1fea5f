// Nothing strands a message: when its lifecycle orchestration is terminated (an operator, a bad deploy),
// the message says so once the reconciler has looked, a decision is refused with why, and it can still be
// cancelled and then deleted.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, loadDirectory, startHerald, type Client } from './support.js';

const TENANT = '44444444-4444-4444-8444-4444444444d1';
const GROUP = '0d0d0d0d-1111-4111-8111-000000000001';
const DAY = 86_400_000;

let host: TestHost;
let ann: Client;
let abe: Client;
beforeAll(async () => {
  host = await startHerald();
  await loadDirectory(host, TENANT, {
    users: [{ userPrincipalName: 'una@contoso.test' }],
    groups: [{ id: GROUP, displayName: 'Everyone', members: ['una@contoso.test'] }],
  });
  ann = await as(host, TENANT, 'ann@contoso.test', ['Messages.Write']);
  abe = await as(host, TENANT, 'abe@contoso.test', ['Messages.Approve']);
});
afterAll(async () => {
  await host?.stop();
});

interface View {
  status: string;
  lifecycle?: string;
  lifecycleEnded?: { runtimeStatus: string; reason: string; at: string };
}

async function submitted(template: Record<string, unknown>): Promise<View & { id: string }> {
  const start = Date.now() + DAY;
  const created = await ann('/api/messages', {
    body: {
      name: 'Stranded',
      objective: 'security',
      location: 'spotlight',
      template,
      content: { title: 'Lock your screen', body: 'Press Win+L when you step away.' },
      audience: { groups: [GROUP] },
      schedule: { start: new Date(start).toISOString(), end: new Date(start + 7 * DAY).toISOString(), frequency: 'once' },
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const res = await ann(`/api/messages/${id}/submit`, { body: {} });
  expect(res.status, await res.clone().text()).toBe(200);
  return { id, ...((await res.json()) as View) };
}

const view = async (id: string) => (await (await ann(`/api/messages/${id}`)).json()) as View;

async function terminate(instance: string, reason: string) {
  const res = await host.fetch(`/runtime/webhooks/durabletask/instances/${instance}/terminate?reason=${encodeURIComponent(reason)}`, {
    method: 'POST',
  });
  expect(res.status).toBe(202);
  await host.idle();
  const status = (await (await host.fetch(`/runtime/webhooks/durabletask/instances/${instance}`)).json()) as { runtimeStatus: string };
  expect(status.runtimeStatus).toBe('Terminated');
}

test('terminated while pending approval: the reconciler marks it, approval is refused with why, cancel and delete work', async () => {
  const message = await submitted({ kind: 'custom' });
  expect(message.status).toBe('PendingApproval');
  await terminate(message.lifecycle!, 'operator stopped it');
  expect((await view(message.id)).lifecycleEnded).toBeUndefined();

  expect((await host.adminFetch('/admin/functions/reconcile', { method: 'POST', body: '{}' })).status).toBe(202);
  await host.idle();
  const marked = await view(message.id);
  expect(marked.status).toBe('PendingApproval');
  expect(marked.lifecycleEnded).toMatchObject({ runtimeStatus: 'Terminated' });
  expect(marked.lifecycleEnded!.reason).toMatch(
    new RegExp(`^its lifecycle orchestration ${marked.lifecycle} was terminated: .*operator stopped it`),
  );

  const approve = await abe(`/api/messages/${message.id}/approve`, { body: {} });
  expect(approve.status).toBe(409);
  expect(((await approve.json()) as { detail: string }).detail).toMatch(/nothing can approve or reject it: .*terminated.*cancel it/);

  const cancelled = await ann(`/api/messages/${message.id}/cancel`, { body: {} });
  expect(cancelled.status, await cancelled.clone().text()).toBe(200);
  expect(((await cancelled.json()) as View).status).toBe('Cancelled');
  const audit = (await (await ann(`/api/messages/${message.id}/audit`)).json()) as { items: { action: string; comment?: string }[] };
  expect(audit.items[0]).toMatchObject({ action: 'cancelled', comment: expect.stringMatching(/^cancelled without its lifecycle: /) });
  expect((await ann(`/api/messages/${message.id}`, { method: 'DELETE' })).status).toBe(204);
});

test('terminated: cancel works at once, before any reconciler run', async () => {
  const message = await submitted({ kind: 'custom' });
  await terminate(message.lifecycle!, 'bad deploy');
  const cancelled = await ann(`/api/messages/${message.id}/cancel`, { body: {} });
  expect(cancelled.status, await cancelled.clone().text()).toBe(200);
  expect(((await cancelled.json()) as View).status).toBe('Cancelled');
  expect((await ann(`/api/messages/${message.id}`, { method: 'DELETE' })).status).toBe(204);
});
