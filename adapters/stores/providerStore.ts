/**
 * The actionable-message provider registry over Azure Tables (docs/storage.md): table `providers`
 * (PartitionKey tenant, RowKey provider id, ETag-guarded) and table `providerAudit` (PartitionKey
 * `tenant:provider`, RowKey inverted time, newest first). Every change is decided by the status machine
 * (`core/provider.ts`) from the row as it is, written against its ETag, and leaves an audit row. Only
 * `findByOriginator` and `submittedGlobal` read across tenants: the card gate and the platform's reviewers
 * do not know a provider's tenant.
 */
import { randomUUID } from 'node:crypto';
import { odata, type TableEntityResult } from '@azure/data-tables';
import { z } from 'zod';
import {
  appIdUriFor,
  PROVIDER_PAST_TENSE,
  PROVIDER_STATUSES,
  providerTransition,
  type Provider,
  type ProviderFields,
  type ProviderLookup,
  type ProviderStatus,
  type ProviderTransition,
  type ProviderTransitionRecord,
  type TenantConsent,
} from '../../core/provider.js';
import type { Actor } from '../../core/records.js';
import { now } from '../runtime/clock.js';
import { storageSettings, type StorageSettings } from '../runtime/settings.js';
import { inverted, MAX_TIME, tenantKey } from './keys.js';
import { findEntity, isStatus, tableClientFor } from './storageClients.js';

export type ProviderAuditAction = 'created' | 'modified' | ProviderTransitionRecord | 'consented' | 'consentRevoked';

export interface ProviderAuditEntry {
  at: string;
  action: ProviderAuditAction;
  by: Actor;
  /** The status after the change. */
  status: ProviderStatus;
  /** For `modified`: the fields that changed. */
  fields?: string[];
  comment?: string;
  /** For consent: the tenant that consented or revoked. */
  tenantId?: string;
}

export interface ProviderChange {
  transition: ProviderTransition;
  by: Actor;
  comment?: string;
  /** Approve: how long until the approval takes effect (the tenant's propagation delay). */
  propagationMs?: number;
  /** Submit: the approval orchestration's instance id. */
  approval?: string;
}

export type AppliedProviderChange = { ok: true; provider: Provider } | { ok: false; provider: Provider | undefined; reason: string };

/** The provider changed since the caller read it. */
export class StaleProvider extends Error {}

export interface ProviderStore extends ProviderLookup {
  /** A Draft; `id` is generated unless given (Herald's own registration has one id per tenant). */
  create(tenant: string, fields: ProviderFields, by: Actor, id?: string): Promise<Provider>;
  get(tenant: string, id: string): Promise<Provider | undefined>;
  /** The tenant's providers, newest changes first; optionally of one status. */
  list(tenant: string, status?: ProviderStatus): Promise<Provider[]>;
  /** Global providers of every tenant in `status` (the platform reviewers' queue, other tenants' consent page). */
  global(status: ProviderStatus): Promise<Provider[]>;
  /** Replaces a Draft's fields; throws StaleProvider when the row moved on since `current` was read. */
  modify(tenant: string, current: Provider, fields: ProviderFields, by: Actor, changed: string[]): Promise<Provider>;
  /** A status change the status machine allows from the row as it is now, or why not. */
  transition(tenant: string, id: string, change: ProviderChange): Promise<AppliedProviderChange>;
  /** Records (or, with `consent` undefined, revokes) one tenant's consent to a Global provider. */
  setConsent(tenant: string, id: string, consentingTenant: string, consent: TenantConsent | undefined, by: Actor): Promise<Provider>;
  audit(tenant: string, id: string): Promise<ProviderAuditEntry[]>;
}

const PROVIDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const ActorSchema = z.object({ id: z.string(), upn: z.string(), name: z.string() });
const ProviderRow = z.object({
  partitionKey: z.string(),
  rowKey: z.string(),
  etag: z.string(),
  status: z.enum(PROVIDER_STATUSES),
  scope: z.string(),
  record: z.string(),
});
const AuditRow = z.object({
  at: z.string(),
  action: z.string(),
  by: z.string(),
  status: z.enum(PROVIDER_STATUSES),
  fields: z.string().optional(),
  comment: z.string().optional(),
  tenantId: z.string().optional(),
});

