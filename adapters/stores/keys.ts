/**
 * Table keys, built here only. Every partition key starts with the tenant id (docs/storage.md), so a query
 * built from these cannot reach across tenants; ids are checked before they become part of a key.
 */
import { randomBytes } from 'node:crypto';

// A tenant id with a separator or a character Tables refuses would let one tenant's key collide with
// another's, so it is refused outright.
export const tenantKey = (tenant: string) => {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(tenant)) throw new Error(`not a tenant id: ${JSON.stringify(tenant)}`);
  return tenant;
};

/** The partition of one message's rows in a per-message table (`tenant:message`). */
export const messageKey = (tenant: string, messageId: string) => `${tenantKey(tenant)}:${messageId}`;

// Inverted times make a partition scan (ascending RowKey) return the newest first. 11 hex digits of
// milliseconds last until the year 2527.
export const MAX_TIME = 0xfff_ffff_ffff;
export const inverted = (value: number, max: number, digits: number) => (max - value).toString(16).padStart(digits, '0');

/** A time-ordered id (newest sorts first) with a random tail so ids made in the same millisecond differ. */
export const messageId = (time: number) => inverted(time, MAX_TIME, 11) + randomBytes(5).toString('hex');
export const MESSAGE_ID = /^[0-9a-f]{21}$/;
