/**
 * The tenant's delivery policies (docs/storage.md `policies`), over Azure Tables: PartitionKey tenant, RowKey
 * the policy id, so a partition scan lists one tenant's policies and nothing else. A tenant keeps at most
 * MAX_POLICIES, which the inbox reads whole (cached for a few seconds).
 */
import { randomUUID } from 'node:crypto';
import { odata, type TableEntityResult } from '@azure/data-tables';
import { PolicySettings, type DeliveryPolicy } from '../../core/deliveryPolicy.js';
import { now } from '../runtime/clock.js';
import { tenantKey } from './keys.js';
import { isStatus, table } from './storageClients.js';

export const MAX_POLICIES = 200;

export interface StoredPolicy extends DeliveryPolicy {
  updatedAt: string;
  updatedBy: string;
}

export type PolicyFields = Pick<DeliveryPolicy, 'name' | 'groups' | 'settings'>;

const policies = () => table('policies');
const POLICY_ID = /^[0-9a-f-]{36}$/;

function toPolicy(e: TableEntityResult<Record<string, unknown>>): StoredPolicy {
  return {
    id: String(e.rowKey),
    name: String(e.name),
    groups: JSON.parse(String(e.groups)) as string[],
    settings: PolicySettings.parse(JSON.parse(String(e.settings))),
    updatedAt: String(e.updatedAt),
    updatedBy: String(e.updatedBy),
  };
}

const columns = (fields: PolicyFields, by: string, at: number) => ({
  name: fields.name,
  groups: JSON.stringify(fields.groups),
  settings: JSON.stringify(fields.settings),
  updatedAt: new Date(at).toISOString(),
  updatedBy: by,
});

/** Every policy of the tenant, by name. */
export async function listPolicies(tenantId: string): Promise<StoredPolicy[]> {
  const out: StoredPolicy[] = [];
  const rows = (await policies()).listEntities<Record<string, unknown>>({
    queryOptions: { filter: odata`PartitionKey eq ${tenantKey(tenantId)}` },
  });
  for await (const row of rows) out.push(toPolicy(row));
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** How stale the inbox's copy may be: another instance's change reaches devices within this. */
export const POLICIES_TTL_MS = 5_000;
const cached = new Map<string, { loadedAt: number; policies: Promise<StoredPolicy[]> }>();

/**
 * The tenant's policies as the inbox reads them on every poll: at most POLICIES_TTL_MS old, and fresh at once
 * after a change made through this process. A failed read is not kept.
 */
export function tenantPolicies(tenantId: string): Promise<StoredPolicy[]> {
  const t = now();
  const entry = cached.get(tenantId);
  if (entry && t >= entry.loadedAt && t < entry.loadedAt + POLICIES_TTL_MS) return entry.policies;
  const loading = listPolicies(tenantId);
  cached.set(tenantId, { loadedAt: t, policies: loading });
  loading.catch(() => cached.delete(tenantId));
  return loading;
}
const changed = (tenantId: string) => cached.delete(tenantId);

export async function getPolicy(tenantId: string, id: string): Promise<StoredPolicy | undefined> {
  if (!POLICY_ID.test(id)) return undefined;
  try {
    return toPolicy(await (await policies()).getEntity<Record<string, unknown>>(tenantKey(tenantId), id));
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

export async function createPolicy(tenantId: string, fields: PolicyFields, by: string, at: number): Promise<StoredPolicy> {
  const id = randomUUID();
  await (await policies()).createEntity({ partitionKey: tenantKey(tenantId), rowKey: id, ...columns(fields, by, at) });
  changed(tenantId);
  return { id, ...fields, updatedAt: new Date(at).toISOString(), updatedBy: by };
}

/** Replaces a policy that exists; undefined when it does not (another admin deleted it). */
export async function replacePolicy(tenantId: string, id: string, fields: PolicyFields, by: string, at: number) {
  if (!POLICY_ID.test(id)) return undefined;
  try {
    // An update, not an upsert: a policy deleted meanwhile is not brought back.
    await (await policies()).updateEntity({ partitionKey: tenantKey(tenantId), rowKey: id, ...columns(fields, by, at) }, 'Replace');
    changed(tenantId);
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
  return { id, ...fields, updatedAt: new Date(at).toISOString(), updatedBy: by } satisfies StoredPolicy;
}

/** False when there was no such policy. */
export async function deletePolicy(tenantId: string, id: string): Promise<boolean> {
  if (!POLICY_ID.test(id)) return false;
  try {
    await (await policies()).deleteEntity(tenantKey(tenantId), id);
    changed(tenantId);
    return true;
  } catch (error) {
    if (isStatus(error, 404)) return false;
    throw error;
  }
}
