/**
 * The devices that cannot show Windows-surface messages (docs/storage.md `readiness`), over Azure Tables:
 * PartitionKey tenant, RowKey the user id and the device's name, so a partition scan lists each person's
 * devices together. A device that meets the prerequisites has no row.
 *
 * Every device polls the inbox, so the state is written only when it changes: the process remembers what
 * it last wrote for each device, and a poll that would write the same again costs nothing. A blocked row is
 * written again after LAST_SEEN_REFRESH_MS all the same, which keeps `lastSeen` true to within that and
 * brings back a row another instance cleared while this one still remembers it blocked.
 */
import { odata, type TableEntityResult } from '@azure/data-tables';
import type { Surface } from '../../core/eligibility.js';
import type { JoinType } from '../../core/readiness.js';
import { tenantKey } from './keys.js';
import { isStatus, table } from './storageClients.js';

export const LAST_SEEN_REFRESH_MS = 60 * 60_000;
/** Devices remembered per process; one forgotten costs a write on its next poll. */
export const MAX_REMEMBERED = 100_000;

export interface DeviceState {
  userId: string;
  upn: string;
  deviceName?: string;
  osEdition?: string;
  joinType?: JoinType;
}

export interface BlockedDevice extends DeviceState {
  reason: string;
  lastSeen: string;
  /** Set on a person's row for a surface a delivery policy blocks (not a device's own prerequisites). */
  surface?: Surface;
  policyId?: string;
  policyName?: string;
}

/** A continuation token that this store did not hand out. */
export class InvalidContinuation extends Error {}

const readiness = () => table('readiness');

// Windows computer names are case-insensitive, so `Desktop-1` and `DESKTOP-1` are one device; the name
// is kept as reported. Encoding keeps `/`, `\`, `#`, `?` and control characters, which Tables refuses in
// keys, out of the RowKey, and `|` out of either half.
const rowKeyOf = (userId: string, deviceName = '') => `${encodeURIComponent(userId)}|${encodeURIComponent(deviceName.toLowerCase())}`;
const ROW_KEY = /^[^|]+\|[^|]*$/;

const encodeContinuation = (rowKey: string) => Buffer.from(`after:${rowKey}`).toString('base64url');
function decodeContinuation(token: string): string {
  const match = /^after:(.+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match || !ROW_KEY.test(match[1]!)) throw new InvalidContinuation('the continuation token is not one this API handed out');
  return match[1]!;
}

// Tables stores no undefined: what the device did not send is left out of the row.
const withoutUndefined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

interface Remembered {
  /** What was written: the row's columns but `lastSeen`, or `eligible` for no row. */
  state: string;
  at: number;
}

const remembered = new Map<string, Remembered>();

function remember(key: string, value: Remembered) {
  // Map order is insertion order: re-inserting keeps the eviction order least recently written first.
  remembered.delete(key);
  remembered.set(key, value);
  while (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
}

/**
 * Records what the device reported: a row with `reason` when it is blocked, none when it is not (`reason`
 * undefined). Writes only when that differs from what this process last wrote for the device.
 */
export async function recordDevice(tenantId: string, device: DeviceState, reason: string | undefined, at: number): Promise<void> {
  await record(
    tenantKey(tenantId),
    rowKeyOf(device.userId, device.deviceName),
    reason === undefined ? undefined : withoutUndefined({ ...device, reason }),
    at,
  );
}

/**
 * Records that a delivery policy blocks a surface for a person (one row per person and surface, whatever
 * device asked), or that none does any more (`block` undefined). The row's key cannot be a device's: `%`
 * followed by a letter never comes out of encodeURIComponent.
 */
export async function recordPolicyBlock(
  tenantId: string,
  person: Pick<DeviceState, 'userId' | 'upn'>,
  surface: Surface,
  block: { policyId: string; policyName: string; reason: string } | undefined,
  at: number,
  /** No policy of the tenant blocks the surface: a row can only be one this process wrote, so nothing is deleted blind. */
  noPolicyBlocks: boolean,
): Promise<void> {
  const partitionKey = tenantKey(tenantId);
  const rowKey = `${encodeURIComponent(person.userId)}|%${surface}`;
  // Keeps a tenant without blocking policies at no writes per poll; rows a deleted or changed policy left are
  // cleared by clearPolicyBlocks.
  if (!block && noPolicyBlocks && !remembered.has(`${partitionKey}/${rowKey}`)) return;
  await record(partitionKey, rowKey, block && { userId: person.userId, upn: person.upn, surface, ...block }, at);
}

/**
 * Deletes the rows that name a policy (when it is changed or deleted), and forgets them, so each member's next
 * poll records what blocks them now. Another instance that remembers a row rewrites it within LAST_SEEN_REFRESH_MS.
 */
export async function clearPolicyBlocks(tenantId: string, policyId: string): Promise<void> {
  const partitionKey = tenantKey(tenantId);
  const client = await readiness();
  const rows = client.listEntities<Record<string, unknown>>({
    queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and policyId eq ${policyId}`, select: ['RowKey'] },
  });
  for await (const row of rows) {
    try {
      await client.deleteEntity(partitionKey, String(row.rowKey));
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    remembered.delete(`${partitionKey}/${String(row.rowKey)}`);
  }
}

async function record(partitionKey: string, rowKey: string, columns: Record<string, unknown> | undefined, at: number): Promise<void> {
  const key = `${partitionKey}/${rowKey}`;
  const state = columns ? JSON.stringify(columns) : 'eligible';
  const last = remembered.get(key);
  if (last?.state === state && (!columns || at - last.at < LAST_SEEN_REFRESH_MS)) return;

  const client = await readiness();
  if (columns) await client.upsertEntity({ partitionKey, rowKey, ...columns, lastSeen: new Date(at).toISOString() }, 'Replace');
  else
    try {
      await client.deleteEntity(partitionKey, rowKey);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  remember(key, { state, at });
}

function toBlocked(e: TableEntityResult<Record<string, unknown>>): BlockedDevice {
  return {
    userId: String(e.userId),
    upn: String(e.upn ?? ''),
    ...(e.deviceName ? { deviceName: String(e.deviceName) } : {}),
    ...(e.osEdition ? { osEdition: String(e.osEdition) } : {}),
    ...(e.joinType ? { joinType: e.joinType as JoinType } : {}),
    reason: String(e.reason),
    lastSeen: String(e.lastSeen),
    ...(e.surface ? { surface: e.surface as Surface, policyId: String(e.policyId), policyName: String(e.policyName) } : {}),
  };
}

/** One page of the tenant's blocked devices, by user and device name; throws InvalidContinuation for a foreign token. */
export async function listBlockedDevices(
  tenantId: string,
  pageSize: number,
  continuation?: string,
): Promise<{ items: BlockedDevice[]; continuation?: string }> {
  const conditions = [odata`PartitionKey eq ${tenantKey(tenantId)}`];
  if (continuation) conditions.push(odata`RowKey gt ${decodeContinuation(continuation)}`);
  const rows: TableEntityResult<Record<string, unknown>>[] = [];
  // One row more than the page shows whether another page exists.
  const pages = (await readiness())
    .listEntities<Record<string, unknown>>({ queryOptions: { filter: conditions.join(' and ') } })
    .byPage({ maxPageSize: pageSize + 1 });
  for await (const page of pages) {
    rows.push(...page);
    if (rows.length > pageSize) break;
  }
  const shown = rows.slice(0, pageSize);
  return {
    items: shown.map(toBlocked),
    ...(rows.length > pageSize ? { continuation: encodeContinuation(String(shown[shown.length - 1]!.rowKey)) } : {}),
  };
}
