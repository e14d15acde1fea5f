/**
 * Sending a custom notification (seed 002), as one use case: the targets checked (a device must be an
 * enrolled iOS or Android device with a live token), the seed's hourly limits admitted — 25 group sends per
 * tenant, 10 sends per device — and the notification recorded and queued for resolution. Delivery happens
 * on the queues (resolveNotification, then the batch workers).
 */
import { now } from '../../adapters/runtime/clock.js';
import { getDevice } from '../../adapters/stores/deviceStore.js';
import type { Actor } from '../../core/records.js';
import { createNotification, type NotificationRecord } from '../../adapters/stores/notificationStore.js';
import { admitSend } from '../../adapters/stores/sendLimitStore.js';
import { enqueue } from '../../adapters/stores/storageClients.js';
import { RESOLVE_NOTIFICATION } from '../../core/hops.js';
import { isPushPlatform, LIMITS, type NotificationInput } from '../../core/notification.js';

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

/** Over one of the seed's hourly limits; the next send is allowed after `retryAfterMs`. */
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

export async function sendNotification({ tenantId, sender, input, resendOf }: SendCommand): Promise<NotificationRecord> {
  const at = now();
  if (input.deviceId) {
    const device = await getDevice(tenantId, input.deviceId);
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
  const notification = await createNotification(
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
}
