/** Reaching a device on behalf of a caller, and what a client sees of it: for the device routes and for reports of opened notifications. */
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { getDevice, type Device } from '../../adapters/stores/deviceStore.js';
import { can } from '../../core/roles.js';
import { Problem } from './problem.js';
import type { DeviceView } from './schemas/deviceSchemas.js';

export const deviceView = (d: Device): z.output<typeof DeviceView> => ({
  id: d.id,
  userId: d.userId,
  platform: d.platform,
  app: d.app,
  appVersion: d.appVersion,
  enrolled: d.enrolled,
  receivesNotifications: d.enrolled && (d.platform === 'ios' || d.platform === 'android') && !d.staleSince,
  registeredAt: d.registeredAt,
  updatedAt: d.updatedAt,
  ...(d.staleSince ? { staleSince: d.staleSince, staleReason: d.staleReason ?? '' } : {}),
});

/** The caller's own device, or any device of the tenant for a Tenant.Admin; 404 otherwise. */
export async function deviceFor(caller: Caller, id: string): Promise<Device> {
  const device = await getDevice(caller.tenantId, id);
  if (!device || (device.userId !== caller.userId && !can(caller, 'tenant.configure')))
    throw new Problem('not-found', `there is no device ${id} of yours`);
  return device;
}