type Stored = Omit<Provider, 'id' | 'tenantId' | 'etag' | 'status'>;

function toProvider(entity: TableEntityResult<Record<string, unknown>>): Provider {
  const row = ProviderRow.parse(entity);
  // Written by this module from validated fields; the JSON keeps the nested lists and consent map whole.
  const stored = JSON.parse(row.record) as Stored;
  return { ...stored, id: row.rowKey, tenantId: row.partitionKey, status: row.status, etag: row.etag };
}

const rowOf = (p: Omit<Provider, 'etag'>) => {
  const { id, tenantId, status, ...stored } = p;
  return { partitionKey: tenantKey(tenantId), rowKey: id, status, scope: p.scope, record: JSON.stringify(stored) };
};

const auditKey = (tenant: string, id: string) => `${tenantKey(tenant)}:${id}`;
const auditRowKey = (time: number, version: number) => `${inverted(time, MAX_TIME, 11)}-${inverted(version, 0xffff_ffff, 8)}`;

export function tableProviderStore(storage: StorageSettings): ProviderStore {
  const table = (name: string) => {
    const client = tableClientFor(storage, name);
    let created: Promise<void> | undefined;
    return async () => {
      created ??= client.createTable().catch((error: unknown) => {
        created = undefined;
        throw error;
      });
      await created;
      return client;
    };
  };
  const providers = table('providers');
  const auditTable = table('providerAudit');

  const appendAudit = async (tenant: string, id: string, version: number, entry: ProviderAuditEntry) => {
    const row = {
      at: entry.at,
      action: entry.action,
      by: JSON.stringify(entry.by),
      status: entry.status,
      ...(entry.fields ? { fields: entry.fields.join(',') } : {}),
      ...(entry.comment ? { comment: entry.comment } : {}),
      ...(entry.tenantId ? { tenantId: entry.tenantId } : {}),
    };
    // Keyed by the change's own time and version: writing it again after a retry is harmless.
    await (
      await auditTable()
    ).upsertEntity({ partitionKey: auditKey(tenant, id), rowKey: auditRowKey(Date.parse(entry.at), version), ...row }, 'Replace');
  };

  /** Writes `next` over `current` if the row has not moved on; the new ETag, or undefined when it had. */
  const replace = async (current: Provider, next: Omit<Provider, 'etag'>): Promise<string | undefined> => {
    try {
      const { etag } = await (await providers()).updateEntity(rowOf(next), 'Replace', { etag: current.etag });
      return etag!;
    } catch (error) {
      if (isStatus(error, 412) || isStatus(error, 404)) return undefined;
      throw error;
    }
  };

  const query = async (filter: string) => {
    const found: Provider[] = [];
    for await (const e of (await providers()).listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      found.push(toProvider(e));
    return found.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  };

  return {
    async create(tenant, fields, by, id = randomUUID()) {
      const time = now();
      const at = new Date(time).toISOString();
      const provider: Omit<Provider, 'etag'> = {
        ...fields,
        id,
        tenantId: tenant,
        appIdUri: appIdUriFor(id, fields.entraAppId),
        status: 'Draft',
        createdBy: by,
        createdAt: at,
        updatedAt: at,
        version: 1,
        consent: {},
      };
      const { etag } = await (await providers()).createEntity(rowOf(provider));
      await appendAudit(tenant, id, 1, { at, action: 'created', by, status: 'Draft' });
      return { ...provider, etag: etag! };
    },

    async get(tenant, id) {
      if (!PROVIDER_ID.test(id)) return undefined;
      const e = await findEntity(await providers(), tenantKey(tenant), id);
      return e && toProvider(e);
    },

    async findByOriginator(originator) {
      const id = originator.toLowerCase();
      if (!PROVIDER_ID.test(id)) return undefined;
      const [found] = await query(odata`RowKey eq ${id}`);
      return found;
    },

    list: (tenant, status) =>
      query(status ? odata`PartitionKey eq ${tenantKey(tenant)} and status eq ${status}` : odata`PartitionKey eq ${tenantKey(tenant)}`),

    global: (status) => query(odata`scope eq 'Global' and status eq ${status}`),

    async modify(tenant, current, fields, by, changed) {
      const time = now();
      const next: Omit<Provider, 'etag'> = {
        ...current,
        ...fields,
        appIdUri: appIdUriFor(current.id, fields.entraAppId),
        updatedAt: new Date(time).toISOString(),
        version: current.version + 1,
      };
      // A field the change cleared (the public key, Global details) must not survive from `current`.
      for (const k of ['publicKey', 'global'] as const) if (fields[k] === undefined) delete next[k];
      const etag = await replace(current, next);
      if (!etag) throw new StaleProvider();
      await appendAudit(tenant, current.id, next.version, {
        at: next.updatedAt,
        action: 'modified',
        by,
        status: current.status,
        fields: changed,
      });
      return { ...next, etag };
    },

    async transition(tenant, id, change) {
      const action = PROVIDER_PAST_TENSE[change.transition];
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await this.get(tenant, id);
        if (!current) return { ok: false, provider: undefined, reason: 'the provider no longer exists' };
        const check = providerTransition(current.status, change.transition);
        if (!check.ok) {
          const by = current.lastActor && current.lastAction ? ` (${current.lastAction} by ${current.lastActor.upn})` : '';
          return { ok: false, provider: current, reason: `${check.reason}${by}` };
        }
        const time = now();
        const at = new Date(time).toISOString();
        const { comment: _previous, ...rest } = current;
        const next: Omit<Provider, 'etag'> = {
          ...rest,
          status: check.status,
          updatedAt: at,
          version: current.version + 1,
          lastAction: action,
          lastActor: change.by,
          ...(change.comment ? { comment: change.comment } : {}),
          ...(change.transition === 'submit'
            ? { submittedAt: at, submittedBy: change.by, ...(change.approval ? { approval: change.approval } : {}) }
            : {}),
          ...(change.transition === 'approve'
            ? { approvedBy: change.by, approvedAt: at, effectiveAt: new Date(time + (change.propagationMs ?? 0)).toISOString() }
            : {}),
        };
        const etag = await replace(current, next);
        if (!etag) continue; // changed meanwhile: decide again on the row as it now is
        await appendAudit(tenant, id, next.version, {
          at,
          action,
          by: change.by,
          status: check.status,
          ...(change.comment ? { comment: change.comment } : {}),
        });
        return { ok: true, provider: { ...next, etag } };
      }
      return { ok: false, provider: await this.get(tenant, id), reason: `the provider kept changing while it was being ${action}` };
    },

    async setConsent(tenant, id, consentingTenant, consent, by) {
      const key = consentingTenant.toLowerCase();
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await this.get(tenant, id);
        if (!current) throw new StaleProvider();
        const { [key]: _old, ...others } = current.consent;
        const time = now();
        const next: Omit<Provider, 'etag'> = {
          ...current,
          consent: consent ? { ...others, [key]: consent } : others,
          updatedAt: new Date(time).toISOString(),
          version: current.version + 1,
        };
        const etag = await replace(current, next);
        if (!etag) continue;
        const action = consent ? 'consented' : 'consentRevoked';
        await appendAudit(tenant, id, next.version, { at: next.updatedAt, action, by, status: current.status, tenantId: key });
        return { ...next, etag };
      }
      throw new StaleProvider();
    },

    async audit(tenant, id) {
      if (!PROVIDER_ID.test(id)) return [];
      const entries: ProviderAuditEntry[] = [];
      const rows = (await auditTable()).listEntities({ queryOptions: { filter: odata`PartitionKey eq ${auditKey(tenant, id)}` } });
      for await (const entity of rows) {
        const row = AuditRow.parse(entity);
        entries.push({
          at: row.at,
          action: row.action as ProviderAuditAction,
          by: ActorSchema.parse(JSON.parse(row.by)),
          status: row.status,
          ...(row.fields ? { fields: row.fields.split(',') } : {}),
          ...(row.comment ? { comment: row.comment } : {}),
          ...(row.tenantId ? { tenantId: row.tenantId } : {}),
        });
      }
      return entries;
    },
  };
}

let shared: ProviderStore | undefined;
/** The app's registry, on the storage account of `AzureWebJobsStorage`. */
export const providerStore = (): ProviderStore => (shared ??= tableProviderStore(storageSettings()));
