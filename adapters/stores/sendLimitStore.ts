/**
 * The seed's sending limits, exact across concurrent requests and instances (docs/storage.md `sendLimits`):
 * PartitionKey tenant, RowKey `groups` (the tenant's group notifications) or `device:<id>` (notifications
 * to one device), each holding the admitted send times of the last hour. Admitting a send rewrites the row
 * guarded by its ETag, so of 26 simultaneous group sends exactly one finds the window full.
 */
import { admit, type Admission } from '../../core/notification.js';
import { tenantKey } from './keys.js';
import { isStatus, table } from './storageClients.js';

const MAX_ATTEMPTS = 100;
const limits = () => table('sendLimits');
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 + attempt * 3)));

export type LimitKey = { kind: 'groups' } | { kind: 'device'; deviceId: string };
const rowKey = (key: LimitKey) => (key.kind === 'groups' ? 'groups' : `device:${key.deviceId}`);

/** Admits one send at `now` under `limit` per hour, or says when the next one will be allowed. */
export async function admitSend(tenantId: string, key: LimitKey, limit: number, now: number): Promise<Admission> {
  const client = await limits();
  const pk = tenantKey(tenantId);
  const rk = rowKey(key);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let sends: number[] = [];
    let etag: string | undefined;
    try {
      const row = await client.getEntity<{ sends: string }>(pk, rk);
      sends = JSON.parse(row.sends) as number[];
      etag = row.etag;
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    const verdict = admit(sends, now, limit);
    if (!verdict.admitted) return verdict;
    const entity = { partitionKey: pk, rowKey: rk, sends: JSON.stringify(verdict.sends) };
    try {
      if (etag) await client.updateEntity(entity, 'Replace', { etag });
      else await client.createEntity(entity);
      return verdict;
    } catch (error) {
      // Another send got there first: look again.
      if (!isStatus(error, 412) && !isStatus(error, 409)) throw error;
      await pause(attempt);
    }
  }
  throw new Error(`the ${rk} send limit of tenant ${tenantId} kept changing (${MAX_ATTEMPTS} attempts)`);
}

/** The admitted send times of the last hour as stored (none yet: empty), for showing what is left of it. */
export async function admittedSends(tenantId: string, key: LimitKey): Promise<number[]> {
  try {
    const row = await (await limits()).getEntity<{ sends: string }>(tenantKey(tenantId), rowKey(key));
    return JSON.parse(row.sends) as number[];
  } catch (error) {
    if (isStatus(error, 404)) return [];
    throw error;
  }
}
