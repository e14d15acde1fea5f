// Herald as a newcomer runs it: a random port, the committed local.settings.sample.json and nothing else —
// every endpoint (issuer, Graph, ACS, push) is what devhost supplies for that port. The sample organisation's
// groups and users are read from the Graph stand-in's control API; a Teams message and an email reach the
// group's people, a custom notification reaches a phone, and the message names its orchestration.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SAMPLE_TENANT_ID } from '@herald/devhost/testing';
import { startHost, type TestHost } from '@herald/devhost/testing';
import { delivered, emailsTo, teamsFeed } from './deliverySupport.js';
import { AUDIENCE, type Client } from './support.js';

const MINUTE = 60_000;

interface Listing {
  groups: { id: string; displayName: string; members: { kind: string; id: string }[] }[];
  users: { id: string; userPrincipalName: string; mail: string | null; userType: string; accountEnabled: boolean }[];
}

let host: TestHost;
let listing: Listing;
beforeAll(async () => {
  host = await startHost({ app: '.', settings: 'local.settings.sample.json', clock: 'test' });
  listing = (await (await host.fetch(`/devhost/graph/_control/tenants/${SAMPLE_TENANT_ID}/directory`)).json()) as Listing;
});
afterAll(async () => {
  await host?.stop();
});

/** The people a group reaches as Herald counts them: nested groups followed, guests and disabled accounts left out. */
function reached(groupId: string): Listing['users'] {
  const ids = new Set<string>();
  const walk = (id: string, seen: Set<string>) => {
    for (const m of listing.groups.find((g) => g.id === id)?.members ?? []) {
      if (m.kind === 'user') ids.add(m.id);
      if (m.kind === 'group' && !seen.has(m.id)) walk(m.id, seen.add(m.id));
    }
  };
  walk(groupId, new Set([groupId]));
  return listing.users.filter((u) => ids.has(u.id) && u.userType === 'Member' && u.accountEnabled);
}

async function as(user: string, roles: string[]): Promise<Client> {
  const token = await host.token({ tenant: SAMPLE_TENANT_ID, user, roles, audience: AUDIENCE, expiresIn: '30d' });
  return (path, init = {}) =>
    host.fetch(path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
}

async function json<T>(res: Response, status: number): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}

test('on a random port with only the sample settings: a Teams message and an email reach the group, a notification reaches the phone', async () => {
  expect(host.url).not.toBe('http://localhost:7071');
  expect(host.output()).toContain('Settings: local.settings.sample.json');
  const group = listing.groups
    .filter((g) => reached(g.id).length >= 2 && reached(g.id).every((u) => u.mail))
    .sort((a, b) => reached(a.id).length - reached(b.id).length)[0]!;
  const people = reached(group.id);
  const [writerUpn, approverUpn] = listing.users.filter((u) => u.userType === 'Member' && u.accountEnabled).map((u) => u.userPrincipalName);
  const writer = await as(writerUpn!, ['Messages.Write', 'Notifications.Send.Device']);
  const approver = await as(approverUpn!, ['Messages.Approve']);

  const now = (await host.clock.now()).getTime();
  const schedule = { start: new Date(now + 2 * MINUTE).toISOString(), end: new Date(now + 7 * 24 * 60 * MINUTE).toISOString() };
  const teams = await json<{ id: string }>(
    await writer('/api/messages', {
      body: {
        name: 'Town hall',
        objective: 'announcement',
        location: 'teams',
        template: { kind: 'custom' },
        content: {
          title: 'Town hall on Thursday',
          body: 'Bring your questions.',
          callToAction: { label: 'Agenda', url: 'https://intranet.contoso.test/town-hall' },
        },
        audience: { groups: [group.id] },
        schedule,
      },
    }),
    201,
  );
  expect((await json<{ status: string }>(await writer(`/api/messages/${teams.id}/submit`, { method: 'POST' }), 200)).status).toBe(
    'PendingApproval',
  );
  expect((await json<{ status: string }>(await approver(`/api/messages/${teams.id}/approve`, { method: 'POST' }), 200)).status).toBe(
    'Scheduled',
  );

  const email = await json<{ id: string }>(
    await writer('/api/messages', {
      body: {
        name: 'Meet your assistant',
        objective: 'onboarding',
        location: 'email',
        template: { kind: 'premade', id: 'email-welcome-assistant' },
        content: { callToAction: { url: 'https://intranet.contoso.test/assistant' } },
        audience: { groups: [group.id] },
        schedule,
      },
    }),
    201,
  );
  expect((await json<{ status: string }>(await writer(`/api/messages/${email.id}/submit`, { method: 'POST' }), 200)).status).toBe(
    'Scheduled',
  );

  const view = await json<{ lifecycle?: string }>(await writer(`/api/messages/${teams.id}`), 200);
  expect(view.lifecycle).toMatch(new RegExp(`^msg-${SAMPLE_TENANT_ID}-${teams.id}-v\\d+$`));
  const instance = await json<{ runtimeStatus: string }>(
    await host.fetch(`/runtime/webhooks/durabletask/instances/${view.lifecycle}`),
    202,
  );
  expect(instance.runtimeStatus).toBe('Running');

  await host.clock.set(Date.parse(schedule.start));
  expect(await delivered(writer, teams.id)).toMatchObject({ recipients: people.length, sent: people.length, failed: 0 });
  expect(await delivered(writer, email.id)).toMatchObject({ recipients: people.length, sent: people.length, failed: 0 });
  const feed = await teamsFeed(host, SAMPLE_TENANT_ID);
  expect(feed.entries.map((e) => e.userId).sort()).toEqual(people.map((u) => u.id).sort());
  expect(feed.entries[0]!.topic.webUrl).toMatch(new RegExp(`^${host.url}/api/r/`));
  for (const person of people) {
    const [got] = await emailsTo(host, person.mail!);
    expect(got?.subject).toBe('Meet your AI assistant at work');
  }

  const pushToken = `fcm:${randomBytes(24).toString('base64url')}`;
  const device = await json<{ id: string }>(
    await writer('/api/devices', { body: { platform: 'android', pushToken, appVersion: '5.1', enrolled: true } }),
    201,
  );
  const sent = await json<{ id: string }>(
    await writer('/api/notifications', { body: { title: 'Your laptop is ready', body: 'Collect it at the desk.', deviceId: device.id } }),
    202,
  );
  for (let deadline = Date.now() + 30_000; ;) {
    const n = await json<{ status: string; sent: number }>(await writer(`/api/notifications/${sent.id}`), 200);
    if (n.status === 'done') {
      expect(n.sent).toBe(1);
      break;
    }
    expect(Date.now()).toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 100));
  }
  const received = await json<{ notifications: { token: string; title: string }[] }>(
    await host.fetch(`/devhost/push/_control/received?platform=fcm&token=${encodeURIComponent(pushToken)}`),
    200,
  );
  expect(received.notifications.map((n) => n.title)).toEqual(['Your laptop is ready']);
  expect(host.push.port).not.toBe(7443);
});
