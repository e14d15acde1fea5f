/** What `/api/policies`, `/api/directory/groups` and `/api/audience/estimate` read and answer. */
import { z } from 'zod';
import { POLICY_SETTING_NAMES, PolicySettings } from '../../../core/deliveryPolicy.js';
import { SURFACES } from '../../../core/eligibility.js';
import { Audience } from '../../../core/message.js';
import { requestComponents, responseComponents } from './components.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const POLICY_PARAMS = { id: 'The policy id.' };

export const PolicyInput = z
  .object({
    name: z.string().trim().min(1, 'must be 1 to 120 characters').max(120, 'must be 1 to 120 characters'),
    groups: z
      .array(z.string().regex(GUID, 'must be an Entra group object id (a GUID)'))
      .min(1, 'must name at least one group')
      .max(50, 'at most 50 groups'),
    settings: PolicySettings,
  })
  .strict()
  .register(requestComponents, {
    id: 'PolicyInput',
    description:
      `A delivery policy: its name, the groups it is assigned to, and the settings it configures (${POLICY_SETTING_NAMES.join(', ')}); ` +
      'a setting left out is not configured.',
  });

const SurfaceBlockView = z.object({
  surface: z.enum(SURFACES),
  setting: z.enum(POLICY_SETTING_NAMES as [string, ...string[]]),
  reason: z.string(),
});

export const PolicyView = z
  .object({
    id: z.string(),
    name: z.string(),
    groups: z.array(z.string()),
    settings: PolicySettings,
    /** The surfaces the policy stops for its groups' members, and by which setting. */
    blocks: z.array(SurfaceBlockView),
    updatedAt: z.iso.datetime(),
    updatedBy: z.string(),
  })
  .register(responseComponents, { id: 'Policy', description: 'A delivery policy and the surfaces it blocks for its groups.' });

export const PolicyList = z.object({ items: z.array(PolicyView) }).register(responseComponents, { id: 'PolicyList' });

export const GroupSearchParams = z
  .object({
    search: z.string().trim().min(1, 'must be 1 to 120 characters').max(120, 'must be 1 to 120 characters'),
    pageSize: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 50').max(50, 'must be 1 to 50').default(20),
    continuation: z.string().min(1).optional(),
  })
  .strict();

export const DirectoryGroup = z
  .object({ id: z.string(), displayName: z.string(), description: z.string().optional() })
  .register(responseComponents, { id: 'DirectoryGroup', description: 'A directory group: its id and name.' });

export const GroupPage = z
  .object({
    items: z.array(DirectoryGroup),
    continuation: z.string().optional(),
  })
  .register(responseComponents, { id: 'GroupPage', description: 'Directory groups whose name starts with the search.' });

export const EstimateInput = z
  .object({ audience: Audience.optional(), surface: z.enum(SURFACES).optional() })
  .strict()
  .register(requestComponents, {
    id: 'EstimateInput',
    description: 'An audience as a message names it, and optionally the Windows surface it is for.',
  });

export const EstimateView = z
  .object({
    /** People the audience resolves to, as the send resolves it. */
    people: z.number().int(),
    /** Of them, those whose policies and devices let them receive on the surface (all of them without one). */
    canReceive: z.number().int(),
    /** Why the others cannot: each reason and how many people it stops. */
    cannot: z.array(z.object({ reason: z.string(), people: z.number().int(), policyId: z.string().optional() })),
  })
  .register(responseComponents, { id: 'AudienceEstimate' });
