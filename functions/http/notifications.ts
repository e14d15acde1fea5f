/**
 * Custom notifications (seed 002), `/api/notifications`:
 * - `POST`: send a title and body to groups (role Notifications.Send.Groups) or one device
 *   (Notifications.Send.Device), within the seed's hourly limits (429 with Retry-After past them);
 * - `GET` (either role): the history, newest first, with each one's delivery counts; `GET /{id}` one;
 *   `GET /{id}/devices` each device's status; `POST /{id}/resend` the same text to the same targets again;
 * - `POST /{id}/opened` (any signed-in user, for their own device): the app reports an open.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import { count } from '../../adapters/stores/counterStore.js';
import { decodeRecipientContinuation, deliveryRow, listDeliveries } from '../../adapters/stores/deliveryStore.js';
import { getNotification, listNotifications, type NotificationRecord } from '../../adapters/stores/notificationStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { deviceBatch } from '../../core/notification.js';
import { dayOf, eventContribution } from '../../core/reportMath.js';
import { ACTIONS, can } from '../../core/roles.js';
import { sendNotification, SendLimited, SendRefused } from '../../jobs/push/sendNotification.js';
import { deviceFor } from './deviceAccess.js';
import { requireKnownAudience } from './directoryChecks.js';
import { actor } from './messageAccess.js';
import { notificationViews, OPENED, sentToOwner } from './notificationHistory.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import {
  DeviceStatusPage,
  DeviceStatusParams,
  HistoryParams,
  NotificationInput,
  NotificationPage,
  NotificationView,
  OpenedInput,
  OpenedReceipt,
} from './schemas/notificationSchemas.js';

/** Maps the use case's refusals onto problems: the field and rule, or when to try again. */
async function send(request: HttpRequest, caller: Caller, input: NotificationInput, resendOf?: string): Promise<HttpResponseInit> {
  // Before the hourly allowance is spent: a group the organisation does not have is the sender's mistake, now.
  if (input.groups?.length) await requireKnownAudience(caller.tenantId, { groups: input.groups }, '');
  try {
    const sent = await sendNotification({ tenantId: caller.tenantId, sender: actor(caller), input, ...(resendOf ? { resendOf } : {}) });
    const [view] = await notificationViews(caller.tenantId, [sent]);
    return { status: 202, headers: { location: new URL(`/api/notifications/${sent.id}`, request.url).toString() }, jsonBody: view };
  } catch (error) {
    if (error instanceof SendRefused)
      throw new Problem(error.status === 404 ? 'not-found' : 'validation', `${error.field} ${error.message}`, [
        { path: error.field, message: error.message },
      ]);
    if (error instanceof SendLimited) {
      const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
      throw new Problem('rate-limited', `${error.message}; the next one is allowed in ${seconds} s`, [], {
        'retry-after': String(seconds),
      });
    }
    throw error;
  }
}

const roleFor = (input: { deviceId?: string }) => (input.deviceId ? 'notification.sendDevice' : 'notification.sendGroups');

/** A sender holding one send role asking for the other kind of send. */
function checkRole(caller: Caller, input: { deviceId?: string }) {
  if (!can(caller, roleFor(input)))
    throw new Problem('forbidden', `sending to ${input.deviceId ? 'a device' : 'groups'} needs the role ${ACTIONS[roleFor(input)][0]}`);
}

async function create(request: HttpRequest, caller: Caller, input: NotificationInput): Promise<HttpResponseInit> {
  checkRole(caller, input);
  return send(request, caller, input);
}

async function existing(caller: Caller, id: string): Promise<NotificationRecord> {
  const n = await getNotification(caller.tenantId, id);
  if (!n) throw new Problem('not-found', `there is no notification ${id}`);
  return n;
}

async function resend(request: HttpRequest, caller: Caller, id: string): Promise<HttpResponseInit> {
  const original = await existing(caller, id);
  const input: NotificationInput = {
    title: original.title,
    body: original.body,
    ...(original.groups ? { groups: original.groups } : { deviceId: original.deviceId! }),
  };
  checkRole(caller, input);
  return send(request, caller, input, original.id);
}

async function list(caller: Caller, params: z.output<typeof HistoryParams>): Promise<HttpResponseInit> {
  const records = await listNotifications(caller.tenantId, params.pageSize + 1, params.continuation);
  const shown = records.slice(0, params.pageSize);
  const body: z.output<typeof NotificationPage> = {
    items: await notificationViews(caller.tenantId, shown),
    ...(records.length > shown.length ? { continuation: shown[shown.length - 1]!.id } : {}),
  };
  return { jsonBody: body };
}

async function read(caller: Caller, id: string): Promise<HttpResponseInit> {
  const [view] = await notificationViews(caller.tenantId, [await existing(caller, id)]);
  return { jsonBody: view };
}

async function deviceStatuses(caller: Caller, id: string, query: () => z.output<typeof DeviceStatusParams>): Promise<HttpResponseInit> {
  const n = await existing(caller, id);
  const params = query();
  const after = params.continuation ? decodeRecipientContinuation(params.continuation) : undefined;
  if (params.continuation && !after)
    throw new Problem('validation', 'continuation is not one this API handed out', [
      { path: 'continuation', message: 'is not one this API handed out' },
    ]);
  const page = await listDeliveries(caller.tenantId, n.id, 0, n.batches ?? 0, {
    pageSize: params.pageSize,
    ...(params.status ? { status: params.status } : {}),
    ...(after ? { after } : {}),
  });
  const body: z.output<typeof DeviceStatusPage> = {
    items: page.items.map((d) => ({
      deviceId: d.userId,
      userId: d.device?.owner ?? '',
      upn: d.upn,
      platform: d.device?.platform ?? '',
      status: d.status,
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.sentAt ? { sentAt: d.sentAt } : {}),
    })),
    ...(page.continuation ? { continuation: page.continuation } : {}),
  };
  return { jsonBody: body };
}

