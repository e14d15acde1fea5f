// The message row and its orchestration never disagree after a crash: devhost is killed (SIGKILL) while
// messages are being submitted and decided, restarted over the same storage, and every message still ends
// where its orchestration says, with one audit row per transition.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startAzurite, type TestHost } from '@herald/devhost/testing';
import { as, startHerald, TENANT_A } from './support.js';

const DAY = 86_400_000;
// Virtual time starts at the real time: tokens are minted in real time and checked against the host clock.
const T0 = Date.now();
const GROUP = '11111111-2222-3333-4444-555555555555';
let azurite: Awaited<ReturnType<typeof startAzurite>>;
let host: TestHost | undefined;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

const restart = async () => {
  host = await startHerald({
    clock: new Date(T0).toISOString(),
    storage: azurite.connectionString,
    // Messages a killed host held come back after this lease, not the 5 minutes of host.json's default.
    env: {
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout: '00:00:02',
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout: '00:00:02',
    },
  });
  return {
    ann: await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write'], '120d'),
    abe: await as(host, TENANT_A, 'abe@contoso.test', ['Messages.Approve'], '120d'),
  };
};

test('killed mid-lifecycle, restarted: every message ends consistent with its orchestration', async () => {
  let { ann, abe } = await restart();
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await ann('/api/messages', {
      body: {
        name: `Crash ${i}`,
        objective: 'announcement',
        location: 'spotlight',
        template: { kind: 'custom' },
        content: { title: 'Hello', body: 'World' },
        audience: { groups: [GROUP] },
        schedule: { start: new Date(T0 + DAY).toISOString(), end: new Date(T0 + 3 * DAY).toISOString(), frequency: 'daily' },
      },
    });
    ids.push(((await res.json()) as { id: string }).id);
  }
  // Submit all and approve the even ones without waiting for answers; kill the host part-way through.
  const inFlight = ids.flatMap((id, i) => [
    ann(`/api/messages/${id}/submit`, { body: {} })
      .then(() => (i % 2 === 0 ? abe(`/api/messages/${id}/approve`, { body: {} }) : undefined))
      .catch(() => undefined),
  ]);
  await new Promise((r) => setTimeout(r, 150));
  await host!.kill();
  await Promise.all(inFlight);

  ({ ann, abe } = await restart());
  // What the killed host held stays leased (invisible) for 2 s of real time; idle() cannot see it before then.
  await new Promise((r) => setTimeout(r, 2500));
  await host!.idle();
  // Finish what the crash interrupted: submit what is still a draft, approve the even ones still pending.
  for (const id of ids) {
    const { status } = (await (await ann(`/api/messages/${id}`)).json()) as { status: string };
    if (status === 'Draft') await ann(`/api/messages/${id}/submit`, { body: {} });
  }
  await host!.idle();
  for (const [i, id] of ids.entries()) {
    if (i % 2 !== 0) continue;
    const { status } = (await (await ann(`/api/messages/${id}`)).json()) as { status: string };
    if (status === 'PendingApproval') await abe(`/api/messages/${id}/approve`, { body: {} });
  }
  await host!.idle();
  await host!.clock.advance(4 * DAY);

  for (const [i, id] of ids.entries()) {
    const message = (await (await ann(`/api/messages/${id}`)).json()) as { status: string };
    expect(message.status, `message ${i}`).toBe(i % 2 === 0 ? 'Expired' : 'Rejected');
    const trail = ((await (await ann(`/api/messages/${id}/audit`)).json()) as { items: { action: string }[] }).items.map((a) => a.action);
    expect(trail, `message ${i}`).toEqual(
      i % 2 === 0 ? ['expired', 'started', 'approved', 'submitted', 'created'] : ['autoRejected', 'submitted', 'created'],
    );
  }
});
