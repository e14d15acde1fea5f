/**
 * Sending a custom notification, as one use case: the targets checked (a device must be an enrolled iOS or
 * Android device with a live token), the hourly limits admitted — 25 group sends per tenant, 10 sends per
 * device — and the notification recorded and queued for resolution. Delivery happens on the queues
 * (resolveNotification, then the batch workers).
 */
import { RESOLVE_NOTIFICATION } from '../../core/hops.js';
import { isPushPlatform, LIMITS, type NotificationInput } from '../../core/notification.js';
import type { Actor } from '../../core/records.js';
import type { NotificationRecord } from '../../adapters/stores/notificationStore.js';
import type { Clock } from '../delivery/deliveryPorts.js';
import type { PushPorts } from './pushJobs.js';

/** The send cannot go: `field` says which part of the request, `status` how to answer. */
export class SendRefused extends Error {
  constructor(
    readonly status: 400 | 404,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Over one of the hourly limits; the next send is allowed after `retryAfterMs`. */
export class SendLimited extends Error {
  constructor(
    readonly retryAfterMs: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SendCommand {
  tenantId: string;
  sender: Actor;
  input: NotificationInput;
  resendOf?: string;
}

export type NotificationSendPorts = Pick<PushPorts, 'admitSend' | 'enqueue'> & {
  clock: Pick<Clock, 'now'>;
  devices: Pick<PushPorts['devices'], 'getDevice'>;
  notifications: Pick<PushPorts['notifications'], 'createNotification'>;
};

export function createNotificationSends({ devices, notifications, admitSend, enqueue, clock }: NotificationSendPorts) {
  return {
    async sendNotification({ tenantId, sender, input, resendOf }: SendCommand): Promise<NotificationRecord> {
      const at = clock.now();
      if (input.deviceId) {
        const device = await devices.getDevice(tenantId, input.deviceId);
        if (!device) throw new SendRefused(404, 'deviceId', `there is no device ${input.deviceId}`);
        if (!isPushPlatform(device.platform))
          throw new SendRefused(400, 'deviceId', `is a ${device.platform} device: custom notifications reach iOS and Android devices only`);
        if (!device.enrolled) throw new SendRefused(400, 'deviceId', 'is not enrolled: custom notifications reach enrolled devices only');
        if (device.staleSince)
          throw new SendRefused(
            400,
            'deviceId',
            `has a dead push token (${device.staleReason ?? 'unregistered'}): the app must register again`,
          );
        const verdict = await admitSend(tenantId, { kind: 'device', deviceId: device.id }, LIMITS.deviceSendsPerHour, at);
        if (!verdict.admitted)
          throw new SendLimited(verdict.retryAfterMs, `at most ${LIMITS.deviceSendsPerHour} notifications an hour go to one device`);
      } else {
        const verdict = await admitSend(tenantId, { kind: 'groups' }, LIMITS.groupSendsPerHour, at);
        if (!verdict.admitted)
          throw new SendLimited(verdict.retryAfterMs, `at most ${LIMITS.groupSendsPerHour} group notifications an hour per organisation`);
      }
      const notification = await notifications.createNotification(
        tenantId,
        {
          title: input.title,
          body: input.body,
          ...(input.groups ? { groups: input.groups.map((g) => g.toLowerCase()) } : {}),
          ...(input.deviceId ? { deviceId: input.deviceId } : {}),
          sender,
          ...(resendOf ? { resendOf } : {}),
        },
        at,
      );
      await enqueue(RESOLVE_NOTIFICATION, { tenantId, notificationId: notification.id });
      return notification;
    },
  };
}
