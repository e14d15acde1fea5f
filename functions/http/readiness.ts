/**
 * `GET /api/readiness/devices` (Tenant.Admin): the people and devices that cannot receive Windows-surface
 * messages, as the inbox recorded them from the devices' own reports (inbox.ts), with the reason.
 */
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { InvalidContinuation, listBlockedDevices } from '../../adapters/stores/readinessStore.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { ReadinessPage, ReadinessParams } from './schemas/readinessSchemas.js';

async function list(caller: Caller, params: z.output<typeof ReadinessParams>) {
  try {
    const body: z.output<typeof ReadinessPage> = await listBlockedDevices(caller.tenantId, params.pageSize, params.continuation);
    return { jsonBody: body };
  } catch (error) {
    if (error instanceof InvalidContinuation)
      throw new Problem('validation', error.message, [{ path: 'continuation', message: 'is not a token this API handed out' }]);
    throw error;
  }
}

route({
  name: 'readinessDevices',
  route: 'readiness/devices',
  tag: 'inbox',
  method: 'GET',
  operationId: 'listBlockedDevices',
  summary: 'The people and devices that cannot receive Windows-surface messages, and why',
  description:
    'Windows surfaces (Spotlight, Notification Center, Taskbar) need Windows 11 Enterprise on a Microsoft Entra joined ' +
    'device. Each device that reported otherwise on `GET /api/inbox` is listed with the reason, its edition and join type as ' +
    'reported, and when it was last seen, by user and device name; it leaves the list when it reports that it meets them. ' +
    'A device that reports nothing is not judged and not listed. A person a delivery policy (`/api/policies`) keeps from a ' +
    'surface is listed once per surface, with `surface`, `policyId` and `policyName`, from their first poll of it until ' +
    'no policy blocks it. Follow `continuation` for the next page.',
  role: 'tenant.readiness',
  query: ReadinessParams,
  response: { status: 200, description: 'One page of blocked devices.', schema: ReadinessPage },
  problems: [],
  handler: async ({ caller, query }) => list(caller, query()),
});
