/**
 * Custom notifications to mobile devices (seed 002): what a send and a device registration may hold, the
 * seed's sending limits as a sliding window, and how a notification's devices are spread over delivery
 * batches. Pure: time comes in as epoch ms.
 */
import { z } from 'zod';

export const PLATFORMS = ['ios', 'android', 'windows', 'macos'] as const;
export type Platform = (typeof PLATFORMS)[number];
/** Custom notifications reach iOS/iPadOS and Android only (the seed: macOS and Windows are not supported). */
export const PUSH_PLATFORMS = ['ios', 'android'] as const satisfies readonly Platform[];
export type PushPlatform = (typeof PUSH_PLATFORMS)[number];
export const isPushPlatform = (p: string): p is PushPlatform => (PUSH_PLATFORMS as readonly string[]).includes(p);

export const LIMITS = {
  title: 50,
  body: 500,
  groups: 25,
  /** Group notifications per tenant per hour. */
  groupSendsPerHour: 25,
  /** Notifications to one device per hour (device sends only: group sends do not count). */
  deviceSendsPerHour: 10,
} as const;
export const HOUR_MS = 3_600_000;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const DEVICE_ID = /^[0-9a-f]{32}$/;

const text = (max: number) =>
  z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/**
 * `POST /api/notifications`: a title and body, and either groups (1–25 directly targeted; nested groups do
 * not count) or one device.
 */
export const NotificationInput = z
  .object({
    title: text(LIMITS.title),
    body: text(LIMITS.body),
    groups: z
      .array(z.string().regex(GUID, 'must be a group object id (a GUID)'))
      .min(1, 'must name at least one group')
      .max(LIMITS.groups, `must name at most ${LIMITS.groups} groups (nested groups do not count)`)
      .refine((g) => new Set(g.map((id) => id.toLowerCase())).size === g.length, 'must not name a group twice')
      .optional(),
    deviceId: z.string().regex(DEVICE_ID, 'must be a device id').optional(),
  })
  .strict()
  .superRefine((n, ctx) => {
    if ((n.groups === undefined) === (n.deviceId === undefined))
      ctx.addIssue({ code: 'custom', path: ['groups'], message: 'send either groups or one deviceId, not both and not neither' });
  });
export type NotificationInput = z.output<typeof NotificationInput>;

/** The apps that show custom notifications on a device ("from the Company Portal app and from the Microsoft Intune app"). */
export const DEVICE_APPS = ['companyPortal', 'intune'] as const;
export type DeviceApp = (typeof DEVICE_APPS)[number];
export const isDeviceApp = (a: unknown): a is DeviceApp => (DEVICE_APPS as readonly unknown[]).includes(a);
/** The apps' names as people know them, for the update prompt and delivery reasons. */
export const APP_NAMES: Record<DeviceApp, string> = { companyPortal: 'Company Portal', intune: 'Microsoft Intune' };

/**
 * "For Android devices, users must update to recent versions of the Android Company Portal (version
 * 5.0.5291.0 …) or Android Intune app (version 2021.09.04 …) to receive custom notifications."
 */
export const MIN_ANDROID_APP_VERSION: Record<DeviceApp, string> = { companyPortal: '5.0.5291.0', intune: '2021.09.04' };

/** Dotted versions compared part by part as numbers (`5.0.5291.0` < `5.1`; `2021.09.04` < `2021.10`). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Whether the device's app is too old to show a custom notification (it gets the update prompt instead). */
export const needsAppUpdate = (device: { platform: string; app?: DeviceApp; appVersion: string }) =>
  device.platform === 'android' && compareVersions(device.appVersion, MIN_ANDROID_APP_VERSION[device.app ?? 'companyPortal']) < 0;

/** "…they will instead receive a notification telling them to update their app to view the notification." */
export const updatePrompt = (app: DeviceApp) => ({
  title: 'Update your app',
  body: `Your organisation sent you a notification. Update the ${APP_NAMES[app]} app to read it in its Notifications section.`,
});

/** What a device's delivery row says when the update prompt went in place of the notification. */
export const updatePromptReason = (app: DeviceApp, appVersion: string) =>
  `update prompt sent: ${APP_NAMES[app]} ${appVersion} is below ${MIN_ANDROID_APP_VERSION[app]}`;

/** `POST /api/devices`: the organisation's app registering the device it runs on for the signed-in user. */
export const DeviceInput = z
  .object({
    platform: z.enum(PLATFORMS, { error: `must be one of ${PLATFORMS.join(', ')}` }),
    /** Which app registers (and shows the notifications); the minimum Android version depends on it. */
    app: z.enum(DEVICE_APPS, { error: `must be one of ${DEVICE_APPS.join(', ')}` }).default('companyPortal'),
    pushToken: z.string({ error: 'is required' }).trim().min(8, 'must be 8 to 4096 characters').max(4096, 'must be 8 to 4096 characters'),
    appVersion: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
    enrolled: z.boolean({ error: 'is required: whether the device is MDM-enrolled by this user' }),
  })
  .strict();
export type DeviceInput = z.output<typeof DeviceInput>;

/** Whether a send is allowed now given the sends in the window; the window after it when it is. */
export type Admission = { admitted: true; sends: number[] } | { admitted: false; retryAfterMs: number };

/**
 * The seed's limits as a sliding hour: a send is allowed while fewer than `limit` were admitted in the hour
 * before `now`; otherwise the answer says when the oldest of them leaves the window. A send stamped after
 * `now` (another request whose clock read came a moment later, or another instance's clock) counts too:
 * dropping it would let the rewritten window forget it.
 */
