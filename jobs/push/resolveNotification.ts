/**
 * Resolves a custom notification into delivery batches: for a group send, the users among the groups'
 * transitive members (devices that are themselves group members are not users, so Graph's user cast leaves
 * them out) and every enrolled iOS/Android device with a live token that each of them registered; for a
 * device send, that device if it still qualifies.
 *
 * A group send's devices are read id range by id range (core/notification.ts `BatchLayout`), a few ranges at
 * a time, and each range is cut into batches, written and queued as soon as it is read: sending starts after
 * the first ranges rather than after the whole read, and resolution holds a few ranges' devices, not all of
 * them. A device's batch follows from its id and the layout recorded on the notification, so its delivery row
 * is found from the notification alone (the app's history reads it that way).
 *
 * A re-run after a crash writes nothing twice and sends nobody twice: the range count and each range's cut are
 * recorded before the batches they number, and a re-run uses the recorded ones, so every device still maps to
 * the one batch it had; written batches are skipped, and the delivery rows gate every send.
 */
import pMap from 'p-map';
import { UnknownGroup } from '../../core/directory.js';
import { DELIVER_PUSH, type BatchRef, type NotificationRef } from '../../core/hops.js';
import {
  batchInRange,
  idRangeBounds,
  idRangesFor,
  isPushPlatform,
  layoutBatches,
  rangeBatchCount,
  type BatchLayout,
} from '../../core/notification.js';
import { BATCH_SIZE, type Recipient } from '../../core/delivery.js';
import type { Device, PushableDevice } from '../../adapters/stores/deviceStore.js';
import type { Clock } from '../delivery/deliveryPorts.js';
import { createDeliveredCheck } from '../delivery/progress.js';
import type { PushPorts } from './pushJobs.js';

type Log = (message: string) => void;

export type NotificationResolutionPorts = Pick<PushPorts, 'notifications' | 'deliveries' | 'directory' | 'enqueue'> & {
  clock: Pick<Clock, 'now'>;
  devices: Pick<PushPorts['devices'], 'getDevice' | 'pushableDevicesIn'>;
};

/**
 * Ranges read at once. The reads cost the store the same in total however many run together (on Azurite each
 * page filters the whole table), and a range's batches go out when it is read: two at a time, the first go out
 * after an eighth of a 16-range read, and the rest of the read overlaps the sending.
 */
const RANGE_READERS = 2;

