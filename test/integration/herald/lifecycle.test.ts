// The lifecycle orchestration end to end: submit, approve or reject, auto-rejection at the end date,
// scheduled start, expiry and cancel — through the API, the durable engine and the test clock.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, startHerald, TENANT_A, type Client } from './support.js';

const DAY = 86_400_000;
const GROUP = '11111111-2222-3333-4444-555555555555';

let host: TestHost;
let ann: Client; // writer
let abe: Client; // approver
let amy: Client; // approver
let t0: number;
beforeAll(async () => {
  host = await startHerald({ clock: 'test' });
  // Tokens outlive the weeks the test clock skips.
  ann = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write', 'Messages.Approve'], '120d');
  abe = await as(host, TENANT_A, 'abe@contoso.test', ['Messages.Approve'], '120d');
  amy = await as(host, TENANT_A, 'amy@contoso.test', ['Messages.Approve'], '120d');
});
afterAll(async () => {
  await host?.stop();
});

async function draft(overrides: Record<string, unknown> = {}): Promise<string> {
  t0 = (await host.clock.now()).getTime();
  const res = await ann('/api/messages', {
    body: {
      name: 'Quarterly security reminder',
      objective: 'security',
      location: 'spotlight',
      template: { kind: 'custom' },
      content: { title: 'Lock your screen', body: 'Press Win+L when you step away.' },
      audience: { groups: [GROUP] },
      schedule: { start: new Date(t0 + DAY).toISOString(), end: new Date(t0 + 8 * DAY).toISOString(), frequency: 'weekly' },
      ...overrides,
    },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const status = async (id: string) => ((await (await ann(`/api/messages/${id}`)).json()) as { status: string }).status;
const audit = async (id: string) =>
  ((await (await ann(`/api/messages/${id}/audit`)).json()) as { items: { action: string; by: { upn: string }; comment?: string }[] }).items;

test('custom message: submit → pending, approve → scheduled, start → active, end → expired', async () => {
  const id = await draft();
  const submitted = await ann(`/api/messages/${id}/submit`, { body: {} });
  expect(submitted.status).toBe(200);
  expect(((await submitted.json()) as { status: string }).status).toBe('PendingApproval');

  const own = await ann(`/api/messages/${id}/approve`, { body: {} });
  expect(own.status).toBe(403);

  const approved = await abe(`/api/messages/${id}/approve`, { body: { comment: 'looks good' } });
  expect(approved.status).toBe(200);
  expect(((await approved.json()) as { status: string }).status).toBe('Scheduled');

  await host.clock.advance(DAY);
  expect(await status(id)).toBe('Active');
  await host.clock.advance(7 * DAY);
  expect(await status(id)).toBe('Expired');
  expect((await audit(id)).map((a) => a.action)).toEqual(['expired', 'started', 'approved', 'submitted', 'created']);
  expect((await audit(id)).find((a) => a.action === 'approved')).toMatchObject({ by: { upn: 'abe@contoso.test' }, comment: 'looks good' });
});

test('reject needs a comment; a rejected message records who and why', async () => {
  const id = await draft();
  await ann(`/api/messages/${id}/submit`, { body: {} });
  const bare = await abe(`/api/messages/${id}/reject`, { body: {} });
  expect(bare.status).toBe(400);
  expect(((await bare.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('comment');
  const rejected = await abe(`/api/messages/${id}/reject`, { body: { comment: 'wrong audience' } });
  expect(((await rejected.json()) as { status: string }).status).toBe('Rejected');
  expect((await audit(id))[0]).toMatchObject({ action: 'rejected', comment: 'wrong audience' });
});

test('nobody reviews it before the end date → rejected automatically', async () => {
  const id = await draft();
  await ann(`/api/messages/${id}/submit`, { body: {} });
  await host.clock.advance(8 * DAY);
  expect(await status(id)).toBe('Rejected');
  expect((await audit(id))[0]).toMatchObject({ action: 'autoRejected', by: { upn: 'herald' } });
});

test('two approvers at once: exactly one wins, the other gets 409', async () => {
  const id = await draft();
  await ann(`/api/messages/${id}/submit`, { body: {} });
  const answers = await Promise.all([
    abe(`/api/messages/${id}/approve`, { body: {} }),
    amy(`/api/messages/${id}/reject`, { body: { comment: 'no' } }),
  ]);
  expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
  expect(['Scheduled', 'Rejected']).toContain(await status(id));
});

test('the same approver approving 20 times at once: one 200, nineteen 409s naming who decided; approved once', async () => {
  const id = await draft();
  await ann(`/api/messages/${id}/submit`, { body: {} });
  const answers = await Promise.all(Array.from({ length: 20 }, () => abe(`/api/messages/${id}/approve`, { body: {} })));
  expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array<number>(19).fill(409)]);
  const refused = (await answers.find((a) => a.status === 409)!.json()) as { detail: string };
  expect(refused.detail).toMatch(/already approved by abe@contoso\.test at /);
  expect(await status(id)).toBe('Scheduled');
  expect((await audit(id)).filter((a) => a.action === 'approved')).toHaveLength(1);
  // Asked again later: the same answer.
  expect((await abe(`/api/messages/${id}/approve`, { body: {} })).status).toBe(409);
});

test('a decision raised straight through the Durable API changes nothing: the message stays PendingApproval', async () => {
  const id = await draft();
  await ann(`/api/messages/${id}/submit`, { body: {} });
  const { lifecycle } = (await (await ann(`/api/messages/${id}`)).json()) as { lifecycle: string };
  const forged = [{ approve: true, by: { id: 'mallory', upn: 'mallory@contoso.test', name: 'Mallory' } }, { decisionId: 'guessed' }];
  for (const body of forged) {
    const raised = await host.fetch(`/runtime/webhooks/durabletask/instances/${lifecycle}/raiseEvent/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(raised.status).toBe(202);
  }
  await host.idle();
  expect(await status(id)).toBe('PendingApproval');
  expect((await audit(id)).map((a) => a.action)).toEqual(['submitted', 'created']);
  const instance = (await (await host.fetch(`/runtime/webhooks/durabletask/instances/${lifecycle}`)).json()) as { runtimeStatus: string };
  expect(instance.runtimeStatus).toBe('Running');

  // The approve endpoint still works, and what it applies is the recorded decision.
  const approved = await abe(`/api/messages/${id}/approve`, { body: { comment: 'fine' } });
  expect(approved.status).toBe(200);
  expect(((await approved.json()) as { status: string }).status).toBe('Scheduled');
  expect((await audit(id))[0]).toMatchObject({ action: 'approved', by: { upn: 'abe@contoso.test' }, comment: 'fine' });
});

test('transitions that do not fit the status are refused with 409; cancel stops a scheduled message', async () => {
  const id = await draft();
  const early = await abe(`/api/messages/${id}/approve`, { body: {} });
  expect(early.status).toBe(409);
  expect(((await early.json()) as { detail: string }).detail).toMatch(/Draft/);
  const incomplete = await draft({ content: { title: 'no body yet' } });
  const invalid = await ann(`/api/messages/${incomplete}/submit`, { body: {} });
  expect(invalid.status).toBe(400);
  expect(((await invalid.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain('content.body');

  await ann(`/api/messages/${id}/submit`, { body: {} });
  await abe(`/api/messages/${id}/approve`, { body: {} });
  const cancelled = await ann(`/api/messages/${id}/cancel`, { body: {} });
  expect(((await cancelled.json()) as { status: string }).status).toBe('Cancelled');
  await host.clock.advance(2 * DAY);
  expect(await status(id)).toBe('Cancelled');
});

test('a rejected message is withdrawn to Draft, edited and submitted again as a new submission', async () => {
  const id = await draft();
  await ann(`/api/messages/${id}/submit`, { body: {} });
  await abe(`/api/messages/${id}/reject`, { body: { comment: 'say who to ask' } });
  const withdrawn = await ann(`/api/messages/${id}/withdraw`, { body: {} });
  expect(((await withdrawn.json()) as { status: string }).status).toBe('Draft');
  const etag = withdrawn.headers.get('etag')!;
  const edited = await ann(`/api/messages/${id}`, {
    method: 'PATCH',
    headers: { 'if-match': etag },
    body: { content: { title: 'Lock your screen', body: 'Press Win+L. Questions? Ask the service desk.' } },
  });
  expect(edited.status).toBe(200);
  const again = await ann(`/api/messages/${id}/submit`, { body: {} });
  expect(((await again.json()) as { status: string }).status).toBe('PendingApproval');
  const approved = await abe(`/api/messages/${id}/approve`, { body: {} });
  expect(((await approved.json()) as { status: string }).status).toBe('Scheduled');
  expect((await audit(id)).map((a) => a.action).slice(0, 6)).toEqual([
    'approved',
    'submitted',
    'modified',
    'withdrawn',
    'rejected',
    'submitted',
  ]);
});

test('copy makes a new draft with the same content', async () => {
  const id = await draft();
  const res = await ann(`/api/messages/${id}/copy`, { body: {} });
  expect(res.status).toBe(201);
  const copy = (await res.json()) as { id: string; status: string; name: string; content: { title: string } };
  expect(copy).toMatchObject({ status: 'Draft', name: 'Copy of Quarterly security reminder', content: { title: 'Lock your screen' } });
  expect(copy.id).not.toBe(id);
  expect(res.headers.get('location')).toMatch(new RegExp(`/api/messages/${copy.id}$`));
});

test('urgent: Taskbar or Notifications, groups only, no dates — sent at once and delivered', async () => {
  const wrong = await draft({ urgent: true, location: 'spotlight', schedule: undefined });
  const refused = await ann(`/api/messages/${wrong}/send`, { body: {} });
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['location']);
  expect((await ann(`/api/messages/${wrong}/submit`, { body: {} })).status).toBe(409);

  const premade = await draft({
    urgent: true,
    location: 'taskbar',
    schedule: undefined,
    template: { kind: 'premade', id: 'security-lock-screen' },
    content: {},
  });
  const sent = await ann(`/api/messages/${premade}/send`, { body: {} });
  expect(sent.status).toBe(200);
  await host.idle();
  expect(await status(premade)).toBe('Delivered');
  expect((await audit(premade)).map((a) => a.action)).toEqual(['delivered', 'sent', 'created']);
});

test('urgent custom content is reviewed first: sent for approval, delivered at once when approved, auto-rejected after a day unreviewed', async () => {
  const id = await draft({ urgent: true, location: 'taskbar', schedule: undefined });
  const sent = await ann(`/api/messages/${id}/send`, { body: {} });
  expect(((await sent.json()) as { status: string }).status).toBe('PendingApproval');
  const approved = await abe(`/api/messages/${id}/approve`, { body: {} });
  expect(approved.status).toBe(200);
  await host.idle();
  expect(await status(id)).toBe('Delivered');
  expect((await audit(id)).map((a) => a.action)).toEqual(['delivered', 'approved', 'sent', 'created']);

  const ignored = await draft({ urgent: true, location: 'notificationCenter', schedule: undefined });
  await ann(`/api/messages/${ignored}/send`, { body: {} });
  await host.clock.advance(DAY + 60_000);
  await host.idle();
  expect(await status(ignored)).toBe('Rejected');
  expect((await audit(ignored))[0]).toMatchObject({ action: 'autoRejected', by: { id: 'herald' } });
});

test('cancel at every stage: pending approval, scheduled and active all end Cancelled and stay so', async () => {
  const pending = await draft();
  await ann(`/api/messages/${pending}/submit`, { body: {} });
  expect(((await (await ann(`/api/messages/${pending}/cancel`, { body: {} })).json()) as { status: string }).status).toBe('Cancelled');

  const active = await draft();
  await ann(`/api/messages/${active}/submit`, { body: {} });
  await abe(`/api/messages/${active}/approve`, { body: {} });
  await host.clock.advance(DAY);
  expect(await status(active)).toBe('Active');
  expect(((await (await ann(`/api/messages/${active}/cancel`, { body: {} })).json()) as { status: string }).status).toBe('Cancelled');

  await host.clock.advance(8 * DAY);
  expect(await status(pending)).toBe('Cancelled');
  expect(await status(active)).toBe('Cancelled');
  expect((await ann(`/api/messages/${active}/cancel`, { body: {} })).status).toBe(409);
  expect((await audit(active)).map((a) => a.action)).toEqual(['cancelled', 'started', 'approved', 'submitted', 'created']);
});

test('pre-made messages need no approval: submit goes straight to Scheduled (email takes its pre-made templates only)', async () => {
  const premade = await draft({ template: { kind: 'premade', id: 'security-lock-screen' }, content: {} });
  const res = await ann(`/api/messages/${premade}/submit`, { body: {} });
  expect(((await res.json()) as { status: string }).status).toBe('Scheduled');

  const unknown = await draft({ template: { kind: 'premade', id: 'no-such-template' } });
  const refused = await ann(`/api/messages/${unknown}/submit`, { body: {} });
  expect(((await refused.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['template.id']);

  const email = await draft({
    location: 'email',
    objective: 'onboarding',
    template: { kind: 'premade', id: 'email-welcome-assistant' },
    content: {},
  });
  expect(((await (await ann(`/api/messages/${email}/submit`, { body: {} })).json()) as { status: string }).status).toBe('Scheduled');
  expect((await audit(email)).map((a) => a.action)).toEqual(['submitted', 'created']);
});
