/** What a message's delivery progress and per-recipient status answer (`/api/messages/{id}/delivery…`). */
import { z } from 'zod';
import { DELIVERY_STATUSES } from '../../../core/delivery.js';
import { responseComponents } from './components.js';

export const RecipientParams = z
  .object({
    occurrence: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').optional(),
    status: z.enum(DELIVERY_STATUSES).optional(),
    pageSize: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 1000').max(1000, 'must be 1 to 1000').default(100),
    continuation: z.string().min(1).optional(),
  })
  .strict();

const Counts = {
  recipients: z.number().int().describe('Recipients resolved so far (all of them once `resolvedAt` is set).'),
  sent: z.number().int(),
  failed: z.number().int(),
  throttled: z.number().int().describe('Waiting out a provider’s Retry-After; still pending.'),
  cancelled: z.number().int().describe('Not sent because the message was cancelled or ended first.'),
  unconfirmed: z
    .number()
    .int()
    .describe(
      'Sent once or not at all, which is unknown: the send was in flight when its worker stopped, and Teams and push ' +
        'providers cannot tell a repeat, so it is never sent again. Not counted as delivered.',
    ),
  pending: z.number().int().describe('Without an outcome yet (throttled ones included).'),
  inFlight: z
    .number()
    .int()
    .describe(
      'Of the pending: handed to the provider and waiting for its answer — for email, posted to ACS (most already ' +
        'accepted) and not yet confirmed sent or failed by ACS.',
    ),
};

export const DeliveryReport = z
  .object({
    messageId: z.string(),
    status: z.string(),
    channel: z.enum(['inbox', 'teams', 'email', 'push']).nullable(),
    pulled: z.boolean().describe('true for inbox locations: devices fetch the message, nothing is pushed.'),
    detail: z.string().optional(),
    occurrences: z.array(
      z.object({
        occurrence: z.number().int(),
        channel: z.enum(['inbox', 'teams', 'email', 'push']),
        state: z.enum(['resolving', 'sending', 'done', 'failed']),
        reason: z.string().optional(),
        startedAt: z.string(),
        resolvedAt: z.string().optional(),
        ...Counts,
        perSecond: z.number().describe('Recipients finished (sent or failed) per second since the occurrence started.'),
        eta: z.string().optional().describe('When the last recipient should be done at the current rate, while sending.'),
      }),
    ),
  })
  .register(responseComponents, { id: 'DeliveryReport' });

export const RecipientPage = z
  .object({
    occurrence: z.number().int().optional(),
    items: z.array(
      z.object({
        userId: z.string(),
        upn: z.string(),
        name: z.string().optional(),
        mail: z.string().optional(),
        language: z.string().optional(),
        status: z.enum(DELIVERY_STATUSES),
        attempts: z.number().int(),
        reason: z.string().optional(),
        sentAt: z.string().optional(),
      }),
    ),
    continuation: z.string().optional(),
  })
  .register(responseComponents, { id: 'RecipientPage' });
