/**
 * `GET /api/notifications/allowance`: what is left of the hourly sending limits before a sender sends — the
 * organisation's group notifications and, with `deviceId`, one device's — read from the same rows the send
 * admits against (adapters/stores/sendLimitStore), so the figure shown is the one the next send meets.
 */
import { z } from 'zod';
import { now } from '../../adapters/runtime/clock.js';
import { admittedSends } from '../../adapters/stores/sendLimitStore.js';
import { allowance, DEVICE_ID, LIMITS } from '../../core/notification.js';
import { route } from './routes.js';
import { responseComponents } from './schemas/components.js';

const AllowanceParams = z.object({ deviceId: z.string().regex(DEVICE_ID, 'must be a device id').optional() }).strict();

const Window = z.object({
  limit: z.number().int().describe('Sends allowed in any hour.'),
  remaining: z.number().int().describe('Sends allowed now.'),
  freesAt: z.iso.datetime().optional().describe('When the oldest send of the last hour stops counting (one more is allowed then).'),
});

const NotificationAllowance = z
  .object({ groups: Window, device: Window.optional().describe('With `deviceId`: that device’s own hourly limit.') })
  .register(responseComponents, { id: 'NotificationAllowance' });

async function window(tenantId: string, key: Parameters<typeof admittedSends>[1], limit: number, at: number) {
  const { remaining, freesAt } = allowance(await admittedSends(tenantId, key), at, limit);
  return { limit, remaining, ...(freesAt !== undefined ? { freesAt: new Date(freesAt).toISOString() } : {}) };
}

route({
  name: 'notificationAllowance',
  route: 'notifications/allowance',
  tag: 'notifications',
  method: 'GET',
  operationId: 'getNotificationAllowance',
  summary: 'What is left of the hourly sending limits',
  description: `${LIMITS.groupSendsPerHour} group notifications an hour per organisation; with \`deviceId\`, also ${LIMITS.deviceSendsPerHour} an hour to that device.`,
  role: 'notification.read',
  query: AllowanceParams,
  response: { status: 200, description: 'The remaining sends, now.', schema: NotificationAllowance },
  problems: ['validation'],
  handler: async ({ caller, query }) => {
    const { deviceId } = query();
    const at = now();
    const body: z.output<typeof NotificationAllowance> = {
      groups: await window(caller.tenantId, { kind: 'groups' }, LIMITS.groupSendsPerHour, at),
      ...(deviceId ? { device: await window(caller.tenantId, { kind: 'device', deviceId }, LIMITS.deviceSendsPerHour, at) } : {}),
    };
    return { jsonBody: body };
  },
});