export function admit(sends: readonly number[], now: number, limit: number, windowMs = HOUR_MS): Admission {
  const inWindow = sends.filter((t) => t > now - windowMs).sort((a, b) => a - b);
  if (inWindow.length < limit) return { admitted: true, sends: [...inWindow, now].sort((a, b) => a - b) };
  return { admitted: false, retryAfterMs: inWindow[inWindow.length - limit]! + windowMs - now };
}

/**
 * What is left of the sliding hour at `now`: the sends `admit` would still let through, and when the oldest
 * counted send leaves the window (one more is allowed then). The same window `admit` keeps, so the figure a
 * sender is shown is the one the next send meets.
 */
export function allowance(
  sends: readonly number[],
  now: number,
  limit: number,
  windowMs = HOUR_MS,
): { remaining: number; freesAt?: number } {
  const inWindow = sends.filter((t) => t > now - windowMs).sort((a, b) => a - b);
  const remaining = Math.max(0, limit - inWindow.length);
  return inWindow.length ? { remaining, freesAt: inWindow[0]! + windowMs } : { remaining };
}

/** Devices per delivery batch on average: batches are cut at even id sub-ranges, and a batch holds at most `max`. */
const TARGET_PER_BATCH = 800;
/** Devices per id range, roughly: a range is read, split and written as one piece, so this is resolution's memory. */
const DEVICES_PER_RANGE = 6_250;
/** Each range keeps a column on the notification row, which holds at most 252. */
const MAX_RANGES = 64;
const SPACE = 2 ** 32;

/**
 * How a group send's devices are spread over batches. Device ids are the first 32 hex digits of a SHA-256, so
 * their first 8 digits (`prefix`) are even over [0, 2³²): that space is cut into `ranges` equal id ranges, read
 * one by one, and range r into `perRange[r]` equal sub-ranges, each a batch, numbered `sub × ranges + r`. A
 * device's batch follows from its id and the layout alone; `perRange[r]` is absent until range r is cut.
 */
export interface BatchLayout {
  ranges: number;
  perRange: readonly (number | undefined)[];
}

const prefixOf = (deviceId: string) => Number.parseInt(deviceId.slice(0, 8), 16);
const rangeStart = (r: number, ranges: number) => Math.ceil((r * SPACE) / ranges);

/** How many id ranges a send to about `users` people is read in: ~6,250 devices each at one device a person. */
export const idRangesFor = (users: number) => Math.min(MAX_RANGES, Math.max(1, Math.ceil(users / DEVICES_PER_RANGE)));

/** Range r's ids as RowKey bounds, [from, to): 8-digit prefixes compare below and above every 32-digit id as the numbers do. */
export function idRangeBounds(r: number, ranges: number): { from: string; to: string } {
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return { from: hex(rangeStart(r, ranges)), to: r === ranges - 1 ? 'g' : hex(rangeStart(r + 1, ranges)) };
}

/** The id range a device falls in. */
export const rangeOf = (deviceId: string, ranges: number) => Math.floor((prefixOf(deviceId) * ranges) / SPACE);

/** The sub-range of range r (cut into `count`) a device falls in. */
function subOf(deviceId: string, r: number, ranges: number, count: number): number {
  const from = rangeStart(r, ranges);
  return Math.floor(((prefixOf(deviceId) - from) * count) / (rangeStart(r + 1, ranges) - from));
}

/** The batch a device of range r goes to when the range is cut into `count`. */
export const batchInRange = (deviceId: string, r: number, ranges: number, count: number) => subOf(deviceId, r, ranges, count) * ranges + r;

/** How many batches range r's devices (`ids`) are cut into: the fewest that keep every one within `max` (at least 1). */
export function rangeBatchCount(ids: readonly string[], r: number, ranges: number, max: number): number {
  for (let count = Math.max(1, Math.ceil(ids.length / TARGET_PER_BATCH)); ; count++) {
    const sizes = new Array<number>(count).fill(0);
    for (const id of ids) sizes[subOf(id, r, ranges, count)]!++;
    if (Math.max(...sizes) <= max) return count;
  }
}

/** The batches a finished layout numbers, 0…n-1: ranges cut into fewer than the most have empty batches in the gaps. */
export const layoutBatches = (layout: BatchLayout) => layout.ranges * Math.max(1, ...layout.perRange.map((k) => k ?? 1));

/**
 * A device's batch in a notification: by id range when it has a layout; otherwise (a device send, or a
 * notification resolved before batches were cut by range) by `batchOf` among its `batches`.
 */
export function deviceBatch(deviceId: string, n: { batches?: number; layout?: BatchLayout }): number | undefined {
  if (n.layout) {
    const r = rangeOf(deviceId, n.layout.ranges);
    const count = n.layout.perRange[r];
    return count === undefined ? undefined : batchInRange(deviceId, r, n.layout.ranges, count);
  }
  return n.batches === undefined ? undefined : batchOf(deviceId, n.batches);
}

/** A device's batch among `count` by hash, as notifications resolved before the id-range layout were spread. */
export function batchOf(deviceId: string, count: number): number {
  // FNV-1a over the id's characters: cheap, stable across processes and versions.
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) h = Math.imul(h ^ deviceId.charCodeAt(i), 0x01000193) >>> 0;
  return h % count;
}
