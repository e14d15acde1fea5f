/**
 * Registered mobile devices (docs/storage.md `devices`), over Azure Tables: PartitionKey tenant, RowKey device
 * id. A device's id is derived from its platform and push token, so the app registering the same token again
 * updates the one device instead of adding another. A group send reads the tenant's devices id range by id
 * range and keeps those of the targeted users.
 */
import { createHash } from 'node:crypto';
import { odata, type TableEntityResult } from '@azure/data-tables';
import { DEVICE_ID, isDeviceApp, type DeviceApp, type DeviceInput, type Platform } from '../../core/notification.js';
import { tenantKey } from './keys.js';
import { findEntity, isStatus, table } from './storageClients.js';

export interface Device {
  id: string;
  userId: string;
  upn: string;
  platform: Platform;
  pushToken: string;
  /** The app that registered the device and shows its notifications; its version is `appVersion`. */
  app: DeviceApp;
  appVersion: string;
  enrolled: boolean;
  registeredAt: string;
  updatedAt: string;
  /** Set when the push service said the token is dead: nothing is sent to it any more. */
  staleSince?: string;
  staleReason?: string;
}

const devices = () => table('devices');

export const deviceIdOf = (tenantId: string, platform: string, pushToken: string) =>
  createHash('sha256').update(`${tenantId}\u0000${platform}\u0000${pushToken}`).digest('hex').slice(0, 32);

/** What a send needs of a device row (`PUSHABLE_COLUMNS`); the rest of a Device is `toDevice`'s. */
function pushableOf(e: Record<string, unknown>): PushableDevice {
  return {
    id: String(e.rowKey),
    userId: String(e.userId),
    upn: String(e.upn ?? ''),
    platform: e.platform as Platform,
    pushToken: String(e.pushToken),
    // A row from before the app was kept counts as the Company Portal's, as a registration naming no app does;
    // registering again records the real one.
    app: isDeviceApp(e.app) ? e.app : 'companyPortal',
    appVersion: String(e.appVersion ?? ''),
  };
}

function toDevice(e: TableEntityResult<Record<string, unknown>>): Device {
  return {
    ...pushableOf(e),
    enrolled: e.enrolled === true,
    registeredAt: String(e.registeredAt),
    updatedAt: String(e.updatedAt),
    ...(e.staleSince ? { staleSince: String(e.staleSince), staleReason: String(e.staleReason ?? '') } : {}),
  };
}

/**
 * Registers (or refreshes) the device for the user. Returns it and whether it is new. Registering a token
 * again clears a stale mark: the app only re-registers a token the push service handed it. A token another
 * user registered before (a phone handed on) starts a new registration: `registeredAt` moves, and what was
 * sent to the device before it is not the new owner's.
 */
export async function registerDevice(
  tenantId: string,
  owner: { userId: string; upn: string },
  input: DeviceInput,
  at: string,
): Promise<{ device: Device; created: boolean }> {
  const id = deviceIdOf(tenantId, input.platform, input.pushToken);
  const existing = await getDevice(tenantId, id);
  const device: Device = {
    id,
    userId: owner.userId,
    upn: owner.upn,
    platform: input.platform,
    pushToken: input.pushToken,
    app: input.app,
    appVersion: input.appVersion,
    enrolled: input.enrolled,
    registeredAt: existing && existing.userId === owner.userId ? existing.registeredAt : at,
    updatedAt: at,
  };
  const { id: _id, ...columns } = device;
  await (await devices()).upsertEntity({ partitionKey: tenantKey(tenantId), rowKey: id, ...columns }, 'Replace');
  return { device, created: !existing || existing.userId !== owner.userId };
}

export async function getDevice(tenantId: string, id: string): Promise<Device | undefined> {
  if (!DEVICE_ID.test(id)) return undefined;
  const e = await findEntity(await devices(), tenantKey(tenantId), id);
  return e && toDevice(e);
}

export async function removeDevice(tenantId: string, id: string): Promise<void> {
  try {
    await (await devices()).deleteEntity(tenantKey(tenantId), id);
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
}

export async function devicesOf(tenantId: string, userId: string): Promise<Device[]> {
  const filter = odata`PartitionKey eq ${tenantKey(tenantId)} and userId eq ${userId}`;
  const out: Device[] = [];
  for await (const e of (await devices()).listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
    out.push(toDevice(e as TableEntityResult<Record<string, unknown>>));
  return out.sort((a, b) => a.registeredAt.localeCompare(b.registeredAt));
}

/** What a send needs of a device: no registration times, nothing about staleness (a stale one is not pushable). */
export type PushableDevice = Pick<Device, 'id' | 'userId' | 'upn' | 'platform' | 'pushToken' | 'app' | 'appVersion'>;

/** The columns `pushableDevicesIn` reads: half a device row's, and a page that much smaller on the wire. */
const PUSHABLE_COLUMNS = ['rowKey', 'userId', 'upn', 'platform', 'pushToken', 'app', 'appVersion', 'staleSince'];

/**
 * The tenant's devices in one id range (`core/notification.ts` `idRangeBounds`) that can receive a custom
 * notification: enrolled, iOS or Android, not stale. A send reads its ranges one after another, a few at a
 * time, so that it holds one range's devices at once and each range's batches go out as soon as it is read.
 */
export async function pushableDevicesIn(tenantId: string, range: { from: string; to: string }): Promise<PushableDevice[]> {
  const client = await devices();
  const filter = odata`PartitionKey eq ${tenantKey(tenantId)} and RowKey ge ${range.from} and RowKey lt ${range.to} and enrolled eq ${true} and (platform eq ${'ios'} or platform eq ${'android'})`;
  const found: PushableDevice[] = [];
  for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: PUSHABLE_COLUMNS } })) {
    if (e.staleSince) continue;
    found.push(pushableOf(e));
  }
  return found;
}

/** The push service said the token is dead: the device gets nothing more until the app registers it again. */
export async function markStale(tenantId: string, id: string, reason: string, at: string): Promise<void> {
  try {
    await (await devices()).updateEntity({ partitionKey: tenantKey(tenantId), rowKey: id, staleSince: at, staleReason: reason }, 'Merge');
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
}
