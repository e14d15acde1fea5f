/** What device registration reads and answers (`/api/devices…`, `/api/users/{userId}/devices`). */
import { z } from 'zod';
import { DEVICE_APPS, DeviceInput, PLATFORMS } from '../../../core/notification.js';
import { requestComponents, responseComponents } from './components.js';

DeviceInput.register(requestComponents, { id: 'DeviceInput' });
export { DeviceInput };

export const DeviceView = z
  .object({
    id: z.string(),
    userId: z.string(),
    platform: z.enum(PLATFORMS),
    app: z
      .enum(DEVICE_APPS)
      .describe(
        'The app that registered the device and shows its notifications (the Company Portal for devices registered before it was kept).',
      ),
    appVersion: z.string().describe('Below its app’s minimum on Android, the device is sent a prompt to update instead of a notification.'),
    enrolled: z.boolean(),
    /** Custom notifications reach enrolled iOS and Android devices whose token is alive. */
    receivesNotifications: z.boolean(),
    registeredAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    staleSince: z.iso.datetime().optional().describe('The push service said the token is dead; register again to revive it.'),
    staleReason: z.string().optional(),
  })
  .register(responseComponents, { id: 'DeviceView' });
export const DeviceList = z.object({ items: z.array(DeviceView) }).register(responseComponents, { id: 'DeviceList' });
