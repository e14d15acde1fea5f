/** What the actionable-message provider registry reads and answers (`/api/providers…`, docs/actionable.md). */
import { z } from 'zod';
import { CONSENT_STATES, PROVIDER_SCOPES, PROVIDER_STATUSES } from '../../../core/provider.js';
import type { Success } from '../routes.js';
import { requestComponents, responseComponents } from './components.js';

export const PROVIDER_PARAMS = { id: 'The provider id (its `originator` GUID).' };

const LIMITS = { name: 120, list: 20, detail: 2000, key: 8192, address: 254, url: 2048 } as const;

const detail = z.string().trim().max(LIMITS.detail, `at most ${LIMITS.detail} characters`);

export const ProviderInput = z
  .object({
    friendlyName: z.string().trim().min(1, 'is required').max(LIMITS.name, `at most ${LIMITS.name} characters`),
    senderAddresses: z
      .array(z.string().trim().max(LIMITS.address))
      .max(LIMITS.list, `at most ${LIMITS.list} entries`)
      .default([])
      .transform((list) => [...new Set(list.map((a) => a.toLowerCase()))]),
    targetUrls: z.array(z.string().trim().max(LIMITS.url)).max(LIMITS.list, `at most ${LIMITS.list} entries`).default([]),
    publicKey: z.string().max(LIMITS.key, `at most ${LIMITS.key} characters`).optional(),
    entraAppId: z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an Entra application id (a GUID)'),
    scope: z.enum(PROVIDER_SCOPES),
    testUsers: z.string().max(LIMITS.detail, `at most ${LIMITS.detail} characters`).default(''),
    notify: z.array(z.email('must be an email address')).max(LIMITS.list, `at most ${LIMITS.list} entries`).default([]),
    global: z
      .object({
        contact: detail.default(''),
        publisher: detail.default(''),
        scenario: detail.default(''),
        verification: detail.default(''),
      })
      .strict()
      .optional(),
    powerAutomate: z.boolean().default(false),
  })
  .strict()
  .register(requestComponents, {
    id: 'ProviderInput',
    description:
      'A provider as its owner writes it. Also checked, each as a field error: sender addresses and test users must be in the ' +
      'tenant’s verified domains; target URLs must be https base URLs (no query or fragment); `publicKey` must be an ' +
      '`<RSAKeyValue>` of at least 2048 bits; `testUsers` (addresses separated by `;`) only for TestUsers, `global` only for Global.',
  });
export type ProviderInput = z.output<typeof ProviderInput>;

/** A JSON merge patch over a Draft's fields. */
export const ProviderPatch = z.record(z.string(), z.unknown()).register(requestComponents, {
  id: 'ProviderPatch',
  description:
    'A JSON merge patch (RFC 7396) over the fields of ProviderInput: each field named replaces the stored one, `null` clears it. ' +
    'The merged provider must be a valid ProviderInput.',
});

export const ProviderComment = z
  .object({ comment: z.string().trim().max(1000, 'at most 1000 characters').optional() })
  .strict()
  .register(requestComponents, { id: 'ProviderComment', description: 'An optional comment, recorded in the audit trail.' });
export const ProviderRequiredComment = z
  .object({ comment: z.string().trim().min(1, 'is required').max(1000, 'at most 1000 characters') })
  .strict()
  .register(requestComponents, { id: 'ProviderRequiredComment', description: 'Why (1 to 1000 characters), recorded in the audit trail.' });

const ActorView = z.object({ id: z.string(), upn: z.string(), name: z.string() });

export const ProviderView = z
  .object({
    id: z.string().describe('The provider id: the `originator` every card of this provider carries.'),
    tenantId: z.string(),
    friendlyName: z.string(),
    senderAddresses: z.array(z.string()),
    targetUrls: z.array(z.string()),
    publicKey: z.string().optional(),
    entraAppId: z.string(),
    appIdUri: z.string().describe('Set this as the Entra app’s Application ID URI.'),
    scope: z.enum(PROVIDER_SCOPES),
    testUsers: z.string(),
    notify: z.array(z.string()),
    global: z.object({ contact: z.string(), publisher: z.string(), scenario: z.string(), verification: z.string() }).optional(),
    powerAutomate: z.boolean(),
    status: z.enum(PROVIDER_STATUSES),
    effective: z.boolean().describe('Approved and past the propagation delay: its cards show.'),
    createdBy: ActorView,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    submittedAt: z.iso.datetime().optional(),
    approvedBy: ActorView.optional(),
    approvedAt: z.iso.datetime().optional(),
    effectiveAt: z.iso.datetime().optional(),
    comment: z.string().optional().describe('The reviewer’s words on the latest rejection or suspension.'),
    approval: z.string().optional().describe('The approval orchestration’s instance id (Organization scope).'),
    consent: z
      .array(z.object({ tenantId: z.string(), state: z.enum(CONSENT_STATES), at: z.iso.datetime(), by: ActorView }))
      .describe('Global scope: the tenants that have consented.'),
  })
  .register(responseComponents, { id: 'Provider' });
export type ProviderView = z.output<typeof ProviderView>;

export const ProviderList = z.object({ items: z.array(ProviderView) }).register(responseComponents, { id: 'ProviderList' });

export const ProviderListParams = z.object({ status: z.enum(PROVIDER_STATUSES).optional() }).strict();

/** What another tenant's admin sees of a Global provider, to consent to it. */
export const ConsentView = z
  .object({
    id: z.string(),
    friendlyName: z.string(),
    tenantId: z.string().describe('The tenant that registered it.'),
    entraAppId: z.string(),
    appIdUri: z.string(),
    publisher: z.string(),
    consentState: z.enum(CONSENT_STATES).describe('The caller’s tenant’s consent.'),
  })
  .register(responseComponents, { id: 'ProviderConsent' });
export type ConsentView = z.output<typeof ConsentView>;
export const ConsentList = z.object({ items: z.array(ConsentView) }).register(responseComponents, { id: 'ProviderConsentList' });

export const ProviderAuditTrail = z
  .object({
    items: z.array(
      z.object({
        at: z.iso.datetime(),
        action: z.string().describe('created, modified, submitted, approved, rejected, withdrawn, suspended, consented or consentRevoked'),
        by: ActorView,
        status: z.enum(PROVIDER_STATUSES),
        fields: z.array(z.string()).optional(),
        comment: z.string().optional(),
        tenantId: z.string().optional().describe('For consent: the tenant that consented or revoked.'),
      }),
    ),
  })
  .register(responseComponents, { id: 'ProviderAuditTrail' });

export const providerResponse = (status: 200 | 201, description: string): Success => ({
  status,
  description,
  schema: ProviderView,
  etag: true,
  ...(status === 201 ? { location: 'created' as const } : {}),
});
