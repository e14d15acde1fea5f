/**
 * How a custom notification's batch is sent (the batch worker, jobs/delivery/deliverBatch, does the
 * rest): each chunk through FCM and APNs at once, and every device whose token the provider calls dead is
 * marked stale so nothing is sent to it again.
 */
import type { BatchRef } from '../../core/hops.js';
import type { PushPlatform } from '../../core/notification.js';
import type { NotificationRecord } from '../../adapters/stores/notificationStore.js';
import type { ChunkSender, Outcomes } from '../delivery/deliverBatch.js';
import type { Clock } from '../delivery/deliveryPorts.js';
import type { PushPorts } from './pushJobs.js';

export type PushSenderPorts = Pick<PushPorts, 'notifications' | 'sendPush'> & {
  devices: Pick<PushPorts['devices'], 'markStale'>;
  clock: Pick<Clock, 'now'>;
};

export function createPushSender({ notifications, devices, sendPush, clock }: PushSenderPorts) {
  return function pushSender(ref: BatchRef): ChunkSender {
    let notification: NotificationRecord | undefined;
    return {
      channel: 'push',
      async stopReason() {
        notification ??= await notifications.getNotification(ref.tenantId, ref.messageId);
        return notification ? undefined : 'notification deleted before delivery';
      },
      async send(chunk) {
        const n = notification!;
        const targets = chunk.flatMap((d) =>
          d.device ? [{ id: d.userId, platform: d.device.platform as PushPlatform, token: d.device.token }] : [],
        );
        const results = await sendPush({ notificationId: n.id, title: n.title, body: n.body }, targets);
        const at = new Date(clock.now()).toISOString();
        const outcomes: Outcomes = new Map();
        await Promise.all(
          [...results].map(async ([deviceId, outcome]) => {
            if (outcome.dead)
              await devices.markStale(ref.tenantId, deviceId, outcome.status === 'failed' ? outcome.reason : 'dead token', at);
            const { dead: _dead, ...rest } = outcome;
            outcomes.set(deviceId, rest);
          }),
        );
        for (const d of chunk)
          if (!outcomes.has(d.userId)) outcomes.set(d.userId, { status: 'failed', reason: 'no device in the snapshot', permanent: true });
        return outcomes;
      },
    };
  };
}
