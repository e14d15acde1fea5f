/** What custom notifications read and answer (`/api/notifications…`, `/api/devices/{id}/notifications`). */
import { z } from 'zod';
import { DELIVERY_STATUSES } from '../../../core/delivery.js';
import { DEVICE_ID, NotificationInput } from '../../../core/notification.js';
import { requestComponents, responseComponents } from './components.js';

NotificationInput.register(requestComponents, { id: 'NotificationInput' });
export { NotificationInput };

export const NotificationView = z
  .object({
    id: z.string(),
    title: z.string(),
    body: z.string(),
    groups: z.array(z.string()).optional(),
    deviceId: z.string().optional(),
    sentBy: z.object({ id: z.string(), upn: z.string(), name: z.string() }),
    sentAt: z.iso.datetime(),
    resendOf: z.string().optional(),
    status: z.enum(['resolving', 'sending', 'done', 'failed']),
    reason: z.string().optional(),
    devices: z.number().int().describe('Devices targeted (known once resolved).'),
    sent: z.number().int(),
    failed: z.number().int(),
    unconfirmed: z
      .number()
      .int()
      .describe('Sent once or not at all: in flight when its worker stopped; never sent again, as FCM cannot tell a repeat.'),
    pending: z.number().int(),
    opened: z.number().int().describe('Devices on which the notification was opened (the app reports it).'),
  })
  .register(responseComponents, { id: 'NotificationView' });

export const DeviceHistory = z
  .object({
    items: z.array(z.object({ id: z.string(), title: z.string(), body: z.string(), sentAt: z.iso.datetime(), opened: z.boolean() })),
  })
  .register(responseComponents, { id: 'DeviceHistory' });

export const NotificationPage = z
  .object({ items: z.array(NotificationView), continuation: z.string().optional() })
  .register(responseComponents, { id: 'NotificationPage' });

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

export const DeviceStatusPage = z
  .object({
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
  })
  .register(responseComponents, { id: 'DeviceStatusPage' });

export const OpenedInput = z
  .object({ deviceId: z.string().regex(DEVICE_ID, 'must be a device id') })
  .strict()
  .register(requestComponents, { id: 'OpenedInput' });
export const OpenedReceipt = z
  .object({ recorded: z.boolean(), duplicate: z.boolean() })
  .register(responseComponents, { id: 'OpenedReceipt' });
