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
  const partitionKey = tenantKey(tenantId);
  const rowKey = rowKeyOf(device.userId, device.deviceName);
  const key = `${partitionKey}/${rowKey}`;
  const columns = reason === undefined ? undefined : withoutUndefined({ ...device, reason });
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
