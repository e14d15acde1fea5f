/**
 * What delivery workers in any process coordinate through besides the batches themselves (table
 * `deliveryControl`, docs/storage.md):
 * - a stop row per message, written the moment a cancel is accepted, before the lifecycle has applied it:
 *   senders read it before each send, so a cancel stops delivery even while its orchestration waits out a
 *   crash;
 * - an index of the batches a worker holds right now, so that when a host dies its batches are found and
 *   queued again within seconds, rather than when the queue gives up the dead host's message (minutes).
 */
import { odata } from '@azure/data-tables';
import type { DeliveryChannel, BatchRef } from '../../core/hops.js';
import { messageKey } from './keys.js';
import { findEntity, isStatus, table } from './storageClients.js';

const TABLE = 'deliveryControl';
const HELD = '~held';
const pad = (n: number) => String(n).padStart(6, '0');
const heldKey = (b: BatchRef) => `${messageKey(b.tenantId, b.messageId)}:${pad(b.occurrence)}:${pad(b.batch)}`;

export interface HeldBatch extends BatchRef {
  channel: DeliveryChannel;
  /** When a sweep last queued it again (epoch ms, real time); the worker that takes it clears this. */
  resumedAt?: number;
}

/** Records that the message must not be sent to any more (a cancel was accepted at `at`, epoch ms). */
export async function requestStop(tenantId: string, messageId: string, at: number): Promise<void> {
  await (await table(TABLE)).upsertEntity({ partitionKey: messageKey(tenantId, messageId), rowKey: 'stop', at }, 'Replace');
}

/** When a stop of the message was requested (epoch ms), or undefined. */
export async function stopRequested(tenantId: string, messageId: string): Promise<number | undefined> {
  const e = await findEntity(await table(TABLE), messageKey(tenantId, messageId), 'stop', ['at']);
  return e ? Number(e.at) : undefined;
}

/** Lists the batch as held by a worker; written before the worker takes its lease. */
export async function markHeld(ref: HeldBatch): Promise<void> {
  const { tenantId, messageId, occurrence, batch, channel } = ref;
  await (
    await table(TABLE)
  ).upsertEntity({ partitionKey: HELD, rowKey: heldKey(ref), tenantId, messageId, occurrence, batch, channel }, 'Replace');
}

/** Notes that the batch was queued again for a dead worker, so the next sweep leaves it to that message. */
export async function noteResumed(ref: BatchRef, at: number): Promise<void> {
  try {
    await (await table(TABLE)).updateEntity({ partitionKey: HELD, rowKey: heldKey(ref), resumedAt: at }, 'Merge');
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
}

/** Takes the batch off the list; after its worker released the lease. */
export async function clearHeld(ref: BatchRef): Promise<void> {
  try {
    await (await table(TABLE)).deleteEntity(HELD, heldKey(ref));
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
}

/** Every batch listed as held (a handful at a time: only those being worked right now). */
export async function listHeld(): Promise<HeldBatch[]> {
  const out: HeldBatch[] = [];
  const rows = (await table(TABLE)).listEntities({ queryOptions: { filter: odata`PartitionKey eq ${HELD}` } });
  for await (const e of rows)
    out.push({
      tenantId: String(e.tenantId),
      messageId: String(e.messageId),
      occurrence: Number(e.occurrence),
      batch: Number(e.batch),
      channel: e.channel as DeliveryChannel,
      ...(e.resumedAt ? { resumedAt: Number(e.resumedAt) } : {}),
    });
  return out;
}
