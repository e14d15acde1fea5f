/**
 * Per-tenant settings (DESIGN.md §8 `tenants`: PartitionKey tenant, RowKey `settings`): the licence tier,
 * which gates custom messages and advanced targeting, and the default time zone for schedules.
 */
import { isStatus, table } from './tables.js';
import { z } from 'zod';
import { isTimeZone, LICENCE_TIERS } from '../core/message.js';

export const TenantSettings = z
  .object({
    licence: z.enum(LICENCE_TIERS),
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris'),
    /** Guests (B2B users) are left out of every audience unless this is on. */
    includeGuests: z.boolean().default(false),
  })
  .strict();
export type TenantSettings = z.output<typeof TenantSettings>;

/** A tenant nobody has configured: full features (E5) in UTC, so a new organisation can try everything. */
export const DEFAULT_SETTINGS: TenantSettings = { licence: 'E5', timeZone: 'UTC', includeGuests: false };

export async function getTenantSettings(tenant: string): Promise<TenantSettings> {
  try {
    const row = await (await table('tenants')).getEntity<Record<string, unknown>>(tenant, 'settings');
    return TenantSettings.parse({ licence: row.licence, timeZone: row.timeZone, includeGuests: row.includeGuests ?? false });
  } catch (error) {
    if (isStatus(error, 404)) return DEFAULT_SETTINGS;
    throw error;
  }
}

export async function putTenantSettings(tenant: string, settings: TenantSettings): Promise<TenantSettings> {
  await (await table('tenants')).upsertEntity({ partitionKey: tenant, rowKey: 'settings', ...settings }, 'Replace');
  return settings;
}
