/**
 * How a custom notification's batch is sent (the batch worker, jobs/delivery/deliverBatch, does the
 * rest): each chunk through FCM and APNs at once, and every device whose token the provider calls dead is
 * marked stale so nothing is sent to it again. An Android app below its minimum version cannot show a
 * custom notification: that device is sent the prompt to update instead, and its row, sent, says so.
 */
import type { Delivery } from '../../core/delivery.js';
import type { BatchRef } from '../../core/hops.js';
import { needsAppUpdate, updatePrompt, updatePromptReason, type DeviceApp, type PushPlatform } from '../../core/notification.js';
import type { PushContent, PushTarget } from '../../adapters/services/pushProviders.js';
import type { NotificationRecord } from '../../adapters/stores/notificationStore.js';
import type { ChunkSender, Outcomes } from '../delivery/deliverBatch.js';
import type { Clock } from '../delivery/deliveryPorts.js';
import type { PushPorts } from './pushJobs.js';

export type PushSenderPorts = Pick<PushPorts, 'notifications' | 'sendPush'> & {
  devices: Pick<PushPorts['devices'], 'markStale'>;
  clock: Pick<Clock, 'now'>;
};

/** The update prompt the device gets in place of the notification, and what its row says of it; none: the notification. */
function updateFor(device: NonNullable<Delivery['device']>): { app: DeviceApp; reason: string } | undefined {
  const { platform, appVersion, app = 'companyPortal' } = device;
  // A snapshot from before devices kept their app and version cannot tell: it gets the notification, as it did.
  if (appVersion === undefined || !needsAppUpdate({ platform, app, appVersion })) return undefined;
  return { app, reason: updatePromptReason(app, appVersion) };
}

export function createPushSender({ notifications, devices, sendPush, clock }: PushSenderPorts) {
  return function pushSender(ref: BatchRef): ChunkSender {
    let notification: NotificationRecord | undefined;
    return {
      channel: 'push',
      // FCM HTTP v1 has no idempotency key (a collapse key is not one), so a device in doubt is never sent again.
      resendable: false,
      async stopReason() {
        notification ??= await notifications.getNotification(ref.tenantId, ref.messageId);
        return notification ? undefined : 'notification deleted before delivery';
      },
      async send(chunk, inFlight) {
        const n = notification!;
        // One send per content: the notification, and each app's update prompt, which goes under the id of the
        // notification it stands in for.
        const sends = new Map<DeviceApp | 'notification', { content: PushContent; targets: PushTarget[] }>();
        const prompted = new Map<string, string>();
        for (const d of chunk) {
          if (!d.device) continue;
          const update = updateFor(d.device);
          const key = update?.app ?? 'notification';
          let send = sends.get(key);
          if (!send) {
            const words = update ? updatePrompt(update.app) : { title: n.title, body: n.body };
            send = { content: { notificationId: n.id, ...words }, targets: [] };
            sends.set(key, send);
          }
          send.targets.push({ id: d.userId, platform: d.device.platform as PushPlatform, token: d.device.token });
          if (update) prompted.set(d.userId, update.reason);
        }
        await inFlight(chunk);
        const results = await Promise.all([...sends.values()].map(({ content, targets }) => sendPush(content, targets)));
        const at = new Date(clock.now()).toISOString();
        const outcomes: Outcomes = new Map();
        await Promise.all(
          results
            .flatMap((r) => [...r])
            .map(async ([deviceId, outcome]) => {
              if (outcome.dead)
                await devices.markStale(ref.tenantId, deviceId, outcome.status === 'failed' ? outcome.reason : 'dead token', at);
              const { dead: _dead, ...rest } = outcome;
              const reason = prompted.get(deviceId);
              outcomes.set(deviceId, rest.status === 'sent' && reason ? { status: 'sent', reason } : rest);
            }),
        );
        for (const d of chunk)
          if (!outcomes.has(d.userId)) outcomes.set(d.userId, { status: 'failed', reason: 'no device in the snapshot', permanent: true });
        return outcomes;
      },
    };
  };
}
