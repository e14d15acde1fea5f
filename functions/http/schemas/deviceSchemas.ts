/** What device registration reads and answers (`/api/devices…`, `/api/users/{userId}/devices`). */
import { z } from 'zod';
import { DeviceInput, PLATFORMS } from '../../../core/notification.js';
import { requestComponents, responseComponents } from './components.js';

DeviceInput.register(requestComponents, { id: 'DeviceInput' });
export { DeviceInput };

export const DeviceView = z
  .object({
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
  })
  .register(responseComponents, { id: 'DeviceView' });
export const DeviceList = z.object({ items: z.array(DeviceView) }).register(responseComponents, { id: 'DeviceList' });