const recipientOf = (d: PushableDevice): Recipient => ({
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

  /** Writes a batch (a re-run finds it written and leaves it) and queues it when it has anyone to send to. */
  async function writeAndQueue(ref: BatchRef, recipients: Recipient[]): Promise<void> {
    await deliveries.writeBatch(ref, 'push', recipients, clock.now());
    if (recipients.length > 0) await enqueue(DELIVER_PUSH, ref);
  }

  /** The targeted groups' enabled users; undefined when a group is unknown (the notification has failed then). */
  async function usersOf(ref: NotificationRef, groups: readonly string[], log: Log): Promise<Set<string> | undefined> {
    const users = new Set<string>();
    try {
      for (const group of groups)
        for await (const page of directory.groupMembers(ref.tenantId, group))
          for (const u of page) if (u.accountEnabled !== false) users.add(u.id);
    } catch (error) {
      // Retrying cannot make a missing group appear: the notification fails now, saying which.
      if (!(error instanceof UnknownGroup)) throw error;
      await failNotification(ref, error.message, log);
      return undefined;
    }
    return users;
  }

  /**
   * Reads, cuts, writes and queues every range of a group send; returns how many batches and devices. Range
   * r's cut is recorded on the notification before its first batch is written.
   */
  async function resolveRanges(
    ref: NotificationRef,
    users: ReadonlySet<string>,
    recorded: BatchLayout | undefined,
  ): Promise<{ batches: number; devices: number }> {
    const { tenantId, notificationId } = ref;
    const ranges = recorded?.ranges ?? idRangesFor(users.size);
    if (!recorded) await notifications.setIdRanges(tenantId, notificationId, ranges);
    const perRange: number[] = [];
    let devicesFound = 0;
    let highestWritten = -1;
    let progress = Promise.resolve();

    async function resolveRange(r: number): Promise<void> {
      const found = (await devices.pushableDevicesIn(tenantId, idRangeBounds(r, ranges))).filter((d) => users.has(d.userId));
      let count = recorded?.perRange[r];
      if (count === undefined) {
        count = rangeBatchCount(
          found.map((d) => d.id),
          r,
          ranges,
          BATCH_SIZE,
        );
        await notifications.setRangeBatches(tenantId, notificationId, r, count);
      }
      perRange[r] = count;
      devicesFound += found.length;
      const batches = new Map<number, Recipient[]>();
      for (let sub = 0; sub < count; sub++) batches.set(sub * ranges + r, []);
      for (const d of found) batches.get(batchInRange(d.id, r, ranges, count))!.push(recipientOf(d));
      await Promise.all([...batches].map(([batch, recipients]) => writeAndQueue({ ...occurrenceRefOf(ref), batch }, recipients)));
      // The progress API looks a little past `batchesWritten` while resolving: the highest written so far. Only a
      // hint (the resolved row sets it exactly), so a failed update is dropped rather than failing the run.
      highestWritten = Math.max(highestWritten, (count - 1) * ranges + r);
      const batchesWritten = highestWritten + 1;
      progress = progress.then(() => deliveries.updateOccurrence(tenantId, notificationId, 0, { batchesWritten })).catch(() => undefined);
    }

    await pMap(
      Array.from({ length: ranges }, (_, r) => r),
      resolveRange,
      { concurrency: RANGE_READERS },
    );
    await progress;
    // Batches are numbered 0…n-1 across ranges cut into different counts: the gaps are written empty.
    const batches = layoutBatches({ ranges, perRange });
    const gaps: Promise<void>[] = [];
    for (let r = 0; r < ranges; r++)
      for (let sub = perRange[r]!; sub * ranges + r < batches; sub++)
        gaps.push(writeAndQueue({ ...occurrenceRefOf(ref), batch: sub * ranges + r }, []));
    await Promise.all(gaps);
    return { batches, devices: devicesFound };
  }

  /** Resolves the notification; true when that leaves it fully delivered (no device to send to, or a re-run). */
  async function resolveNotification(ref: NotificationRef, log: Log): Promise<boolean> {
    const { tenantId, notificationId } = ref;
    const occurrenceRef = occurrenceRefOf(ref);
    const notification = await notifications.getNotification(tenantId, notificationId);
    if (!notification) return false;
    const occ = await deliveries.startOccurrence(tenantId, notificationId, 0, 'push', clock.now());
    if (occ.state === 'resolved') return isDelivered(occurrenceRef);

    let resolved: { batches: number; devices: number };
    if (notification.deviceId) {
      const device = await devices.getDevice(tenantId, notification.deviceId);
      const recipients = qualifies(device) ? [recipientOf(device)] : [];
      resolved = { batches: 1, devices: recipients.length };
      await notifications.setBatches(tenantId, notificationId, resolved.batches, resolved.devices);
      await writeAndQueue({ ...occurrenceRef, batch: 0 }, recipients);
    } else {
      const users = await usersOf(ref, notification.groups ?? [], log);
      if (!users) return false;
      log(`notification ${notificationId}: ${users.size} users in the groups; reading their devices`);
      resolved = await resolveRanges(ref, users, notification.layout);
      await notifications.setBatches(tenantId, notificationId, resolved.batches, resolved.devices);
    }

    await deliveries.updateOccurrence(tenantId, notificationId, 0, {
      state: 'resolved',
      resolvedAt: new Date(clock.now()).toISOString(),
      recipients: resolved.devices,
      batches: resolved.batches,
      batchesWritten: resolved.batches,
    });
    log(`notification ${notificationId}: ${resolved.devices} devices in ${resolved.batches} batches`);
    return isDelivered(occurrenceRef);
  }

  return { resolveNotification, failNotification };
}

const occurrenceRefOf = (ref: NotificationRef) => ({ tenantId: ref.tenantId, messageId: ref.notificationId, occurrence: 0 });
