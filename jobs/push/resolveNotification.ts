/**
 * Resolves a custom notification into delivery batches: for a group send, the users among the groups'
 * transitive members (devices that are themselves group members are not users, so Graph's user cast leaves
 * them out) and every enrolled iOS/Android device with a live token that each of them registered; for a
 * device send, that device if it still qualifies. Devices are spread over batches by a hash of their id, so
 * a device's delivery row can be found from the notification alone (the app's history reads it that way).
 * A re-run after a crash writes nothing twice: written batches are skipped, and the delivery rows gate
 * every send.
 */
import { UnknownGroup } from '../../core/directory.js';
import { DELIVER_PUSH, type BatchRef, type NotificationRef } from '../../core/hops.js';
import { batchCount, batchOf, isPushPlatform } from '../../core/notification.js';
import { BATCH_SIZE, type Recipient } from '../../core/delivery.js';
import type { Device } from '../../adapters/stores/deviceStore.js';
import type { Clock } from '../delivery/deliveryPorts.js';
import { createDeliveredCheck } from '../delivery/progress.js';
import type { PushPorts } from './pushJobs.js';

type Log = (message: string) => void;

export type NotificationResolutionPorts = Pick<PushPorts, 'notifications' | 'deliveries' | 'directory' | 'enqueue'> & {
  clock: Pick<Clock, 'now'>;
  devices: Pick<PushPorts['devices'], 'getDevice' | 'pushableDevices'>;
};

const recipientOf = (d: Device): Recipient => ({
  userId: d.id,
  upn: d.upn,
  device: { owner: d.userId, platform: d.platform, token: d.pushToken, app: d.app, appVersion: d.appVersion },
});

const qualifies = (d: Device | undefined): d is Device => Boolean(d && d.enrolled && isPushPlatform(d.platform) && !d.staleSince);

export function createNotificationResolution(ports: NotificationResolutionPorts) {
  const { notifications, deliveries, devices, directory, enqueue, clock } = ports;
  const { isDelivered } = createDeliveredCheck(ports);

  /** The poison queue's end of a resolution: recorded as failed, with why, instead of hanging. */
  async function failNotification(ref: NotificationRef, reason: string, log: Log): Promise<void> {
    await deliveries.startOccurrence(ref.tenantId, ref.notificationId, 0, 'push', clock.now());
    await deliveries.updateOccurrence(ref.tenantId, ref.notificationId, 0, { state: 'failed', reason });
    log(`notification ${ref.notificationId}: failed: ${reason}`);
  }

  /** Resolves the notification; true when that leaves it fully delivered (no device to send to, or a re-run). */
  async function resolveNotification(ref: NotificationRef, log: Log): Promise<boolean> {
    const { tenantId, notificationId } = ref;
    const occurrenceRef = { tenantId, messageId: notificationId, occurrence: 0 };
    const notification = await notifications.getNotification(tenantId, notificationId);
    if (!notification) return false;
    const occ = await deliveries.startOccurrence(tenantId, notificationId, 0, 'push', clock.now());
    if (occ.state === 'resolved') return isDelivered(occurrenceRef);

    let targets: Device[] = [];
    if (notification.deviceId) {
      const device = await devices.getDevice(tenantId, notification.deviceId);
      if (qualifies(device)) targets = [device];
    } else {
      const users = new Set<string>();
      try {
        for (const group of notification.groups ?? [])
          for await (const page of directory.groupMembers(tenantId, group))
            for (const u of page) if (u.accountEnabled !== false) users.add(u.id);
      } catch (error) {
        // Retrying cannot make a missing group appear: the notification fails now, saying which.
        if (!(error instanceof UnknownGroup)) throw error;
        await failNotification(ref, error.message, log);
        return false;
      }
      targets = (await devices.pushableDevices(tenantId)).filter((d) => users.has(d.userId));
    }

    const count = batchCount(
      targets.map((d) => d.id),
      BATCH_SIZE,
    );
    const batches = Array.from({ length: count }, () => [] as Recipient[]);
    for (const d of targets) batches[batchOf(d.id, count)]!.push(recipientOf(d));
    await notifications.setBatches(tenantId, notificationId, count, targets.length);
    await Promise.all(
      batches.map(async (recipients, batch) => {
        const batchRef: BatchRef = { ...occurrenceRef, batch };
        await deliveries.writeBatch(batchRef, 'push', recipients, clock.now());
        if (recipients.length > 0) await enqueue(DELIVER_PUSH, batchRef);
      }),
    );
    await deliveries.updateOccurrence(tenantId, notificationId, 0, {
      state: 'resolved',
      resolvedAt: new Date(clock.now()).toISOString(),
      recipients: targets.length,
      batches: count,
      batchesWritten: count,
    });
    log(`notification ${notificationId}: ${targets.length} devices in ${count} batches`);
    return isDelivered(occurrenceRef);
  }

  return { resolveNotification, failNotification };
}
