// Delivery that cannot succeed ends recorded, never silently: an audience the directory refuses ends its
// occurrence as failed (through the resolve queue's poison queue), and a batch that reaches the delivery
// poison queue has every recipient it had not reached recorded as failed with the reason.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, startHerald } from './support.js';
import { delivery, newTenant, publish, putDirectory, SALES } from './deliverySupport.js';

let host: TestHost;
beforeAll(async () => {
  // Nothing consumes deliver-teams here, so the test can hand its batches to the poison queue itself,
  // as the host does after maxDequeueCount failed attempts.
  host = await startHerald({ clock: 'test', env: { AzureWebJobs_deliverTeams_Disabled: 'true' } });
});
afterAll(async () => {
  await host?.stop();
});

const team = async (tenant: string) => ({
  writer: await as(host, tenant, 'wendy@contoso.test', ['Messages.Write'], '400d'),
  approver: await as(host, tenant, 'abe@contoso.test', ['Messages.Approve'], '400d'),
});

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('an audience the directory cannot resolve ends the occurrence as failed, with the reason', async () => {
  const tenant = newTenant(); // no directory loaded: Graph answers 403 for this tenant
  const t = await team(tenant);
  const id = await publish(host, t, {});
  const d = await until(
    () => delivery(t.writer, id),
    (v) => v.occurrences[0]?.state === 'failed',
  );
  expect(d.occurrences[0]).toMatchObject({ state: 'failed', reason: expect.stringMatching(/could not be resolved/) });
  expect(host.output()).toMatch(/resolveAudiencePoison/);
});

test('a batch on the poison queue: everyone not yet reached is recorded as failed, and the message is told', async () => {
  const tenant = newTenant();
  await putDirectory(host, tenant);
  const t = await team(tenant);
  const id = await publish(host, t, { audience: { groups: [SALES] } });
  const batches = await until(
    () => host.queue.peek('deliver-teams'),
    (v) => v.length > 0,
  );
  expect(batches).toHaveLength(1);
  const [batch] = await host.queue.drain('deliver-teams');
  await host.queue.send('deliver-teams-poison', batch);
  const d = await until(
    () => delivery(t.writer, id),
    (v) => v.occurrences[0]?.state === 'done',
  );
  expect(d.occurrences[0]).toMatchObject({ recipients: 3, sent: 0, failed: 3, pending: 0 });
  const failed = (await (await t.writer(`/api/messages/${id}/delivery/recipients?status=failed`)).json()) as {
    items: { reason: string }[];
  };
  expect(failed.items.map((r) => r.reason)).toEqual(Array(3).fill('delivery kept failing and was given up (poison queue)'));
  // The occurrence is over, so the once-only message is Delivered (with its failures on record).
  await host.idle();
  expect(((await (await t.writer(`/api/messages/${id}`)).json()) as { status: string }).status).toBe('Delivered');
});
