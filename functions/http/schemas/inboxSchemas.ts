/** What the inbox of recipients' devices reads and answers (`/api/inbox…`). */
import { z } from 'zod';
import { INTERACTION_TYPES, SURFACES } from '../../../core/eligibility.js';
import { DeviceReport } from '../../../core/readiness.js';
import { requestComponents, responseComponents } from './components.js';

/** The surface, and the device's report of itself (core/readiness.ts), which the Windows prerequisites judge. */
export const InboxParams = z.object({
  surface: z.enum(SURFACES, { error: `must be one of ${SURFACES.join(', ')}` }),
  osEdition: DeviceReport.shape.osEdition.describe('The Windows edition, e.g. `Windows 11 Enterprise`.'),
  joinType: DeviceReport.shape.joinType.describe('How the device is joined to Microsoft Entra ID.'),
  deviceName: DeviceReport.shape.deviceName.describe('The computer’s name, shown to admins on the readiness list.'),
});

export const InboxItem = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  language: z.string(),
  /** The message's image, `GET /api/messages/{id}/image`. */
  image: z.url().optional(),
  callToAction: z.object({ label: z.string(), url: z.url().describe('A signed click link: following it records the click.') }).optional(),
  urgent: z.boolean(),
  /** The delivery round being shown: 0 for the first, then one per frequency interval. */
  occurrence: z.number().int().min(0),
  /** When to stop showing it: the occurrence ends (or the urgent message's 24 hours run out). */
  showUntil: z.iso.datetime(),
});

/** `GET /api/inbox`: what the device shows now on `surface`, newest first. */
export const InboxView = z
  .object({
    surface: z.enum(SURFACES),
    messages: z.array(InboxItem),
    blocked: z.object({ reason: z.string() }).optional(),
  })
  .register(responseComponents, {
    id: 'InboxView',
    description:
      'What the device shows now on the surface, newest first. `callToAction.url` is a signed click link: opening it records ' +
      'the click, so the device need not send a `clicked` event as well. Hide a message at `showUntil`. `blocked` is there when ' +
      'the device reported that it does not meet the Windows prerequisites (Windows 11 Enterprise, Microsoft Entra joined), ' +
      'or when a delivery policy that applies to the person blocks the surface: `messages` is then empty and `reason` says why ' +
      '(for a policy: its name and the setting).',
  });

export const InteractionInput = z
  .object({
    type: z.enum(INTERACTION_TYPES, { error: `must be one of ${INTERACTION_TYPES.join(', ')}` }),
    clientEventId: z
      .string({ error: 'is required: a string the device chooses, the same when it resends the event' })
      .min(1, 'must be 1 to 128 characters')
      .max(128, 'must be 1 to 128 characters'),
    occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
  })
  .strict()
  .register(requestComponents, {
    id: 'InteractionInput',
    description:
      'What the user did with a message shown on the device. `clientEventId` is chosen by the device and reused when it resends ' +
      'the event, so an event is recorded once. `occurredAt` (default: now) may be at most 5 minutes ahead of the server clock.',
  });

export const InteractionReceipt = z
  .object({
    recorded: z.boolean(),
    /** True when this `clientEventId` was recorded before: nothing changed. */
    duplicate: z.boolean(),
  })
  .register(responseComponents, { id: 'InteractionReceipt' });
