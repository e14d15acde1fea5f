/**
 * Custom notifications (seed 002), `/api/notifications`:
 * - `POST`: send a title and body to groups (role Notifications.Send.Groups) or one device
 *   (Notifications.Send.Device), within the seed's hourly limits (429 with Retry-After past them);
 * - `GET` (either role): the history, newest first, with each one's delivery counts; `GET /{id}` one;
 *   `GET /{id}/devices` each device's status; `POST /{id}/resend` the same text to the same targets again;
 * - `POST /{id}/opened` (any signed-in user, for their own device): the app reports an open.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import { count } from '../../adapters/stores/counterStore.js';
import { decodeRecipientContinuation, deliveryRow, listDeliveries } from '../../adapters/stores/deliveryStore.js';
import { getNotification, listNotifications, type NotificationRecord } from '../../adapters/stores/notificationStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { DELIVERY_STATUSES } from '../../core/delivery.js';
import { batchOf, DEVICE_ID, NotificationInput } from '../../core/notification.js';
import { dayOf, eventContribution } from '../../core/reportMath.js';
import { ACTIONS, can } from '../../core/roles.js';
import { sendNotification, SendLimited, SendRefused } from '../../jobs/push/sendNotification.js';
import { deviceFor } from './devices.js';
import { actor } from './messages.js';
import { notificationViews, NotificationView, OPENED, sentToOwner } from './notificationHistory.js';
import { handle, Problem, validationProblem } from './problem.js';
import { authorize, jsonBody, signedIn } from './request.js';

export const NotificationPage = z.object({ items: z.array(NotificationView), continuation: z.string().optional() });

export const HistoryParams = z
  .object({
    pageSize: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').default(25),
    continuation: z
      .string()
      .regex(/^[0-9a-f]{21}$/, 'is not one this API handed out')
      .optional(),
  })
  .strict();

export const DeviceStatusParams = z
  .object({
    status: z.enum(DELIVERY_STATUSES).optional(),
    pageSize: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 1000').max(1000, 'must be 1 to 1000').default(100),
    continuation: z.string().min(1).optional(),
  })
  .strict();

export const DeviceStatusPage = z.object({
  items: z.array(
    z.object({
      deviceId: z.string(),
      userId: z.string(),
      upn: z.string(),
      platform: z.string(),
      status: z.enum(DELIVERY_STATUSES),
      reason: z.string().optional(),
      sentAt: z.string().optional(),
    }),
  ),
  continuation: z.string().optional(),
});

export const OpenedInput = z.object({ deviceId: z.string().regex(DEVICE_ID, 'must be a device id') }).strict();
export const OpenedReceipt = z.object({ recorded: z.boolean(), duplicate: z.boolean() });

/** Maps the use case's refusals onto problems: the field and rule, or when to try again. */
async function send(request: HttpRequest, caller: Caller, input: NotificationInput, resendOf?: string): Promise<HttpResponseInit> {
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

async function create(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'notification.read');
  const input = await jsonBody(request, NotificationInput);
  checkRole(caller, input);
  return send(request, caller, input);
}

async function existing(caller: Caller, id: string): Promise<NotificationRecord> {
  const n = await getNotification(caller.tenantId, id);
  if (!n) throw new Problem('not-found', `there is no notification ${id}`);
  return n;
}

async function resend(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'notification.read');
  const original = await existing(caller, request.params.id!);
  const input: NotificationInput = {
    title: original.title,
    body: original.body,
    ...(original.groups ? { groups: original.groups } : { deviceId: original.deviceId! }),
  };
  checkRole(caller, input);
  return send(request, caller, input, original.id);
}

async function list(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'notification.read');
  const params = HistoryParams.safeParse(Object.fromEntries(request.query));
  if (!params.success) throw validationProblem(params.error.issues);
  const records = await listNotifications(caller.tenantId, params.data.pageSize + 1, params.data.continuation);
  const shown = records.slice(0, params.data.pageSize);
  const body: z.output<typeof NotificationPage> = {
    items: await notificationViews(caller.tenantId, shown),
    ...(records.length > shown.length ? { continuation: shown[shown.length - 1]!.id } : {}),
  };
  return { jsonBody: body };
}

async function read(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'notification.read');
  const [view] = await notificationViews(caller.tenantId, [await existing(caller, request.params.id!)]);
  return { jsonBody: view };
}

async function deviceStatuses(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'notification.read');
  const n = await existing(caller, request.params.id!);
  const params = DeviceStatusParams.safeParse(Object.fromEntries(request.query));
  if (!params.success) throw validationProblem(params.error.issues);
  const after = params.data.continuation ? decodeRecipientContinuation(params.data.continuation) : undefined;
  if (params.data.continuation && !after)
    throw new Problem('validation', 'continuation is not one this API handed out', [
      { path: 'continuation', message: 'is not one this API handed out' },
    ]);
  const page = await listDeliveries(caller.tenantId, n.id, 0, n.batches ?? 0, {
    pageSize: params.data.pageSize,
    ...(params.data.status ? { status: params.data.status } : {}),
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

async function opened(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await signedIn(request);
  const { deviceId } = await jsonBody(request, OpenedInput);
  const n = await getNotification(caller.tenantId, request.params.id!);
  const device = await deviceFor(caller, deviceId);
  const notFound = new Problem('not-found', `notification ${request.params.id} did not reach device ${deviceId}`);
  if (!n || n.batches === undefined || device.userId !== caller.userId || !sentToOwner(n, device)) throw notFound;
  const row = await deliveryRow(
    { tenantId: caller.tenantId, messageId: n.id, occurrence: 0, batch: batchOf(device.id, n.batches) },
    device.id,
  );
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

app.http('notifications', {
  methods: ['GET', 'POST'],
  route: 'notifications',
  authLevel: 'anonymous',
  handler: handle((request) => (request.method === 'POST' ? create(request) : list(request))),
});
app.http('notification', { methods: ['GET'], route: 'notifications/{id}', authLevel: 'anonymous', handler: handle(read) });
app.http('notificationDevices', {
  methods: ['GET'],
  route: 'notifications/{id}/devices',
  authLevel: 'anonymous',
  handler: handle(deviceStatuses),
});
app.http('notificationResend', { methods: ['POST'], route: 'notifications/{id}/resend', authLevel: 'anonymous', handler: handle(resend) });
app.http('notificationOpened', { methods: ['POST'], route: 'notifications/{id}/opened', authLevel: 'anonymous', handler: handle(opened) });
