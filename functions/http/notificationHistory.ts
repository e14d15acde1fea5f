/**
 * What Herald keeps of custom notifications, shaped for the API: a notification with its delivery counts
 * (from the counters: sent, failed, opened) and state, and a device's own history for the app's
 * Notifications tab.
 */
import type { z } from 'zod';
import { counted } from '../../adapters/stores/counterStore.js';
import { batchSummaries, deliveryRow, getOccurrence } from '../../adapters/stores/deliveryStore.js';
import type { Device } from '../../adapters/stores/deviceStore.js';
import { listNotifications, type NotificationRecord } from '../../adapters/stores/notificationStore.js';
import { messageTotals } from '../../adapters/stores/reportStore.js';
import { deviceBatch } from '../../core/notification.js';
import type { Counts } from '../../core/reportMath.js';
import { now } from '../../adapters/runtime/clock.js';
import type { DeviceHistory, NotificationView } from './schemas/notificationSchemas.js';

/** The event key of a device's open: one per device and notification. */
export const OPENED = 'opened';

export async function notificationViews(
  tenantId: string,
  records: readonly NotificationRecord[],
): Promise<z.output<typeof NotificationView>[]> {
  const totals = await messageTotals(
    tenantId,
    records.map((r) => r.id),
  );
  return Promise.all(
    records.map(async (r) => {
      const counts = totals.get(r.id);
      return view(r, counts, await getOccurrence(tenantId, r.id, 0), await unconfirmed(tenantId, r, counts));
    }),
  );
}

/**
 * Devices in doubt after a crash (sent once or not at all) are not in the counters: the batch summaries
 * say, read only for a notification the counters show unfinished.
 */
async function unconfirmed(tenantId: string, r: NotificationRecord, counts: Counts | undefined): Promise<number> {
  const push = counts?.channels.push;
  if (r.batches === undefined || (push?.delivered ?? 0) + (push?.failed ?? 0) >= (r.devices ?? 0)) return 0;
  return (await batchSummaries(tenantId, r.id, 0, r.batches)).reduce((n, s) => n + s.unconfirmed, 0);
}

function view(
  r: NotificationRecord,
  counts: Counts | undefined,
  occ: Awaited<ReturnType<typeof getOccurrence>>,
  unconfirmed: number,
): z.output<typeof NotificationView> {
  const push = counts?.channels.push;
  const sent = push?.delivered ?? 0;
  const failed = push?.failed ?? 0;
  const devices = r.devices ?? 0;
  const pending = Math.max(0, devices - sent - failed - unconfirmed);
  const status = occ?.state === 'failed' ? 'failed' : r.batches === undefined ? 'resolving' : pending > 0 ? 'sending' : 'done';
  return {
    id: r.id,
    title: r.title,
    body: r.body,
    ...(r.groups ? { groups: r.groups } : {}),
    ...(r.deviceId ? { deviceId: r.deviceId } : {}),
    sentBy: r.sender,
    sentAt: r.createdAt,
    ...(r.resendOf ? { resendOf: r.resendOf } : {}),
    status,
    ...(occ?.reason ? { reason: occ.reason } : {}),
    devices,
    sent,
    failed,
    unconfirmed,
    pending,
    opened: push?.clicks ?? 0,
  };
}

/** How far back the Notifications tab looks, and through how many of the tenant's notifications. */
const HISTORY_DAYS = 30;
const HISTORY_SCAN = 200;

/** Whether the notification was sent to the device while its current owner had it registered. */
export const sentToOwner = (n: NotificationRecord, device: Device) => Date.parse(n.createdAt) >= Date.parse(device.registeredAt);

/**
 * What reached the device, newest first: of the tenant's recent notifications, those with a `sent` delivery
 * row for it — found in the batch its id maps to (core/notification.ts `deviceBatch`), one point read each.
 */
export async function deviceHistory(tenantId: string, device: Device): Promise<z.output<typeof DeviceHistory>> {
  // Nothing from before the device was registered to its current owner: a phone handed on keeps its token.
  const since = Math.max(now() - HISTORY_DAYS * 24 * 3_600_000, Date.parse(device.registeredAt));
  const recent = (await listNotifications(tenantId, HISTORY_SCAN)).filter((n) => Date.parse(n.createdAt) >= since);
  const candidates = recent.filter((n) => n.deviceId === undefined || n.deviceId === device.id);
  const rows = await Promise.all(
    candidates.map(async (n) => {
      // Undefined while the device's id range is not cut yet: nothing can have been sent to it.
      const batch = deviceBatch(device.id, n);
      if (batch === undefined) return undefined;
      const ref = { tenantId, messageId: n.id, occurrence: 0, batch };
      const row = await deliveryRow(ref, device.id);
      if (row?.status !== 'sent') return undefined;
      const opened = await counted(tenantId, n.id, device.id, OPENED);
      return { id: n.id, title: n.title, body: n.body, sentAt: row.sentAt ?? n.createdAt, opened };
    }),
  );
  return { items: rows.filter((r) => r !== undefined) };
}
