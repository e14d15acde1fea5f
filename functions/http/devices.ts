/**
 * Devices for custom notifications (seed 002). The organisation's mobile app registers the device it runs on
 * for the signed-in user (`POST /api/devices`), lists and unregisters its user's devices, and reads what was
 * sent to a device (`GET /api/devices/{id}/notifications`, its Notifications tab); a Tenant.Admin lists any
 * user's devices (`GET /api/users/{userId}/devices`) and may unregister any device.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import { devicesOf, getDevice, registerDevice, removeDevice, type Device } from '../../adapters/stores/deviceStore.js';
import { DeviceInput, PLATFORMS } from '../../core/notification.js';
import { can } from '../../core/roles.js';
import { deviceHistory } from './notificationHistory.js';
import { handle, Problem } from './problem.js';
import { authorize, jsonBody, signedIn } from './request.js';

export const DeviceView = z.object({
  id: z.string(),
  userId: z.string(),
  platform: z.enum(PLATFORMS),
  appVersion: z.string(),
  enrolled: z.boolean(),
  /** Custom notifications reach enrolled iOS and Android devices whose token is alive. */
  receivesNotifications: z.boolean(),
  registeredAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  staleSince: z.iso.datetime().optional().describe('The push service said the token is dead; register again to revive it.'),
  staleReason: z.string().optional(),
});
export const DeviceList = z.object({ items: z.array(DeviceView) });

export const deviceView = (d: Device): z.output<typeof DeviceView> => ({
  id: d.id,
  userId: d.userId,
  platform: d.platform,
  appVersion: d.appVersion,
  enrolled: d.enrolled,
  receivesNotifications: d.enrolled && (d.platform === 'ios' || d.platform === 'android') && !d.staleSince,
  registeredAt: d.registeredAt,
  updatedAt: d.updatedAt,
  ...(d.staleSince ? { staleSince: d.staleSince, staleReason: d.staleReason ?? '' } : {}),
});

async function register(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await signedIn(request);
  const input = await jsonBody(request, DeviceInput);
  const { device, created } = await registerDevice(
    caller.tenantId,
    { userId: caller.userId, upn: caller.upn },
    input,
    new Date(now()).toISOString(),
  );
  const location = new URL(`/api/devices/${device.id}`, request.url).toString();
  return { status: created ? 201 : 200, headers: { location }, jsonBody: deviceView(device) };
}

/** The caller's own device, or any device of the tenant for a Tenant.Admin; 404 otherwise. */
export async function deviceFor(caller: Caller, id: string): Promise<Device> {
  const device = await getDevice(caller.tenantId, id);
  if (!device || (device.userId !== caller.userId && !can(caller, 'tenant.configure')))
    throw new Problem('not-found', `there is no device ${id} of yours`);
  return device;
}

async function listMine(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await signedIn(request);
  const body: z.output<typeof DeviceList> = { items: (await devicesOf(caller.tenantId, caller.userId)).map(deviceView) };
  return { jsonBody: body };
}

async function listUsers(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'tenant.configure');
  const body: z.output<typeof DeviceList> = { items: (await devicesOf(caller.tenantId, request.params.userId!)).map(deviceView) };
  return { jsonBody: body };
}

async function unregister(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await signedIn(request);
  const device = await deviceFor(caller, request.params.id!);
  await removeDevice(caller.tenantId, device.id);
  return { status: 204 };
}

async function read(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await signedIn(request);
  return { jsonBody: deviceView(await deviceFor(caller, request.params.id!)) };
}

async function notifications(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await signedIn(request);
  const device = await deviceFor(caller, request.params.id!);
  return { jsonBody: await deviceHistory(caller.tenantId, device), headers: { 'cache-control': 'private, no-store' } };
}

app.http('devices', {
  methods: ['GET', 'POST'],
  route: 'devices',
  authLevel: 'anonymous',
  handler: handle((request) => (request.method === 'POST' ? register(request) : listMine(request))),
});
app.http('device', {
  methods: ['GET', 'DELETE'],
  route: 'devices/{id}',
  authLevel: 'anonymous',
  handler: handle((request) => (request.method === 'DELETE' ? unregister(request) : read(request))),
});
app.http('deviceNotifications', {
  methods: ['GET'],
  route: 'devices/{id}/notifications',
  authLevel: 'anonymous',
  handler: handle(notifications),
});
app.http('userDevices', { methods: ['GET'], route: 'users/{userId}/devices', authLevel: 'anonymous', handler: handle(listUsers) });