async function opened(caller: Caller, id: string, { deviceId }: z.output<typeof OpenedInput>): Promise<HttpResponseInit> {
  const n = await getNotification(caller.tenantId, id);
  const device = await deviceFor(caller, deviceId);
  const notFound = new Problem('not-found', `notification ${id} did not reach device ${deviceId}`);
  const batch = n && deviceBatch(device.id, n);
  if (!n || batch === undefined || device.userId !== caller.userId || !sentToOwner(n, device)) throw notFound;
  const row = await deliveryRow({ tenantId: caller.tenantId, messageId: n.id, occurrence: 0, batch }, device.id);
  if (row?.status !== 'sent') throw notFound;
  const at = now();
  const { timeZone } = await getTenantSettings(caller.tenantId);
  // One open per device: the counter's marker makes a second report a duplicate.
  const { contribution } = eventContribution('clicked', 'push', dayOf(at, timeZone), undefined);
  const recorded = await count(caller.tenantId, n.id, {
    kind: 'event',
    userId: device.id,
    eventKey: OPENED,
    type: 'opened',
    at,
    contribution,
  });
  const body: z.output<typeof OpenedReceipt> = { recorded, duplicate: !recorded };
  return { status: recorded ? 201 : 200, jsonBody: body };
}

const NOTIFICATION_PARAMS = { id: 'The notification id.' };

route({
  name: 'notifications',
  route: 'notifications',
  tag: 'notifications',
  methods: (op) => ({
    GET: op({
      operationId: 'listNotifications',
      summary: 'Every notification sent, newest first, with delivery counts',
      role: 'notification.read',
      query: HistoryParams,
      response: { status: 200, description: 'One page; follow `continuation` for the next.', schema: NotificationPage },
      problems: [],
      handler: async ({ caller, query }) => list(caller, query()),
    }),
    POST: op({
      operationId: 'sendNotification',
      summary: 'Send a custom notification to groups or to one device',
      description:
        'A title (≤ 50 characters) and body (≤ 500) to 1–25 groups (role Notifications.Send.Groups; nested groups are followed ' +
        'and do not count) — every enrolled iOS/Android device their users registered — or to one device (role ' +
        'Notifications.Send.Device; a Windows or macOS, unenrolled or dead device is refused with 400). At most 25 group ' +
        'notifications an hour per organisation and 10 an hour to one device: past that, 429 with Retry-After. Delivery ' +
        'follows on queues; the answer is the notification as recorded.',
      role: 'notification.read',
      body: NotificationInput,
      response: { status: 202, description: 'Accepted and recorded; delivery has started.', schema: NotificationView, location: 'created' },
      problems: ['forbidden', 'not-found', 'rate-limited'],
      handler: async ({ request, caller, body }) => create(request, caller, await body()),
    }),
  }),
});

route({
  name: 'notification',
  route: 'notifications/{id}',
  tag: 'notifications',
  params: NOTIFICATION_PARAMS,
  method: 'GET',
  operationId: 'getNotification',
  summary: 'One notification: text, sender, targets, time, state and counts',
  role: 'notification.read',
  response: { status: 200, description: 'The notification.', schema: NotificationView },
  problems: ['not-found'],
  handler: async ({ caller, params }) => read(caller, params.id),
});

route({
  name: 'notificationDevices',
  route: 'notifications/{id}/devices',
  tag: 'notifications',
  params: NOTIFICATION_PARAMS,
  method: 'GET',
  operationId: 'listNotificationDevices',
  summary: 'Each targeted device’s status (sent, failed with the reason, pending), paged',
  role: 'notification.read',
  query: DeviceStatusParams,
  response: { status: 200, description: 'One page of devices.', schema: DeviceStatusPage },
  problems: ['validation', 'not-found'],
  handler: async ({ caller, params, query }) => deviceStatuses(caller, params.id, query),
});

route({
  name: 'notificationResend',
  route: 'notifications/{id}/resend',
  tag: 'notifications',
  params: NOTIFICATION_PARAMS,
  method: 'POST',
  operationId: 'resendNotification',
  summary: 'Send the same text to the same targets again, as a new notification',
  description: 'The limits apply as to any send; the new notification names the one it repeats in `resendOf`.',
  role: 'notification.read',
  response: { status: 202, description: 'The new notification.', schema: NotificationView, location: 'created' },
  problems: ['validation', 'forbidden', 'not-found', 'rate-limited'],
  handler: async ({ request, caller, params }) => resend(request, caller, params.id),
});

route({
  name: 'notificationOpened',
  route: 'notifications/{id}/opened',
  tag: 'notifications',
  params: NOTIFICATION_PARAMS,
  method: 'POST',
  operationId: 'reportNotificationOpened',
  summary: 'The app reports that the user opened the notification on their device',
  description: 'Counted once per device: a repeat answers 200 `{recorded: false, duplicate: true}`.',
  role: 'device',
  body: OpenedInput,
  response: { status: 201, description: 'Recorded (200 when it had been before).', schema: OpenedReceipt },
  problems: ['not-found'],
  handler: async ({ caller, params, body }) => opened(caller, params.id, await body()),
});
