/**
 * Per-tenant settings (docs/storage.md `tenants`: PartitionKey tenant, RowKey `settings`): the licence tier,
 * which gates custom messages and advanced targeting; the default time zone for schedules and the day
 * reports count in; who audiences include; and what per-recipient data is kept and for how long.
 */
import { isStatus, table } from './storageClients.js';
import { z } from 'zod';
import { isTimeZone, LICENCE_TIERS } from '../../core/message.js';

export const TenantSettings = z
  .object({
    licence: z.enum(LICENCE_TIERS),
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris'),
    /** Guests (B2B users) are left out of every audience unless this is on. */
    includeGuests: z.boolean().default(false),
    /** Days per-recipient events are kept; a daily timer purges older ones (the daily counters stay). */
    retentionDays: z
      .number({ error: 'must be a whole number of days' })
      .int('must be a whole number of days')
      .min(1, 'must be 1 to 3650 days')
      .max(3650, 'must be 1 to 3650 days')
      .default(365),
    /** Off: per-recipient engagement is not exported (reports keep the totals). */
    recipientReports: z.boolean().default(true),
    /** The Entra group whose members are told, in Teams, when a message waits for approval. */
    approversGroup: z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an Entra group object id (a GUID)')
      .optional(),
    /**
     * Seconds between a provider's approval (or a tenant's consent) and its cards showing: Outlook takes up
     * to a day; 0 shows them at once, as tests want.
     */
    providerPropagationSeconds: z
      .number({ error: 'must be a whole number of seconds' })
      .int('must be a whole number of seconds')
      .min(0, 'must be 0 to 604800 seconds (a week)')
      .max(604_800, 'must be 0 to 604800 seconds (a week)')
      .default(0),
    /** The Entra group of the admins who hold Providers.Approve, reminded in Teams while a provider waits for them. */
    providerApproversGroup: z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an Entra group object id (a GUID)')
      .optional(),
  })
  .strict();
export type TenantSettings = z.output<typeof TenantSettings>;

/** A tenant nobody has configured: full features (E5) in UTC, so a new organisation can try everything. */
export const DEFAULT_SETTINGS: TenantSettings = TenantSettings.parse({ licence: 'E5', timeZone: 'UTC' });

// Reads of one tenant's settings that overlap share one request (a busy tenant's submits and approver
// notices ask at once). A read started after a write in this process never joins one started before it.
const reading = new Map<string, Promise<TenantSettings>>();

export function getTenantSettings(tenant: string): Promise<TenantSettings> {
  let read = reading.get(tenant);
  if (!read) {
    read = readTenantSettings(tenant).finally(() => {
      if (reading.get(tenant) === read) reading.delete(tenant);
    });
    reading.set(tenant, read);
  }
  return read;
}

async function readTenantSettings(tenant: string): Promise<TenantSettings> {
  try {
    const row = await (await table('tenants')).getEntity<Record<string, unknown>>(tenant, 'settings');
    // Only the settings' own columns: the row also carries the table's system properties.
    const fields = Object.fromEntries(
      Object.keys(TenantSettings.shape)
        .filter((k) => row[k] !== undefined)
        .map((k) => [k, row[k]]),
    );
    return TenantSettings.parse(fields);
  } catch (error) {
    if (isStatus(error, 404)) return DEFAULT_SETTINGS;
    throw error;
  }
}

export async function putTenantSettings(tenant: string, settings: TenantSettings): Promise<TenantSettings> {
  await (await table('tenants')).upsertEntity({ partitionKey: tenant, rowKey: 'settings', ...settings }, 'Replace');
  reading.delete(tenant);
  return settings;
}
