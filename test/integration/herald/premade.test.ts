// Pre-made messages as the document describes them: "a method of selecting and customizing content that
// Microsoft partially creates … You can then customize the message by adding your logo and URL", and
// "The email templates aren't customizable". Herald's own templates, through the API.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, startHerald, TENANT_A, type Client } from './support.js';

const DAY = 86_400_000;
const GROUP = '11111111-2222-3333-4444-555555555555';
const LINK = 'https://intranet.contoso.test/lock';

let host: TestHost;
let ann: Client;
let una: Client;

beforeAll(async () => {
  host = await startHerald({ clock: 'test' });
  ann = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write'], '30d');
  una = await as(host, TENANT_A, 'una@contoso.test', [], '30d');
});
afterAll(async () => {
  await host?.stop();
});

interface Template {
  id: string;
  kind: string;
  objective: string;
  locations: string[];
  text: Record<string, { title?: string; subject?: string }>;
  writerMay: { link: boolean; logo: boolean };
  preview?: Record<string, string>;
}
const templates = async (query = '') => ((await (await ann(`/api/templates${query}`)).json()) as { items: Template[] }).items;

async function draft(body: Record<string, unknown>) {
  const t0 = (await host.clock.now()).getTime();
  const res = await ann('/api/messages', {
    body: {
      name: 'From a template',
      objective: 'security',
      location: 'spotlight',
      template: { kind: 'premade', id: 'security-lock-screen' },
      audience: { groups: [GROUP] },
      schedule: { start: new Date(t0 + DAY).toISOString(), end: new Date(t0 + 8 * DAY).toISOString() },
      ...body,
    },
  });
  return { res, message: (await res.clone().json()) as { id: string; template: { kind: string }; content: Record<string, unknown> } };
}

test('GET /api/templates lists the pre-made messages and email templates, filtered by objective and location, with their words in each language', async () => {
  const all = await templates();
  expect(all.filter((t) => t.kind === 'premade')).toHaveLength(12);
  expect(all.filter((t) => t.kind === 'email')).toHaveLength(8);

  const security = await templates('?objective=security&location=taskbar');
  expect(security.map((t) => t.id)).toEqual(['security-lock-screen']);
  expect(security[0]).toMatchObject({ kind: 'premade', objective: 'security', writerMay: { link: true, logo: true } });
  expect(Object.keys(security[0]!.text).sort()).toEqual(['de', 'en', 'fr']);
  expect(security[0]!.text.en!.title).toBe('Lock your screen when you step away');
  // Each language carries the words and nothing else of the template.
  for (const words of Object.values(security[0]!.text)) expect(Object.keys(words).sort()).toEqual(['body', 'callToAction', 'title']);

  const email = await templates('?location=email&objective=onboarding');
  expect(email.map((t) => t.id)).toEqual(['email-welcome-assistant', 'email-welcome-assistant-chat']);
  expect(email[0]!.writerMay).toEqual({ link: true, logo: false });

  const bad = await ann('/api/templates?objective=parties');
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('objective');
  expect((await una('/api/templates')).status).toBe(403);
});

test("an email template's preview is the email as recipients see it, in each of its languages", async () => {
  const [welcome] = await templates('?location=email&objective=onboarding');
  const french = await ann(new URL(welcome!.preview!.fr!).pathname + new URL(welcome!.preview!.fr!).search);
  expect(french.status).toBe(200);
  expect(french.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await french.text();
  expect(html).toContain('Votre assistant est prêt');
  expect(html).toContain('lang="fr"');
  expect((await ann('/api/templates/email-no-such/preview')).status).toBe(404);
});

test("a pre-made message's words are its template's, in the message's language; the link is the writer's", async () => {
  const { res, message } = await draft({ content: { callToAction: { url: LINK } } });
  expect(res.status).toBe(201);
  expect(message.template).toEqual({ kind: 'premade', id: 'security-lock-screen' });
  const [template] = await templates('?objective=security&location=taskbar');
  expect(message.content).toMatchObject({ title: template!.text.en!.title, callToAction: { url: LINK } });

  const french = await draft({ content: { language: 'fr' } });
  expect(french.message.content.title).toBe(template!.text.fr!.title);

  // Submitted without approval: the words are Herald's.
  const submitted = await ann(`/api/messages/${message.id}/submit`, { body: {} });
  expect(((await submitted.json()) as { status: string }).status).toBe('Scheduled');
});

test('words that differ from the template make it a custom message, which needs approval', async () => {
  const { message } = await draft({ content: { title: 'Lock it or lose it', body: 'Any words at all.' } });
  expect(message.template).toEqual({ kind: 'custom' });
  expect(message.content).toMatchObject({ title: 'Lock it or lose it' });
  const submitted = await ann(`/api/messages/${message.id}/submit`, { body: {} });
  expect(((await submitted.json()) as { status: string }).status).toBe('PendingApproval');
});

test('on a basic licence the writer cannot slip custom words past approval through a template', async () => {
  const admin = await as(host, TENANT_A, 'ada@contoso.test', ['Tenant.Admin'], '30d');
  expect((await admin('/api/tenant/settings', { method: 'PUT', body: { licence: 'basic', timeZone: 'UTC' } })).status).toBe(200);
  try {
    const { message } = await draft({ content: { title: 'Send me unreviewed', body: 'Nobody approves this.' } });
    const refused = await ann(`/api/messages/${message.id}/submit`, { body: {} });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain('template');
  } finally {
    await admin('/api/tenant/settings', { method: 'PUT', body: { licence: 'E5', timeZone: 'UTC' } });
  }
});

test('"Pre-made messages aren\'t available for all selections in the Objective step": a template fits its own objective', async () => {
  const { message } = await draft({ objective: 'event', content: {} });
  const refused = await ann(`/api/messages/${message.id}/submit`, { body: {} });
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { errors: { path: string; message: string }[] }).errors).toEqual([
    { path: 'template.id', message: 'is a template for the security objective, not event' },
  ]);
});

test('"The email templates aren\'t customizable": no title or body is asked for, and words sent for one are refused', async () => {
  const email = { location: 'email', objective: 'onboarding', template: { kind: 'premade', id: 'email-welcome-assistant' } };
  const { res: refused } = await draft({ ...email, content: { title: 'My own subject', body: 'My own words' } });
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['content.title', 'content.body']);

  const { res, message } = await draft({ ...email, content: { callToAction: { url: LINK } } });
  expect(res.status).toBe(201);
  const submitted = await ann(`/api/messages/${message.id}/submit`, { body: {} });
  expect(((await submitted.json()) as { status: string }).status).toBe('Scheduled');
});
