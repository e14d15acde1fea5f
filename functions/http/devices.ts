/**
 * Devices for custom notifications (seed 002). The organisation's mobile app registers the device it runs on
 * for the signed-in user (`POST /api/devices`), lists and unregisters its user's devices, and reads what was
 * sent to a device (`GET /api/devices/{id}/notifications`, its Notifications tab); a Tenant.Admin lists any
 * user's devices (`GET /api/users/{userId}/devices`) and may unregister any device.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import { devicesOf, registerDevice, removeDevice } from '../../adapters/stores/deviceStore.js';
import { deviceFor, deviceView } from './deviceAccess.js';
import { deviceHistory } from './notificationHistory.js';
import { route } from './routes.js';
import { DeviceInput, DeviceList, DeviceView } from './schemas/deviceSchemas.js';
import { DeviceHistory } from './schemas/notificationSchemas.js';

const DEVICE_PARAMS = { id: 'The device id.' };

async function register(request: HttpRequest, caller: Caller, input: z.output<typeof DeviceInput>): Promise<HttpResponseInit> {
  const { device, created } = await registerDevice(
    caller.tenantId,
    { userId: caller.userId, upn: caller.upn },
    input,
    new Date(now()).toISOString(),
  );
  const location = new URL(`/api/devices/${device.id}`, request.url).toString();
  return { status: created ? 201 : 200, headers: { location }, jsonBody: deviceView(device) };
}

async function list(tenantId: string, userId: string): Promise<HttpResponseInit> {
  const body: z.output<typeof DeviceList> = { items: (await devicesOf(tenantId, userId)).map(deviceView) };
  return { jsonBody: body };
}

async function unregister(caller: Caller, id: string): Promise<HttpResponseInit> {
  const device = await deviceFor(caller, id);
  await removeDevice(caller.tenantId, device.id);
  return { status: 204 };
}

async function notifications(caller: Caller, id: string): Promise<HttpResponseInit> {
  const device = await deviceFor(caller, id);
  return { jsonBody: await deviceHistory(caller.tenantId, device), headers: { 'cache-control': 'private, no-store' } };
}

route({
  name: 'devices',
  route: 'devices',
  tag: 'devices',
  methods: (op) => ({
    GET: op({
      operationId: 'listMyDevices',
      summary: 'The signed-in user’s devices',
      role: 'device',
      response: { status: 200, description: 'The devices.', schema: DeviceList },
      problems: [],
      handler: async ({ caller }) => list(caller.tenantId, caller.userId),
    }),
    POST: op({
      operationId: 'registerDevice',
      summary: 'Register the device the app runs on, for the signed-in user',
      description:
        'The organisation’s mobile app calls this with its platform, push token, version and MDM enrolment. Registering the same ' +
        'token again updates the device (200) and revives one the push service had called dead. Only enrolled iOS and Android ' +
        'devices receive custom notifications.',
      role: 'device',
      body: DeviceInput,
      response: {
        status: 201,
        description: 'Registered (200 when the token was registered before).',
        schema: DeviceView,
        location: 'created',
      },
      problems: [],
      handler: async ({ request, caller, body }) => register(request, caller, await body()),
    }),
  }),
});

route({
  name: 'device',
  route: 'devices/{id}',
  tag: 'devices',
  params: DEVICE_PARAMS,
  methods: (op) => ({
    GET: op({
      operationId: 'getDevice',
      summary: 'One of the caller’s devices (any device of the tenant for a Tenant.Admin)',
      role: 'device',
      response: { status: 200, description: 'The device.', schema: DeviceView },
      problems: ['not-found'],
      handler: async ({ caller, params }) => ({ jsonBody: deviceView(await deviceFor(caller, params.id)) }),
    }),
    DELETE: op({
      operationId: 'unregisterDevice',
      summary: 'Unregister a device (the owner, or a Tenant.Admin)',
      role: 'device',
      response: { status: 204, description: 'Unregistered: nothing more is sent to it.' },
      problems: ['not-found'],
      handler: async ({ caller, params }) => unregister(caller, params.id),
    }),
  }),
});

route({
  name: 'deviceNotifications',
  route: 'devices/{id}/notifications',
  tag: 'devices',
  params: DEVICE_PARAMS,
  method: 'GET',
  operationId: 'getDeviceNotifications',
  summary: 'What reached the device, newest first (the app’s Notifications tab)',
  description: 'Notifications of the last 30 days (at most the organisation’s latest 200) delivered to this device.',
  role: 'device',
  response: { status: 200, description: 'The device’s notifications.', schema: DeviceHistory },
  problems: ['not-found'],
  handler: async ({ caller, params }) => notifications(caller, params.id),
});

route({
  name: 'userDevices',
  route: 'users/{userId}/devices',
  tag: 'devices',
  params: { userId: 'The user’s Entra object id.' },
  method: 'GET',
  operationId: 'listUserDevices',
  summary: 'A user’s devices',
  role: 'tenant.configure',
  response: { status: 200, description: 'The devices.', schema: DeviceList },
  problems: [],
  handler: async ({ caller, params }) => list(caller.tenantId, params.userId),
});
