/**
 * Resolves a custom notification into delivery batches: for a group send, the users among the groups'
 * transitive members (devices that are themselves group members are not users, so Graph's user cast leaves
 * them out) and every enrolled iOS/Android device with a live token that each of them registered; for a
 * device send, that device if it still qualifies. Devices are spread over batches by a hash of their id, so
 * a device's delivery row can be found from the notification alone (the app's history reads it that way).
 * A re-run after a crash writes nothing twice: written batches are skipped, and the delivery rows gate
 * every send.
 */
import { now } from '../../adapters/runtime/clock.js';
import { BATCH_SIZE, startOccurrence, updateOccurrence, writeBatch, type Recipient } from '../../adapters/stores/deliveryStore.js';
import { getDevice, pushableDevices, type Device } from '../../adapters/stores/deviceStore.js';
import { directory } from '../../adapters/services/graphDirectory.js';
import { getNotification, setBatches } from '../../adapters/stores/notificationStore.js';
import { enqueue } from '../../adapters/stores/storageClients.js';
import { UnknownGroup } from '../../core/directory.js';
import { batchCount, batchOf, isPushPlatform } from '../../core/notification.js';
import { isDelivered } from '../delivery/deliveryProgress.js';
import { DELIVER_PUSH, type BatchRef, type NotificationRef } from '../../core/hops.js';

const recipientOf = (d: Device): Recipient => ({
  userId: d.id,
  upn: d.upn,
  device: { owner: d.userId, platform: d.platform, token: d.pushToken },
});

const qualifies = (d: Device | undefined): d is Device => Boolean(d && d.enrolled && isPushPlatform(d.platform) && !d.staleSince);

/** Resolves the notification; true when that leaves it fully delivered (no device to send to, or a re-run). */
export async function resolveNotification(ref: NotificationRef, log: (message: string) => void): Promise<boolean> {
  const { tenantId, notificationId } = ref;
  const occurrenceRef = { tenantId, messageId: notificationId, occurrence: 0 };
  const notification = await getNotification(tenantId, notificationId);
  if (!notification) return false;
  const occ = await startOccurrence(tenantId, notificationId, 0, 'push', now());
  if (occ.state === 'resolved') return isDelivered(occurrenceRef);

  let devices: Device[] = [];
  if (notification.deviceId) {
    const device = await getDevice(tenantId, notification.deviceId);
    if (qualifies(device)) devices = [device];
  } else {
    const users = new Set<string>();
    try {
      for (const group of notification.groups ?? [])
        for await (const page of directory().groupMembers(tenantId, group))
          for (const u of page) if (u.accountEnabled !== false) users.add(u.id);
    } catch (error) {
      // Retrying cannot make a missing group appear: the notification fails now, saying which.
      if (!(error instanceof UnknownGroup)) throw error;
      await failNotification(ref, error.message, log);
      return false;
    }
    devices = (await pushableDevices(tenantId)).filter((d) => users.has(d.userId));
  }

  const count = batchCount(
    devices.map((d) => d.id),
    BATCH_SIZE,
  );
  const batches = Array.from({ length: count }, () => [] as Recipient[]);
  for (const d of devices) batches[batchOf(d.id, count)]!.push(recipientOf(d));
  await setBatches(tenantId, notificationId, count, devices.length);
  await Promise.all(
    batches.map(async (recipients, batch) => {
      const batchRef: BatchRef = { ...occurrenceRef, batch };
      await writeBatch(batchRef, 'push', recipients, now());
      if (recipients.length > 0) await enqueue(DELIVER_PUSH, batchRef);
    }),
  );
  await updateOccurrence(tenantId, notificationId, 0, {
    state: 'resolved',
    resolvedAt: new Date(now()).toISOString(),
    recipients: devices.length,
    batches: count,
    batchesWritten: count,
  });
  log(`notification ${notificationId}: ${devices.length} devices in ${count} batches`);
  return isDelivered(occurrenceRef);
}

/** The poison queue's end of a resolution: recorded as failed, with why, instead of hanging. */
export async function failNotification(ref: NotificationRef, reason: string, log: (message: string) => void): Promise<void> {
  await startOccurrence(ref.tenantId, ref.notificationId, 0, 'push', now());
  await updateOccurrence(ref.tenantId, ref.notificationId, 0, { state: 'failed', reason });
  log(`notification ${ref.notificationId}: failed: ${reason}`);
}
