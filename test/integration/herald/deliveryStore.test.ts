// The delivery store straight against Azurite: a chunk marked in flight is listed on the batch's summary
// instead of written row by row, and reads back `sending` — over an earlier outcome too — until the
// outcomes' transaction writes the rows and takes it off the list.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { startAzurite } from '@herald/devhost/testing';
import { commitBatch, deliveryRow, readBatch, writeBatch } from '../../../adapters/stores/deliveryStore.js';
import { messageId, messageKey } from '../../../adapters/stores/keys.js';
import type { Delivery, DeliveryStatus, Recipient } from '../../../core/delivery.js';
import type { BatchRef } from '../../../core/hops.js';

let azurite: Awaited<ReturnType<typeof startAzurite>>;
const saved = process.env.AzureWebJobsStorage;

beforeAll(async () => {
  azurite = await startAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString;
});
afterAll(async () => {
  process.env.AzureWebJobsStorage = saved;
  await azurite?.stop();
});

const recipients: Recipient[] = ['u1', 'u2', 'u3'].map((id) => ({ userId: id, upn: `${id}@contoso.test`, name: id }));
const newBatch = async (): Promise<BatchRef> => {
  const ref = { tenantId: randomUUID(), messageId: messageId(Date.now()), occurrence: 0, batch: 0 };
  expect(await writeBatch(ref, 'teams', recipients, Date.now())).toBe(true);
  return ref;
};
const rowsOf = async (ref: BatchRef) => {
  const table = TableClient.fromConnectionString(azurite.connectionString, 'deliveries', { allowInsecureConnection: true });
  const pk = `${messageKey(ref.tenantId, ref.messageId)}:000000:000000`;
  const out: Record<string, unknown> = {};
  for await (const e of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${pk}'` } }))
    if (!String(e.rowKey).startsWith('~')) out[String(e.rowKey)] = e.status;
  return out;
};
const statuses = async (ref: BatchRef) => Object.fromEntries([...(await readBatch(ref))!.rows.values()].map((d) => [d.userId, d.status]));
const as = (d: Delivery, status: DeliveryStatus, more: Partial<Delivery> = {}): Delivery => ({ ...d, status, ...more });

test('in flight is listed on the summary, not written per recipient; outcomes write the rows and clear the list', async () => {
  const ref = await newBatch();
  const state = (await readBatch(ref))!;
  const [u1, u2, u3] = [...state.rows.values()] as [Delivery, Delivery, Delivery];

  await commitBatch(ref, state, [as(u1, 'sending'), as(u2, 'sending')], Date.now() + 10_000, Date.now());
  expect(await rowsOf(ref)).toEqual({});
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
  expect(await rowsOf(ref)).toEqual({ u1: 'sent', u2: 'throttled' });
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
  expect(await rowsOf(ref)).toEqual({ u1: 'sent', u2: 'unconfirmed', u3: 'sent' });
  expect(await statuses(ref)).toEqual({ u1: 'sent', u2: 'unconfirmed', u3: 'sent' });
  expect((await readBatch(ref))!.summary).toMatchObject({ sent: 2, unconfirmed: 1, sending: 0 });
});

test('a delivery row an older build wrote `sending` still reads as in flight', async () => {
  const ref = await newBatch();
  const table = TableClient.fromConnectionString(azurite.connectionString, 'deliveries', { allowInsecureConnection: true });
  const pk = `${messageKey(ref.tenantId, ref.messageId)}:000000:000000`;
  await table.upsertEntity({ partitionKey: pk, rowKey: 'u3', status: 'sending', attempts: 0, reason: '', sentAt: '' });
  expect(await statuses(ref)).toEqual({ u1: 'pending', u2: 'pending', u3: 'sending' });
  expect(await deliveryRow(ref, 'u3')).toEqual({ status: 'sending' });
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
