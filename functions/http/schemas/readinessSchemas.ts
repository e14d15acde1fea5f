/** What the readiness list reads and answers (`/api/readiness/devices`). */
import { z } from 'zod';
import { SURFACES } from '../../../core/eligibility.js';
import { JOIN_TYPES } from '../../../core/readiness.js';
import { responseComponents } from './components.js';

export const ReadinessParams = z
  .object({
    pageSize: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').default(50),
    continuation: z.string().min(1).optional(),
  })
  .strict();

export const BlockedDeviceView = z
  .object({
    userId: z.string(),
    upn: z.string(),
    /** Absent when the device did not send one. */
    deviceName: z.string().optional(),
    reason: z.string(),
    osEdition: z.string().optional(),
    joinType: z.enum(JOIN_TYPES).optional(),
    /** When the device last polled the inbox with this report, to within an hour. */
    lastSeen: z.iso.datetime(),
    /** A person's row for a surface a delivery policy blocks (`/api/policies`): which surface and policy. */
    surface: z.enum(SURFACES).optional(),
    policyId: z.string().optional(),
    policyName: z.string().optional(),
  })
  .register(responseComponents, {
    id: 'BlockedDevice',
    description: 'A device that cannot show Windows-surface messages: whose it is, why, and what it last reported.',
  });

export const ReadinessPage = z
  .object({ items: z.array(BlockedDeviceView), continuation: z.string().optional() })
  .register(responseComponents, { id: 'ReadinessPage' });
