/** Devices, notifications and the hourly send limits in memory, with the stores' contracts. */
import { admit, type Admission, type Platform } from '../../../../core/notification.js';
import type { Device } from '../../../../adapters/stores/deviceStore.js';
import type { NotificationRecord } from '../../../../adapters/stores/notificationStore.js';
import type { LimitKey } from '../../../../adapters/stores/sendLimitStore.js';
import type { PushPorts } from '../../../../jobs/push/pushJobs.js';
import { newMessageId } from './records.js';

type DevicePort = PushPorts['devices'];
type NotificationPort = PushPorts['notifications'];

export function device(id: string, userId: string, more: Partial<Device> = {}): Device {
  return {
    id,
    userId,
    upn: `${userId}@contoso.test`,
    platform: 'ios' as Platform,
    pushToken: `token-${id}`,
    app: 'companyPortal',
    appVersion: '5.1',
    enrolled: true,
    registeredAt: '2026-03-01T09:00:00.000Z',
    updatedAt: '2026-03-01T09:00:00.000Z',
    ...more,
  };
}

export class FakeDevices implements DevicePort {
  readonly #devices = new Map<string, Device>();
  constructor(devices: Device[] = []) {
    for (const d of devices) this.#devices.set(d.id, { ...d });
  }

  getDevice = async (_tenantId: string, id: string) => {
    const d = this.#devices.get(id);
    return d && { ...d };
  };

  /** Enrolled iOS and Android devices that are not stale, in the id range, in id order as the table keeps them. */
  pushableDevicesIn = async (_tenantId: string, range: { from: string; to: string }) => {
    this.rangeReads.push(range);
    return [...this.#devices.values()]
      .filter((d) => d.id >= range.from && d.id < range.to)
      .filter((d) => d.enrolled && (d.platform === 'ios' || d.platform === 'android') && !d.staleSince)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((d) => ({ ...d }));
  };

  /** The id ranges read, in the order they were asked for. */
  readonly rangeReads: { from: string; to: string }[] = [];

  /** Registers another device, as the app would between a crash and a re-run. */
  add(d: Device) {
    this.#devices.set(d.id, { ...d });
  }

  /** A device that is not there is no error. */
  markStale = async (_tenantId: string, id: string, reason: string, at: string) => {
    const d = this.#devices.get(id);
    if (d) Object.assign(d, { staleSince: at, staleReason: reason });
  };
}

export class FakeNotifications implements NotificationPort {
  readonly #records = new Map<string, NotificationRecord>();

  getNotification = async (_tenantId: string, id: string) => {
    const n = this.#records.get(id);
    return n && structuredClone(n);
  };

  createNotification = async (_tenantId: string, n: Omit<NotificationRecord, 'id' | 'createdAt' | 'batches' | 'devices'>, at: number) => {
    const record: NotificationRecord = { ...structuredClone(n), id: newMessageId(), createdAt: new Date(at).toISOString() };
    this.#records.set(record.id, record);
    return structuredClone(record);
  };

  setIdRanges = async (_tenantId: string, id: string, ranges: number) => {
    this.#record(id).layout = { ranges, perRange: Array.from({ length: ranges }, () => undefined) };
  };

  setRangeBatches = async (_tenantId: string, id: string, range: number, batches: number) => {
    const { layout } = this.#record(id);
    if (!layout) throw new Error(`notification ${id} has no id ranges`);
    this.#record(id).layout = { ...layout, perRange: layout.perRange.map((k, r) => (r === range ? batches : k)) };
  };

  #record(id: string) {
    const n = this.#records.get(id);
    if (!n) throw new Error(`no notification ${id}`);
    return n;
  }

  setBatches = async (_tenantId: string, id: string, batches: number, devices: number) => {
    const n = this.#records.get(id);
    if (!n) throw new Error(`no notification ${id}`);
    Object.assign(n, { batches, devices });
  };

  delete(id: string) {
    this.#records.delete(id);
  }
}

/** The admitted send times per key, judged by core's sliding window as the store does. */
export class FakeSendLimits {
  readonly #sends = new Map<string, number[]>();

  admitSend = async (tenantId: string, key: LimitKey, limit: number, now: number): Promise<Admission> => {
    const k = `${tenantId}:${key.kind === 'groups' ? 'groups' : `device:${key.deviceId}`}`;
    const verdict = admit(this.#sends.get(k) ?? [], now, limit);
    if (verdict.admitted) this.#sends.set(k, verdict.sends);
    return verdict;
  };
}
