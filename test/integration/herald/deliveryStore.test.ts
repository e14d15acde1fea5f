// The delivery store straight against Azurite: a chunk marked in flight is listed on the batch's summary
// instead of written row by row, and reads back `sending` — over an earlier outcome too — until the
// outcomes' transaction records them in the ≤ 10 outcome rows and takes them off the list.
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { commitBatch, deliveryRow, readBatch, writeBatch } from '../../../adapters/stores/deliveryStore.js';
import { messageId, messageKey } from '../../../adapters/stores/keys.js';
import type { Delivery, DeliveryStatus, Recipient } from '../../../core/delivery.js';
import type { BatchRef } from '../../../core/hops.js';
import { storesOnOwnAzurite } from './storeSupport.js';

const storage = storesOnOwnAzurite();

const recipients: Recipient[] = ['u1', 'u2', 'u3'].map((id) => ({ userId: id, upn: `${id}@contoso.test`, name: id }));
const newBatch = async (): Promise<BatchRef> => {
  const ref = { tenantId: randomUUID(), messageId: messageId(Date.now()), occurrence: 0, batch: 0 };
  expect(await writeBatch(ref, 'teams', recipients, Date.now())).toBe(true);
  return ref;
};
/** What the partition holds besides the snapshot and the summary: outcome rows' entries and rows per recipient. */
const rowsOf = async (ref: BatchRef) => {
  const table = TableClient.fromConnectionString(storage(), 'deliveries', { allowInsecureConnection: true });
  const pk = `${messageKey(ref.tenantId, ref.messageId)}:000000:000000`;
  const out: Record<string, unknown> = {};
  let outcomeRows = 0;
  for await (const e of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${pk}'` } })) {
    const key = String(e.rowKey);
    if (key.startsWith('~out:')) {
      outcomeRows++;
      let json = '';
      for (let i = 0; i < Number(e.parts); i++) json += String(e[`p${i}`]);
      for (const [id, [status]] of Object.entries(JSON.parse(json) as Record<string, [string]>)) out[id] = status;
    } else if (!key.startsWith('~')) out[`row ${key}`] = e.status;
  }
  return { ...out, outcomeRows };
};
const statuses = async (ref: BatchRef) => Object.fromEntries([...(await readBatch(ref))!.rows.values()].map((d) => [d.userId, d.status]));
const as = (d: Delivery, status: DeliveryStatus, more: Partial<Delivery> = {}): Delivery => ({ ...d, status, ...more });

test('in flight is listed on the summary, not written per recipient; outcomes go to the outcome rows and clear the list', async () => {
  const ref = await newBatch();
  const state = (await readBatch(ref))!;
  const [u1, u2, u3] = [...state.rows.values()] as [Delivery, Delivery, Delivery];

  await commitBatch(ref, state, [as(u1, 'sending'), as(u2, 'sending')], Date.now() + 10_000, Date.now());
  expect(await rowsOf(ref)).toEqual({ outcomeRows: 0 });
  expect(await statuses(ref)).toEqual({ u1: 'sending', u2: 'sending', u3: 'pending' });
  expect((await readBatch(ref))!.summary).toMatchObject({ total: 3, sending: 2 });
  expect(await deliveryRow(ref, 'u1')).toEqual({ status: 'sending' });
  expect(await deliveryRow(ref, 'u3')).toBeUndefined();

  // u2 throttled: its row says so, and it is off the list.
  await commitBatch(
    ref,
    state,
    [as(u1, 'sent', { attempts: 1, sentAt: '2026-12-07T10:00:00.000Z' }), as(u2, 'throttled', { reason: '429' })],
    0,
    Date.now(),
  );
  expect(await rowsOf(ref)).toMatchObject({ u1: 'sent', u2: 'throttled' });
  expect(await statuses(ref)).toEqual({ u1: 'sent', u2: 'throttled', u3: 'pending' });

  // In flight again, with a transient error's attempts kept: listed over its throttled row.
  await commitBatch(ref, state, [as(u2, 'sending', { attempts: 2, reason: '503' }), as(u3, 'sending')], Date.now() + 10_000, Date.now());
  const reread = (await readBatch(ref))!;
  expect(reread.rows.get('u2')).toMatchObject({ status: 'sending', attempts: 2, reason: '503' });
  expect(reread.summary).toMatchObject({ sent: 1, throttled: 0, sending: 2 });
  expect(await deliveryRow(ref, 'u2')).toEqual({ status: 'sending' });
  expect(await deliveryRow(ref, 'u1')).toEqual({ status: 'sent', sentAt: '2026-12-07T10:00:00.000Z' });

  // A worker that read it then finds its rows in flight (a crash), settles them from its own read.
  const [, r2, r3] = [...reread.rows.values()] as [Delivery, Delivery, Delivery];
  await commitBatch(ref, reread, [as(r2, 'unconfirmed'), as(r3, 'sent', { attempts: 1 })], 0, Date.now());
  expect(await rowsOf(ref)).toMatchObject({ u1: 'sent', u2: 'unconfirmed', u3: 'sent' });
  expect(await statuses(ref)).toEqual({ u1: 'sent', u2: 'unconfirmed', u3: 'sent' });
  expect((await readBatch(ref))!.summary).toMatchObject({ sent: 2, unconfirmed: 1, sending: 0 });
});

