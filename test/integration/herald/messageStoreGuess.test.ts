// The message store's transitions write against the row as this process last saw it, without reading it
// again: two stores over one Azurite play two Herald instances, so the row one of them remembers can be
// stale. A stale guess must never decide anything: the change is applied to, or refused on, the row as it is.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startAzurite } from '@herald/devhost/testing';
import { tableMessageStore, type MessageStore } from '../../../adapters/stores/messageStore.js';
import type { DraftInput } from '../../../core/message.js';
import { TENANT_A } from './support.js';

let azurite: Awaited<ReturnType<typeof startAzurite>>;
let one: MessageStore;
let other: MessageStore;
const ann = { id: 'ann', upn: 'ann@contoso.test', name: 'Ann' };
const abe = { id: 'abe', upn: 'abe@contoso.test', name: 'Abe' };
const draft = { name: 'Guess', objective: 'security', location: 'spotlight' } as DraftInput;

beforeAll(async () => {
  azurite = await startAzurite();
  const storage = { kind: 'connectionString', connectionString: azurite.connectionString, plainHttp: true } as const;
  one = tableMessageStore(storage);
  other = tableMessageStore(storage);
});
afterAll(async () => {
  await azurite?.stop();
});

const actions = async (store: MessageStore, id: string) => (await store.audit(TENANT_A, id)).map((a) => a.action);

test('a change made by the other instance since this one wrote the row: the next change applies on top of it', async () => {
  const created = await one.create(TENANT_A, draft, ann);
  expect(await one.transition(TENANT_A, created.id, { transition: 'submit', by: ann, lifecycle: 'l1' })).toMatchObject({ ok: true });
  // The other instance takes it on: one remembers PendingApproval at an ETag that is gone.
  const approved = await other.transition(TENANT_A, created.id, { transition: 'approve', by: abe });
  expect(approved).toMatchObject({ ok: true, message: { status: 'Scheduled', version: 3 } });

  const cancelled = await one.transition(TENANT_A, created.id, { transition: 'cancel', by: ann });
  expect(cancelled).toMatchObject({ ok: true, message: { status: 'Cancelled', version: 4, lastAction: 'cancelled' } });
  expect(await other.get(TENANT_A, created.id)).toMatchObject({ status: 'Cancelled', version: 4 });
  expect(await actions(one, created.id)).toEqual(['cancelled', 'approved', 'submitted', 'created']);
});

test('a remembered row that allows the change while the row as it is does not: refused on the row as it is', async () => {
  const created = await one.create(TENANT_A, draft, ann);
  await one.transition(TENANT_A, created.id, { transition: 'submit', by: ann, lifecycle: 'l2' });
  await other.transition(TENANT_A, created.id, { transition: 'cancel', by: ann });

  const late = await one.transition(TENANT_A, created.id, { transition: 'approve', by: abe });
  expect(late).toMatchObject({ ok: false, message: { status: 'Cancelled' } });
  expect(await actions(one, created.id)).toEqual(['cancelled', 'submitted', 'created']);
});

test('a remembered row that refuses the change while the row as it is allows it: applied', async () => {
  const created = await one.create(TENANT_A, draft, ann);
  // One remembers the Draft; the other submits it, and one is then asked to approve.
  await other.transition(TENANT_A, created.id, { transition: 'submit', by: ann, lifecycle: 'l3' });
  const approved = await one.transition(TENANT_A, created.id, { transition: 'approve', by: abe });
  expect(approved).toMatchObject({ ok: true, message: { status: 'Scheduled', version: 3 } });
});

test('a repeat is judged on the row as it is: applied once, then a no-op that succeeds', async () => {
  const created = await one.create(TENANT_A, draft, ann);
  await one.transition(TENANT_A, created.id, { transition: 'submit', by: ann, lifecycle: 'l4' });
  const first = await one.transition(TENANT_A, created.id, { transition: 'approve', by: abe });
  const again = await one.transition(TENANT_A, created.id, { transition: 'approve', by: abe });
  expect(again).toMatchObject({ ok: true, message: { status: 'Scheduled', version: (first.ok && first.message.version) || -1 } });
  // The other instance cancelled in between: the repeat does not pretend the approval is the last change.
  await other.transition(TENANT_A, created.id, { transition: 'cancel', by: ann });
  expect(await one.transition(TENANT_A, created.id, { transition: 'approve', by: abe })).toMatchObject({
    ok: false,
    message: { status: 'Cancelled' },
  });
  expect(await actions(one, created.id)).toEqual(['cancelled', 'approved', 'submitted', 'created']);
});

test('a whole-row write after the delivery jobs set the occurrence keeps it, even from a row remembered before', async () => {
  const created = await one.create(TENANT_A, draft, ann);
  await one.transition(TENANT_A, created.id, { transition: 'submit', by: ann, lifecycle: 'l9' });
  await one.transition(TENANT_A, created.id, { transition: 'approve', by: abe });
  await one.transition(TENANT_A, created.id, { transition: 'start', by: abe });
  const nextAt = '2099-01-02T09:00:00.000Z';
  // The other instance's delivery job records the occurrence: one remembers the Active row from before it.
  await other.setOccurrence(TENANT_A, created.id, 3, nextAt);
  const due = async () => {
    const found = [];
    for await (const d of one.dueOccurrences(nextAt)) if (d.id === created.id) found.push(d);
    return found;
  };
  expect(await due()).toEqual([{ tenant: TENANT_A, id: created.id, occurrence: 3 }]);

  const expired = await one.transition(TENANT_A, created.id, { transition: 'expire', by: abe });
  expect(expired).toMatchObject({ ok: true, message: { status: 'Expired', schedule: { occurrence: 3, nextAt } } });
  expect(await other.get(TENANT_A, created.id)).toMatchObject({ status: 'Expired', schedule: { occurrence: 3, nextAt } });
  expect(await due()).toEqual([]); // no longer Active: not resent
});
