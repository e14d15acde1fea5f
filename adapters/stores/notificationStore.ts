/**
 * Custom notifications as sent (docs/storage.md `notifications`), over Azure Tables: PartitionKey tenant,
 * RowKey notification id — time-ordered like message ids, so a partition scan lists the newest first and
 * the delivery, counter and report tables key them exactly as they key messages. What the seed's original
 * forgets, Herald keeps: the text, who sent it, to which groups or device, and when.
 */
import { odata, type TableEntityResult } from '@azure/data-tables';
import { messageId, MESSAGE_ID, tenantKey } from './keys.js';
import type { BatchLayout } from '../../core/notification.js';
import type { Actor } from '../../core/records.js';
import { findEntity, table } from './storageClients.js';

export interface NotificationRecord {
  id: string;
  title: string;
  body: string;
  /** The groups targeted directly (nested ones are followed when sending), or the one device. */
  groups?: string[];
  deviceId?: string;
  sender: Actor;
  createdAt: string;
  /** The notification this one repeats, when sent with `resend`. */
  resendOf?: string;
  /** How many delivery batches its devices were spread over, and how many devices (known once resolved). */
  batches?: number;
  devices?: number;
  /** A group send's id ranges and how each was cut into batches, recorded as resolution goes (core `BatchLayout`). */
  layout?: BatchLayout;
}

const notifications = () => table('notifications');

function toRecord(e: TableEntityResult<Record<string, unknown>>): NotificationRecord {
  return {
    id: String(e.rowKey),
    title: String(e.title),
    body: String(e.body),
    ...(typeof e.groups === 'string' ? { groups: JSON.parse(e.groups) as string[] } : {}),
    ...(e.deviceId ? { deviceId: String(e.deviceId) } : {}),
    sender: { id: String(e.senderId), upn: String(e.senderUpn), name: String(e.senderName ?? '') },
    createdAt: String(e.createdAt),
    ...(e.resendOf ? { resendOf: String(e.resendOf) } : {}),
    ...(e.batches !== undefined ? { batches: Number(e.batches), devices: Number(e.devices ?? 0) } : {}),
    ...(e.idRanges !== undefined ? { layout: layoutOf(e, Number(e.idRanges)) } : {}),
  };
}

/** One column a range (`rangeBatches<r>`), so ranges cut at the same time merge into the row without a race. */
const rangeColumn = (r: number) => `rangeBatches${r}`;
const layoutOf = (e: Record<string, unknown>, ranges: number): BatchLayout => ({
  ranges,
  perRange: Array.from({ length: ranges }, (_, r) => (e[rangeColumn(r)] === undefined ? undefined : Number(e[rangeColumn(r)]))),
});

export async function createNotification(
  tenantId: string,
  n: Omit<NotificationRecord, 'id' | 'createdAt' | 'batches' | 'devices'>,
  at: number,
): Promise<NotificationRecord> {
  const record: NotificationRecord = { ...n, id: messageId(at), createdAt: new Date(at).toISOString() };
  await (
    await notifications()
  ).createEntity({
    partitionKey: tenantKey(tenantId),
    rowKey: record.id,
    title: record.title,
    body: record.body,
    ...(record.groups ? { groups: JSON.stringify(record.groups) } : {}),
    ...(record.deviceId ? { deviceId: record.deviceId } : {}),
    senderId: record.sender.id,
    senderUpn: record.sender.upn,
    senderName: record.sender.name,
    createdAt: record.createdAt,
    ...(record.resendOf ? { resendOf: record.resendOf } : {}),
  });
  return record;
}

export async function getNotification(tenantId: string, id: string): Promise<NotificationRecord | undefined> {
  if (!MESSAGE_ID.test(id)) return undefined;
  const e = await findEntity(await notifications(), tenantKey(tenantId), id);
  return e && toRecord(e);
}

/** How many id ranges the send's devices are read in: recorded once, before any batch, so a re-run reads the same. */
export async function setIdRanges(tenantId: string, id: string, ranges: number): Promise<void> {
  await (await notifications()).updateEntity({ partitionKey: tenantKey(tenantId), rowKey: id, idRanges: ranges }, 'Merge');
}

/** How many batches range r is cut into: recorded before any of them is written, so a re-run cuts it the same. */
export async function setRangeBatches(tenantId: string, id: string, range: number, batches: number): Promise<void> {
  await (await notifications()).updateEntity({ partitionKey: tenantKey(tenantId), rowKey: id, [rangeColumn(range)]: batches }, 'Merge');
}

export async function setBatches(tenantId: string, id: string, batches: number, devices: number): Promise<void> {
  await (await notifications()).updateEntity({ partitionKey: tenantKey(tenantId), rowKey: id, batches, devices }, 'Merge');
}

/** Newest first, from after `afterId` (exclusive), at most `limit`. */
export async function listNotifications(tenantId: string, limit: number, afterId?: string): Promise<NotificationRecord[]> {
  const filter = afterId
    ? odata`PartitionKey eq ${tenantKey(tenantId)} and RowKey gt ${afterId}`
    : odata`PartitionKey eq ${tenantKey(tenantId)}`;
  const out: NotificationRecord[] = [];
  const pages = (await notifications()).listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: limit });
  for await (const page of pages) {
    for (const e of page) {
      out.push(toRecord(e as TableEntityResult<Record<string, unknown>>));
      if (out.length === limit) return out;
    }
  }
  return out;
}