test('rows an older build wrote per recipient still read, and a newer outcome comes before them', async () => {
  const ref = await newBatch();
  const table = TableClient.fromConnectionString(storage(), 'deliveries', { allowInsecureConnection: true });
  const pk = `${messageKey(ref.tenantId, ref.messageId)}:000000:000000`;
  const old = (rowKey: string, status: string, sentAt = '') =>
    table.upsertEntity({ partitionKey: pk, rowKey, status, attempts: 1, reason: '', sentAt });
  await old('u1', 'sent', '2026-12-01T10:00:00.000Z');
  await old('u2', 'throttled');
  await old('u3', 'sending');
  expect(await statuses(ref)).toEqual({ u1: 'sent', u2: 'throttled', u3: 'sending' });
  expect(await deliveryRow(ref, 'u1')).toEqual({ status: 'sent', sentAt: '2026-12-01T10:00:00.000Z' });
  expect(await deliveryRow(ref, 'u3')).toEqual({ status: 'sending' });

  const state = (await readBatch(ref))!;
  await commitBatch(
    ref,
    state,
    [as(state.rows.get('u2')!, 'sent', { attempts: 2, sentAt: '2026-12-01T11:00:00.000Z' }), as(state.rows.get('u3')!, 'unconfirmed')],
    0,
    Date.now(),
  );
  expect(await statuses(ref)).toEqual({ u1: 'sent', u2: 'sent', u3: 'unconfirmed' });
  expect(await deliveryRow(ref, 'u2')).toEqual({ status: 'sent', sentAt: '2026-12-01T11:00:00.000Z' });
  expect((await readBatch(ref))!.summary).toMatchObject({ sent: 2, unconfirmed: 1, sending: 0 });
});

test("a full batch: a chunk's outcomes rewrite at most ten outcome rows, and every recipient reads back", async () => {
  const many: Recipient[] = Array.from({ length: 990 }, (_, i) => ({ userId: `device-${i}`, upn: `user-${i}@contoso.test` }));
  const ref = { tenantId: randomUUID(), messageId: messageId(Date.now()), occurrence: 0, batch: 3 };
  await writeBatch(ref, 'push', many, Date.now());
  const state = (await readBatch(ref))!;
  const rows = [...state.rows.values()];
  for (let i = 0; i < rows.length; i += 99) {
    const chunk = rows.slice(i, i + 99);
    await commitBatch(
      ref,
      state,
      chunk.map((d) => as(d, 'sending')),
      Date.now() + 10_000,
      Date.now(),
    );
    await commitBatch(
      ref,
      state,
      chunk.map((d, j) =>
        j % 7 ? as(d, 'sent', { attempts: 1, sentAt: '2026-12-07T12:00:00.000Z' }) : as(d, 'failed', { attempts: 1, reason: 'bad token' }),
      ),
      0,
      Date.now(),
    );
  }
  const back = (await readBatch(ref))!;
  expect(back.summary).toMatchObject({ total: 990, sent: 990 - 150, failed: 150, sending: 0 });
  expect([...back.rows.values()].map((d) => d.status)).toEqual(rows.map((_, i) => ((i % 99) % 7 ? 'sent' : 'failed')));
  expect(await deliveryRow(ref, 'device-8')).toEqual({ status: 'sent', sentAt: '2026-12-07T12:00:00.000Z' });
  expect(await deliveryRow(ref, 'device-7')).toEqual({ status: 'failed' });
  const table = TableClient.fromConnectionString(storage(), 'deliveries', { allowInsecureConnection: true });
  let entities = 0;
  for await (const _ of table.listEntities({
    queryOptions: { filter: `PartitionKey eq '${messageKey(ref.tenantId, ref.messageId)}:000000:000003'` },
  }))
    entities++;
  expect(entities).toBe(10 + 10 + 1);
});

test('a long list of reasons is kept in parts below the property limit', async () => {
  const many: Recipient[] = Array.from({ length: 99 }, (_, i) => ({ userId: `user-${i}`, upn: `user-${i}@contoso.test` }));
  const ref = { tenantId: randomUUID(), messageId: messageId(Date.now()), occurrence: 0, batch: 0 };
  await writeBatch(ref, 'email', many, Date.now());
  const state = (await readBatch(ref))!;
  const reason = `503: ${'the service is busy; '.repeat(30)}`;
  await commitBatch(
    ref,
    state,
    [...state.rows.values()].map((d) => as(d, 'sending', { attempts: 1, reason })),
    Date.now() + 10_000,
    Date.now(),
  );
  const back = (await readBatch(ref))!;
  expect([...back.rows.values()].every((d) => d.status === 'sending' && d.reason === reason && d.attempts === 1)).toBe(true);
  expect(back.summary.sending).toBe(99);
});
