import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, forceStatus, startHerald, TENANT_A, TENANT_B, type Client } from './support.js';

interface Message {
  id: string;
  status: string;
  name?: string;
  objective?: string;
  location?: string;
  urgent: boolean;
  content?: { title?: string; body?: string; language?: string };
  createdBy: { id: string; upn: string; name: string };
  createdAt: string;
  updatedAt: string;
}
interface Page {
  items: Message[];
  continuation?: string;
}
interface ProblemBody {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

let host: TestHost;
let ann: Client; // writer, tenant A
let abe: Client; // approver, tenant A
let bob: Client; // writer, tenant B
beforeAll(async () => {
  host = await startHerald();
  ann = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write']);
  abe = await as(host, TENANT_A, 'abe@contoso.test', ['Messages.Approve']);
  bob = await as(host, TENANT_B, 'bob@fabrikam.test', ['Messages.Write']);
});
afterAll(async () => {
  await host?.stop();
});

async function create(client: Client, body: object) {
  const res = await client('/api/messages', { body });
  expect(res.status).toBe(201);
  return { message: (await res.json()) as Message, etag: res.headers.get('etag')!, location: res.headers.get('location')! };
}

async function problem(res: Response, status: number, type: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as ProblemBody;
  expect(body.type).toBe(`https://herald.example/problems/${type}`);
  expect(body.status).toBe(status);
  return body;
}

const page = async (client: Client, query: string) => {
  const res = await client(`/api/messages?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
};

describe('drafts', () => {
  test('a writer creates a draft and reads it back at its Location, with its ETag', async () => {
    const { message, etag, location } = await create(ann, {
      name: 'Welcome to Contoso',
      objective: 'onboarding',
      location: 'spotlight',
      content: { title: 'Welcome', body: 'Find your way around' },
    });
    expect(message).toMatchObject({
      status: 'Draft',
      name: 'Welcome to Contoso',
      urgent: false,
      content: { title: 'Welcome', body: 'Find your way around', language: 'en' },
      createdBy: { upn: 'ann@contoso.test', name: 'ann' },
    });
    expect(message.id).toMatch(/^[0-9a-f]{21}$/);
    expect(location).toBe(`${host.url}/api/messages/${message.id}`);
    expect(etag).toBeTruthy();

    const res = await ann(new URL(location).pathname);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(etag);
    // Read back, a message also shows its activity: nothing yet for a draft.
    const NO_ACTIVITY = { seen: 0, viewers: 0, clicks: 0, clickers: 0, clickThroughRate: 0, dismissed: 0, delivered: 0, failed: 0 };
    expect(await res.json()).toEqual({ ...message, activity: NO_ACTIVITY });
    // Approvers read messages too.
    expect((await abe(`/api/messages/${message.id}`)).status).toBe(200);
  });

  test('an empty draft is fine: every part is optional until it is submitted', async () => {
    const { message } = await create(ann, {});
    expect(message).toMatchObject({ status: 'Draft', urgent: false });
  });

  test('invalid input is a 400 problem naming each field and rule', async () => {
    const res = await ann('/api/messages', {
      body: { name: '', location: 'billboard', content: { title: 'x'.repeat(81) }, schedule: { start: 'tomorrow' }, colour: 'red' },
    });
    const body = await problem(res, 400, 'validation');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { path: 'name', message: 'is required' },
        { path: 'location', message: expect.stringMatching(/spotlight/) },
        { path: 'content.title', message: 'at most 80 characters' },
        { path: 'schedule.start', message: 'must be an ISO 8601 date-time' },
        { path: 'colour', message: 'is not a known field' },
      ]),
    );
    expect(body.errors).toHaveLength(5);
    expect(body.detail).toMatch(/content\.title at most 80 characters/);
  });

  test('a body that is not JSON is a 400 problem', async () => {
    const body = await problem(await ann('/api/messages', { body: '{"name": ' }), 400, 'malformed-body');
    expect(body.detail).toMatch(/must be JSON/);
  });

  test('an unknown id is a 404 problem', async () => {
    await problem(await ann('/api/messages/0000000000000000000ff'), 404, 'not-found');
    await problem(await ann('/api/messages/not-an-id'), 404, 'not-found');
  });
});

describe('listing', () => {
  // A tenant of its own, so other tests' messages do not show up in these lists.
  const TENANT = '33333333-3333-4333-8333-333333333333';
  let cy: Client;
  const names = ['Patch Tuesday', 'Benefits enrolment', 'Phishing drill', 'Pension update', 'Town hall'];
  const ids: string[] = [];
  beforeAll(async () => {
    cy = await as(host, TENANT, 'cy@northwind.test', ['Messages.Write']);
    for (const [i, name] of names.entries()) {
      const { message } = await create(cy, { name, objective: i % 2 ? 'wellbeing' : 'security', location: i < 3 ? 'teams' : 'email' });
      ids.push(message.id);
    }
    await forceStatus(host, TENANT, ids[0]!, 'Scheduled');
  });

  test('newest first', async () => {
    const { items, continuation } = await page(cy, '');
    expect(items.map((m) => m.name)).toEqual([...names].reverse());
    expect(continuation).toBeUndefined();
  });

  test('pages follow the continuation to the end, and pageSize defaults to 25', async () => {
    const first = await page(cy, 'pageSize=2');
    expect(first.items.map((m) => m.name)).toEqual(['Town hall', 'Pension update']);
    const second = await page(cy, `pageSize=2&continuation=${first.continuation}`);
    expect(second.items.map((m) => m.name)).toEqual(['Phishing drill', 'Benefits enrolment']);
    const third = await page(cy, `pageSize=2&continuation=${second.continuation}`);
    expect(third.items.map((m) => m.name)).toEqual(['Patch Tuesday']);
    expect(third.continuation).toBeUndefined();
  });

  test('filters by status, location, objective and name prefix (any case), with paging', async () => {
    expect((await page(cy, 'status=Scheduled')).items.map((m) => m.name)).toEqual(['Patch Tuesday']);
    expect((await page(cy, 'status=Draft')).items).toHaveLength(4);
    expect((await page(cy, 'location=email')).items.map((m) => m.name)).toEqual(['Town hall', 'Pension update']);
    expect((await page(cy, 'objective=security&location=teams')).items.map((m) => m.name)).toEqual(['Phishing drill', 'Patch Tuesday']);
    expect((await page(cy, 'name=p')).items.map((m) => m.name)).toEqual(['Pension update', 'Phishing drill', 'Patch Tuesday']);
    expect((await page(cy, 'name=PH')).items.map((m) => m.name)).toEqual(['Phishing drill']);
    const first = await page(cy, 'name=p&pageSize=2');
    expect(first.items.map((m) => m.name)).toEqual(['Pension update', 'Phishing drill']);
    const rest = await page(cy, `name=p&pageSize=2&continuation=${first.continuation}`);
    expect(rest).toEqual({ items: [expect.objectContaining({ name: 'Patch Tuesday' })] });
  });

  test('bad query parameters are 400 problems naming them', async () => {
    const body = await problem(await cy('/api/messages?pageSize=101&status=Lost&sort=name'), 400, 'validation');
    expect(body.errors!.map((e) => e.path).sort()).toEqual(['pageSize', 'sort', 'status']);
    expect((await problem(await cy('/api/messages?pageSize=0'), 400, 'validation')).errors).toEqual([
      { path: 'pageSize', message: 'must be 1 to 100' },
    ]);
    expect((await problem(await cy('/api/messages?continuation=bogus'), 400, 'validation')).errors![0]!.path).toBe('continuation');
  });
});

describe('modifying', () => {
  test('a PATCH with the current ETag replaces the fields it names, clears nulls and returns the new ETag', async () => {
    const { message, etag } = await create(ann, { name: 'Draft one', objective: 'training', content: { title: 'Learn' } });
    const res = await ann(`/api/messages/${message.id}`, {
      method: 'PATCH',
      body: { name: 'Draft two', content: { title: 'Learn more', body: 'Sign up' }, objective: null },
      headers: { 'if-match': etag },
    });
    expect(res.status).toBe(200);
    const changed = (await res.json()) as Message;
    expect(changed).toMatchObject({
      id: message.id,
      status: 'Draft',
      name: 'Draft two',
      content: { title: 'Learn more', body: 'Sign up' },
    });
    expect(changed.objective).toBeUndefined();
    const newEtag = res.headers.get('etag');
    expect(newEtag).not.toBe(etag);
    const read = await ann(`/api/messages/${message.id}`);
    expect(read.headers.get('etag')).toBe(newEtag);
    expect(await read.json()).toEqual({ ...changed, activity: expect.objectContaining({ seen: 0, clicks: 0 }) });
  });

  test('a stale ETag is 412, a missing If-Match 428; the message is unchanged', async () => {
    const { message, etag } = await create(ann, { name: 'Contested' });
    const first = await ann(`/api/messages/${message.id}`, { method: 'PATCH', body: { name: 'Mine' }, headers: { 'if-match': etag } });
    expect(first.status).toBe(200);
    const stale = await ann(`/api/messages/${message.id}`, { method: 'PATCH', body: { name: 'Theirs' }, headers: { 'if-match': etag } });
    expect((await problem(stale, 412, 'precondition-failed')).detail).toMatch(/changed since you read it/);
    expect(stale.headers.get('etag')).toBe(first.headers.get('etag'));
    const missing = await ann(`/api/messages/${message.id}`, { method: 'PATCH', body: { name: 'Theirs' } });
    expect((await problem(missing, 428, 'precondition-required')).detail).toMatch(/If-Match/);
    expect(((await (await ann(`/api/messages/${message.id}`)).json()) as Message).name).toBe('Mine');
  });

  test('invalid changes are 400 problems naming the fields', async () => {
    const { message, etag } = await create(ann, { name: 'Valid' });
    const res = await ann(`/api/messages/${message.id}`, {
      method: 'PATCH',
      body: { urgent: 'yes', audience: { groups: ['not-a-guid'] }, status: 'Scheduled' },
      headers: { 'if-match': etag },
    });
    const body = await problem(res, 400, 'validation');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { path: 'urgent', message: expect.stringMatching(/boolean/) },
        { path: 'audience.groups.0', message: 'must be an Entra object id (a GUID)' },
        { path: 'status', message: 'is not a known field' },
      ]),
    );
    await problem(
      await ann(`/api/messages/${message.id}`, { method: 'PATCH', body: '[1]', headers: { 'if-match': etag } }),
      400,
      'validation',
    );
  });

  test('only a draft can be modified: 409 naming the current status', async () => {
    const { message } = await create(ann, { name: 'Submitted already' });
    await forceStatus(host, TENANT_A, message.id, 'PendingApproval');
    const read = await ann(`/api/messages/${message.id}`);
    const res = await ann(`/api/messages/${message.id}`, {
      method: 'PATCH',
      body: { name: 'Too late' },
      headers: { 'if-match': read.headers.get('etag')! },
    });
    expect((await problem(res, 409, 'status-conflict')).detail).toBe('only a Draft can be modified; the message is PendingApproval');
  });

  test('approvers cannot modify: 403', async () => {
    const { message, etag } = await create(ann, { name: 'Not yours' });
    await problem(
      await abe(`/api/messages/${message.id}`, { method: 'PATCH', body: { name: 'x' }, headers: { 'if-match': etag } }),
      403,
      'forbidden',
    );
  });
});

describe('deleting', () => {
  test('a draft is deleted: 204, then 404', async () => {
    const { message } = await create(ann, { name: 'Short-lived' });
    const res = await ann(`/api/messages/${message.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    await problem(await ann(`/api/messages/${message.id}`), 404, 'not-found');
    await problem(await ann(`/api/messages/${message.id}`, { method: 'DELETE' }), 404, 'not-found');
  });

  test('an Active message cannot be deleted: 409; a Scheduled one can', async () => {
    const { message: active } = await create(ann, { name: 'Going out now' });
    await forceStatus(host, TENANT_A, active.id, 'Active');
    const body = await problem(await ann(`/api/messages/${active.id}`, { method: 'DELETE' }), 409, 'status-conflict');
    expect(body.detail).toMatch(/cancel it first \(the message is Active\)/);
    expect((await ann(`/api/messages/${active.id}`)).status).toBe(200);

    const { message: scheduled } = await create(ann, { name: 'Later' });
    await forceStatus(host, TENANT_A, scheduled.id, 'Scheduled');
    expect((await ann(`/api/messages/${scheduled.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  test('an If-Match on delete must be current', async () => {
    const { message, etag } = await create(ann, { name: 'Guarded' });
    await ann(`/api/messages/${message.id}`, { method: 'PATCH', body: { name: 'Guarded too' }, headers: { 'if-match': etag } });
    await problem(
      await ann(`/api/messages/${message.id}`, { method: 'DELETE', headers: { 'if-match': etag } }),
      412,
      'precondition-failed',
    );
    expect((await ann(`/api/messages/${message.id}`)).status).toBe(200);
  });
});

describe('audit trail', () => {
  test('every change is recorded, newest first, with who did it; the trail outlives the message', async () => {
    const { message, etag } = await create(ann, { name: 'Audited', objective: 'event' });
    const patched = await ann(`/api/messages/${message.id}`, {
      method: 'PATCH',
      body: { name: 'Audited!', objective: 'event' },
      headers: { 'if-match': etag },
    });
    expect(patched.status).toBe(200);
    // Saving again with nothing changed is not a change: same ETag, no audit row.
    const again = await ann(`/api/messages/${message.id}`, {
      method: 'PATCH',
      body: { name: 'Audited!' },
      headers: { 'if-match': patched.headers.get('etag')! },
    });
    expect(again.status).toBe(200);
    expect(again.headers.get('etag')).toBe(patched.headers.get('etag'));
    expect((await ann(`/api/messages/${message.id}`, { method: 'DELETE' })).status).toBe(204);

    const res = await abe(`/api/messages/${message.id}/audit`);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as {
      items: { action: string; by: { upn: string }; status: string; fields?: string[]; at: string }[];
    };
    expect(items.map((e) => e.action)).toEqual(['deleted', 'modified', 'created']);
    expect(items.every((e) => e.by.upn === 'ann@contoso.test')).toBe(true);
    expect(items[1]).toMatchObject({ status: 'Draft', fields: ['name'] });
    expect(Date.parse(items[0]!.at)).toBeGreaterThanOrEqual(Date.parse(items[2]!.at));
  });
});

describe('tenant isolation', () => {
  test('another tenant can neither see, list, modify, delete nor audit a message: 404, never 403', async () => {
    const { message, etag } = await create(ann, { name: 'Contoso only' });
    const path = `/api/messages/${message.id}`;
    await problem(await bob(path), 404, 'not-found');
    await problem(await bob(path, { method: 'PATCH', body: { name: 'Fabrikam now' }, headers: { 'if-match': etag } }), 404, 'not-found');
    await problem(await bob(path, { method: 'DELETE' }), 404, 'not-found');
    await problem(await bob(`${path}/audit`), 404, 'not-found');
    const listed = await page(bob, 'pageSize=100');
    expect(listed.items.map((m) => m.id)).not.toContain(message.id);
    // A continuation from tenant A's list does not open tenant A's partition either.
    const aPage = await page(ann, 'pageSize=1');
    expect((await page(bob, `pageSize=100&continuation=${aPage.continuation}`)).items.map((m) => m.name)).not.toContain('Contoso only');

    const still = await ann(path);
    expect(still.status).toBe(200);
    expect(((await still.json()) as Message).name).toBe('Contoso only');
  });
});
