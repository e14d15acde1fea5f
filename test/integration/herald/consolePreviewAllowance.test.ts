// The two answers the console shows before anything goes out: a message's email as Herald's own templates
// render it, in each of its languages (GET /api/messages/{id}/preview), and what is left of the hourly
// notification allowance (GET /api/notifications/allowance), counted from the rows the send itself admits against.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { startInboxHerald } from './inboxSupport.js';
import { expectProblem, groupSend, org } from './notificationsSupport.js';
import { as, TENANT_A, TENANT_B, type Client } from './support.js';

const DAY = 86_400_000;
const MINUTE = 60_000;
const GROUP = '11111111-2222-3333-4444-555555555555';
const LINK = 'https://intranet.contoso.test/assistant';

let host: TestHost;
let ann: Client;

beforeAll(async () => {
  host = await startInboxHerald();
  ann = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write'], '30d');
});
afterAll(async () => {
  await host?.stop();
});

async function draft(body: Record<string, unknown>): Promise<string> {
  const t0 = (await host.clock.now()).getTime();
  const res = await ann('/api/messages', {
    body: {
      name: 'Preview me',
      audience: { groups: [GROUP] },
      schedule: { start: new Date(t0 + DAY).toISOString(), end: new Date(t0 + 8 * DAY).toISOString() },
      ...body,
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

test("a message's email preview is its template rendered in the language asked for, greeting the reader, linking to the message's link", async () => {
  const id = await draft({
    location: 'email',
    objective: 'onboarding',
    template: { kind: 'premade', id: 'email-welcome-assistant' },
    content: { callToAction: { url: LINK } },
  });
  const german = await ann(`/api/messages/${id}/preview?channel=email&language=de`);
  expect(german.status, await german.clone().text()).toBe(200);
  expect(german.headers.get('content-type')).toMatch(/^text\/html/);
  expect(german.headers.get('content-language')).toBe('de');
  const html = await german.text();
  expect(html).toContain('lang="de"');
  expect(html).toContain(LINK);
  expect(html).not.toContain('Your assistant is ready');

  const english = await (await ann(`/api/messages/${id}/preview`)).text();
  expect(english).toContain('Your assistant is ready');
  expect(english).toContain('lang="en"');

  // A language the template lacks: the template's own, and the header says so.
  const japanese = await ann(`/api/messages/${id}/preview?language=ja`);
  expect(japanese.headers.get('content-language')).toBe('en');
});

test('the preview refuses what it cannot show, naming the field; a message of another organisation is not found', async () => {
  const spotlight = await draft({
    location: 'spotlight',
    objective: 'security',
    template: { kind: 'premade', id: 'security-lock-screen' },
  });
  const notEmail = await expectProblem(await ann(`/api/messages/${spotlight}/preview`), 404);
  expect(notEmail.detail).toMatch(/does not go by email/);
  await expectProblem(await ann(`/api/messages/${spotlight}/preview?channel=teams`), 400, 'channel');
  await expectProblem(await ann(`/api/messages/${spotlight}/preview?language=not_a_tag`), 400, 'language');

  const email = await draft({ location: 'email', objective: 'onboarding', template: { kind: 'premade', id: 'email-welcome-assistant' } });
  const stranger = await as(host, TENANT_B, 'bea@contoso.test', ['Messages.Write']);
  await expectProblem(await stranger(`/api/messages/${email}/preview`), 404);
  const reader = await as(host, TENANT_A, 'rob@contoso.test', ['Reports.Read']);
  expect((await reader(`/api/messages/${email}/preview`)).status).toBe(403);
});

test('the allowance drops with each group send, is the one the 26th send meets, and frees as the hour slides', async () => {
  const o = await org(host, ['una'], { quiet: [] });
  const allowance = async () =>
    ((await (await o.sender('/api/notifications/allowance')).json()) as { groups: { limit: number; remaining: number; freesAt?: string } })
      .groups;
  expect(await allowance()).toEqual({ limit: 25, remaining: 25 });

  const first = (await host.clock.now()).getTime();
  await groupSend(o.sender, [o.group('quiet')]);
  const after = await allowance();
  expect(after.remaining).toBe(24);
  expect(Date.parse(after.freesAt!)).toBeGreaterThanOrEqual(first + 60 * MINUTE);

  await host.clock.advance(10 * MINUTE);
  for (let i = 0; i < 24; i++) await groupSend(o.sender, [o.group('quiet')]);
  expect((await allowance()).remaining).toBe(0);
  await expectProblem(await o.sender('/api/notifications', { body: { title: 'Hi', body: 'There', groups: [o.group('quiet')] } }), 429);

  // The first send leaves the hour: one more is allowed, and shown.
  await host.clock.advance(51 * MINUTE);
  expect((await allowance()).remaining).toBe(1);

  // A device's own limit, on request; a device id that is not one is refused on its field.
  const withDevice = (await (await o.sender(`/api/notifications/allowance?deviceId=${'a'.repeat(32)}`)).json()) as {
    device: { limit: number; remaining: number };
  };
  expect(withDevice.device).toEqual({ limit: 10, remaining: 10 });
  await expectProblem(await o.sender('/api/notifications/allowance?deviceId=nope'), 400, 'deviceId');

  // Writers do not send notifications: the allowance is not theirs to read.
  expect((await ann('/api/notifications/allowance')).status).toBe(403);
});
