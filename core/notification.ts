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

/** Devices per delivery batch on average; hashing spreads them unevenly, and a batch holds at most 990. */
const TARGET_PER_BATCH = 800;

/** A device's batch among `count`: stable, so the app's history can find a device's row without an index. */
export function batchOf(deviceId: string, count: number): number {
  // FNV-1a over the id's characters: cheap, stable across processes and versions.
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) h = Math.imul(h ^ deviceId.charCodeAt(i), 0x01000193) >>> 0;
  return h % count;
}

/** The number of batches for `ids`: the fewest that keep every batch within `max`. */
export function batchCount(ids: readonly string[], max: number): number {
  for (let count = Math.max(1, Math.ceil(ids.length / TARGET_PER_BATCH)); ; count++) {
    const sizes = new Array<number>(count).fill(0);
    for (const id of ids) sizes[batchOf(id, count)]!++;
    if (Math.max(...sizes) <= max) return count;
  }
}
