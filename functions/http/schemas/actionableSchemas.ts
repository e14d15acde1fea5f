/** What the actionable email API reads and answers (`/api/actionable/…`). */
import { z } from 'zod';
import { DELIVERY_STATUSES } from '../../../core/delivery.js';
import { requestComponents, responseComponents } from './components.js';

/** At most one delivery batch: an actionable email goes to people named one by one, not to an audience. */
export const MAX_ACTIONABLE_RECIPIENTS = 990;
/** Mail gateways clip long mail; the card must not be cut off with it. */
export const MAX_ACTIONABLE_HTML = 100_000;

// A delivery row's key is the address: the characters Azure Tables refuses in keys are refused here.
const address = z
  .email()
  .max(254)
  .refine((a) => !/[/\\#?]/.test(a), 'must not contain / \\ # or ?')
  .transform((a) => a.toLowerCase());
const Recipient = z.strictObject({
  address,
  name: z.string().max(256).optional(),
  tenantId: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a tenant id')
    .optional()
    .describe("The recipient's tenant, for a Global provider's recipients elsewhere; default the calling app's tenant."),
});

export const ActionableSendInput = z
  .strictObject({
    providerId: z.uuid().describe('The provider id, the `originator` its cards carry.'),
    sender: address.describe("The From address: one of the provider's sender addresses."),
    subject: z.string().min(1).max(255),
    html: z
      .string()
      .min(1)
      .max(MAX_ACTIONABLE_HTML)
      .describe('The whole HTML of the mail: the card in a SignedAdaptiveCard section at the end of the body, or a script in <head>.'),
    to: z.array(Recipient).min(1).max(MAX_ACTIONABLE_RECIPIENTS),
    cc: z.array(Recipient).max(MAX_ACTIONABLE_RECIPIENTS).default([]),
    bcc: z.array(Recipient).max(MAX_ACTIONABLE_RECIPIENTS).default([]),
  })
  .refine((s) => s.to.length + s.cc.length + s.bcc.length <= MAX_ACTIONABLE_RECIPIENTS, {
    path: ['to'],
    message: `with cc and bcc must name at most ${MAX_ACTIONABLE_RECIPIENTS} recipients`,
  })
  .refine((s) => new Set([...s.to, ...s.cc, ...s.bcc].map((r) => r.address)).size === s.to.length + s.cc.length + s.bcc.length, {
    path: ['to'],
    message: 'with cc and bcc must name each address once',
  })
  .register(requestComponents, { id: 'ActionableSendInput' });

const Verdict = z.object({
  address: z.string(),
  kind: z.enum(['to', 'cc', 'bcc']),
  cardEnabled: z.boolean().describe('CardEnabledForMessage: whether the card goes with the mail to this recipient.'),
  errors: z.array(z.string()).describe('The check that removed the card.'),
  infos: z.array(z.string()).describe('The checks that passed, in order.'),
});

export const ActionableSendAccepted = z
  .object({ id: z.string(), recipients: z.array(Verdict) })
  .register(responseComponents, { id: 'ActionableSendAccepted' });

export const ActionableSendView = z
  .object({
    id: z.string(),
    providerId: z.string(),
    sender: z.string(),
    subject: z.string(),
    createdAt: z.iso.datetime(),
    recipients: z.array(
      Verdict.extend({
        delivery: z.enum(DELIVERY_STATUSES).describe('pending until the email channel has an outcome'),
        sentAt: z.iso.datetime().optional(),
      }),
    ),
  })
  .register(responseComponents, { id: 'ActionableSendView' });

export const RefreshCard = z
  .looseObject({ type: z.literal('AdaptiveCard'), version: z.string(), originator: z.string().optional() })
  .describe('With CARD-UPDATE-IN-BODY: true, the card that replaces the old one: its Action.Http buttons go through Herald again.')
  .register(responseComponents, { id: 'RefreshCard' });

export const Jwks = z
  .object({
    keys: z.array(z.object({ kty: z.literal('RSA'), kid: z.string(), n: z.string(), e: z.string(), alg: z.string(), use: z.string() })),
  })
  .register(responseComponents, { id: 'Jwks' });
export type ActionableSendAccepted = z.output<typeof ActionableSendAccepted>;
export type ActionableSendView = z.output<typeof ActionableSendView>;
