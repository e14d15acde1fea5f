/**
 * Herald in its own provider registry: the provider of its approval cards, one per tenant, Organization
 * scope, Approved. Made the first time a tenant needs it (its first approval email or card press), by
 * Herald itself, through the status machine and audited like any other (created, submitted, approved by
 * Herald), so the card gate and the action checks find an approved provider. A registration an admin
 * suspended stays suspended: the approval emails then go without a card.
 *
 * Its id is derived from the tenant (a name-based UUID), so every instance makes the same one, a second
 * attempt finds the first, and Outlook's own registration (devhost: outlook-providers.json) can name it.
 */
import { createHash } from 'node:crypto';
import type { Provider, ProviderFields } from '../core/provider.js';
import type { Actor } from '../core/records.js';

export const HERALD_PROVIDER_NAME = 'Herald approvals';
/** The actor of Herald's own changes to its registration, in the provider's audit trail. */
export const HERALD_ACTOR: Actor = { id: 'herald', upn: 'herald', name: 'Herald' };
// A fixed namespace for the name-based ids (RFC 9562 §5.5): changing it would orphan every registration.
const NAMESPACE = 'b0a7c1e4-6f0e-4d3a-9c1b-7e5d2f8a4c60';

/** Herald's provider id (the approval cards' `originator`) in `tenantId`: a version-5 UUID of the tenant id. */
export function heraldProviderId(tenantId: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(NAMESPACE.replace(/-/g, ''), 'hex'))
    .update(tenantId.toLowerCase())
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface HeraldProviderPorts {
  /** The registry, asked for when first needed (it reads the storage settings). */
  store(): {
    get(tenant: string, id: string): Promise<Provider | undefined>;
    create(tenant: string, fields: ProviderFields, by: Actor, id: string): Promise<Provider>;
    transition(
      tenant: string,
      id: string,
      change: { transition: 'submit' | 'approve'; by: Actor; propagationMs?: number },
    ): Promise<{ ok: boolean; provider: Provider | undefined; reason?: string }>;
  };
  /** What Herald registers: its sender address, the approval-card endpoint and its Entra app. */
  registration(): { sender: string; targetUrl: string; entraAppId: string };
  /** A create that lost to a concurrent one (409). */
  isConflict(error: unknown): boolean;
}

export function createHeraldProvider(ports: HeraldProviderPorts) {
  /** Herald's registration in the tenant, made and approved if it is not there yet. */
  return async function ensureHeraldProvider(tenantId: string): Promise<Provider> {
    const id = heraldProviderId(tenantId);
    const store = ports.store();
    let provider = await store.get(tenantId, id);
    if (!provider) {
      const { sender, targetUrl, entraAppId } = ports.registration();
      const fields: ProviderFields = {
        friendlyName: HERALD_PROVIDER_NAME,
        senderAddresses: [sender.toLowerCase()],
        targetUrls: [targetUrl],
        entraAppId,
        scope: 'Organization',
        testUsers: [],
        notify: [],
        powerAutomate: false,
      };
      try {
        provider = await store.create(tenantId, fields, HERALD_ACTOR, id);
      } catch (error) {
        if (!ports.isConflict(error)) throw error;
        provider = await store.get(tenantId, id);
      }
    }
    // Each step is the status machine's: a second instance doing the same finds the step done and moves on.
    if (provider?.status === 'Draft')
      provider = (await store.transition(tenantId, id, { transition: 'submit', by: HERALD_ACTOR })).provider;
    if (provider?.status === 'Submitted')
      provider = (await store.transition(tenantId, id, { transition: 'approve', by: HERALD_ACTOR, propagationMs: 0 })).provider;
    const found = provider ?? (await store.get(tenantId, id));
    if (!found) throw new Error(`Herald's provider registration ${id} in tenant ${tenantId} could not be made`);
    return found;
  };
}
