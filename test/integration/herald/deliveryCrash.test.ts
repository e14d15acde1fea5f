// Never a second Teams notification, whatever crashes: devhost is killed (SIGKILL) again and again while a
// 20,000-recipient Teams message is resolved and sent, restarted over the same storage and the same
// stand-in state, and at the end nobody has had two notifications, every delivery row is sent or — for a
// request in flight at a kill, which Graph cannot tell from a repeat — unconfirmed, and only those can
// have missed it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startAzurite, type TestHost } from '@herald/devhost/testing';
import { as, startHerald, type Client } from './support.js';
import { ALL_STAFF, crowd, delivered, newTenant, status, teamsFeed } from './deliverySupport.js';

const RECIPIENTS = 20_000;
const KILLS = 4;
const tenant = newTenant();
const stateDir = mkdtempSync(join(tmpdir(), 'herald-crash-standins-'));
let azurite: Awaited<ReturnType<typeof startAzurite>>;
let host: TestHost | undefined;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

async function restart(): Promise<Client> {
  host = await startHerald({
    storage: azurite.connectionString,
    env: {
      DEVHOST_STANDINS_DIR: stateDir,
      // What a killed host held comes back after seconds, not the production leases' minutes.
      DEVHOST_QUEUE_LEASE_SECONDS: '2',
      DELIVERY_LEASE_SECONDS: '2',
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout: '00:00:02',
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout: '00:00:02',
      // Paced so the send lasts long enough to be killed several times in the middle.
      TEAMS_REQUESTS_PER_SECOND: '25',
    },
  });
  return as(host, tenant, 'wendy@contoso.test', ['Messages.Write', 'Messages.Approve', 'Reports.Read'], '1d');
}

test(`killed ${KILLS} times during a ${RECIPIENTS}-recipient Teams send: nobody gets two notifications`, { timeout: 300_000 }, async () => {
  let writer = await restart();
  const { approver } = await crowd(host!, tenant, RECIPIENTS);

  const start = Date.now() + 4000;
  const created = await writer('/api/messages', {
    body: {
      name: 'Crash test',
      objective: 'announcement',
      location: 'teams',
      template: { kind: 'custom' },
      content: { title: 'All hands', body: 'Friday at 10:00 in the atrium.' },
      audience: { groups: [ALL_STAFF] },
      schedule: { start: new Date(start).toISOString(), end: new Date(start + 86_400_000).toISOString(), frequency: 'once' },
    },
  });
  const { id } = (await created.json()) as { id: string };
  expect((await writer(`/api/messages/${id}/submit`, { body: {} })).status).toBe(200);
  expect((await approver(`/api/messages/${id}/approve`, { body: {} })).status).toBe(200);
  await new Promise((r) => setTimeout(r, Math.max(0, start - Date.now())));

  // The stand-in's counters only (no entries): the feed of one user nobody is.
  const received = async () =>
    (
      (await (await host!.fetch(`/devhost/graph/_control/teams/feed?tenant=${tenant}&user=nobody`)).json()) as {
        stats: { notifications: number };
      }
    ).stats.notifications;
  // Each kill waits until the restarted host has sent more, then strikes at a random moment of the send.
  const receivedAtKills: number[] = [];
  for (let kill = 0, last = 0; kill < KILLS; kill++) {
    for (let waited = 0; (await received()) <= last && waited < 60_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 700));
    last = await received();
    if (last >= RECIPIENTS) break;
    receivedAtKills.push(last);
    await host!.kill();
    writer = await restart();
  }
  // The kills landed mid-send, or this test would prove nothing.
  expect(
    receivedAtKills.filter((n) => n > 0 && n < RECIPIENTS).length,
    `notifications received at each kill: ${receivedAtKills}`,
  ).toBeGreaterThanOrEqual(2);
  const done = (await delivered(writer, id, 0, 240_000)) as Awaited<ReturnType<typeof delivered>> & { unconfirmed: number };
  expect(done).toMatchObject({ recipients: RECIPIENTS, failed: 0, pending: 0, cancelled: 0 });
  expect(done.sent + done.unconfirmed).toBe(RECIPIENTS);
  await host!.idle();
  expect(await status(writer, id)).toBe('Delivered');

  const feed = await teamsFeed(host!, tenant);
  const perUser = new Map<string, number>();
  for (const e of feed.entries) perUser.set(e.userId, (perUser.get(e.userId) ?? 0) + 1);
  expect([...perUser.values()].every((n) => n === 1)).toBe(true);
  expect(new Set(feed.entries.map((e) => e.chainId)).size).toBe(1);
  // Nothing was sent twice: no notification replaced another one, which would have alerted its person again.
  expect(feed.stats.replaced).toBe(0);
  expect(feed.stats.notifications).toBe(perUser.size);
  // Everyone the API calls sent has it; whoever has none is one of those it calls unconfirmed.
  expect(perUser.size).toBeGreaterThanOrEqual(done.sent);
  expect(RECIPIENTS - perUser.size).toBeLessThanOrEqual(done.unconfirmed);
  // The report counters went through the same kills: every confirmed delivery counted, none twice.
  const { activity } = (await (await writer(`/api/messages/${id}`)).json()) as { activity: Record<string, number> };
  expect(activity).toMatchObject({ delivered: done.sent, failed: 0 });
});
