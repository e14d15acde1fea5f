/**
 * Throttling a test switches on: while a platform's setting is on, each of its sends (that passes
 * authentication and validation) is answered 429 with `Retry-After`, for `times` sends when given, else
 * until the setting is turned off. FCM answers QUOTA_EXCEEDED; APNs `TooManyRequests`, or
 * `TooManyProviderTokenUpdates` when asked for.
 */
import type { Platform } from './store.js';

export type ApnsThrottleReason = 'TooManyRequests' | 'TooManyProviderTokenUpdates';

export interface ThrottleSetting {
  retryAfterSeconds: number;
  /** How many sends to refuse before the setting turns itself off; absent: until turned off. */
  times?: number;
  /** APNs only: the 429's reason. */
  reason?: ApnsThrottleReason;
}

export class Throttling {
  readonly #settings: Record<Platform, ThrottleSetting | undefined> = { fcm: undefined, apns: undefined };
  readonly throttled: Record<Platform, number> = { fcm: 0, apns: 0 };

  set(platform: Platform, setting: ThrottleSetting | null): void {
    this.#settings[platform] = setting ?? undefined;
  }

  settings(): Record<Platform, ThrottleSetting | null> {
    return { fcm: this.#settings.fcm ?? null, apns: this.#settings.apns ?? null };
  }

  /** The setting to refuse this send with, or undefined to let it through. */
  take(platform: Platform): ThrottleSetting | undefined {
    const setting = this.#settings[platform];
    if (!setting) return undefined;
    this.throttled[platform]++;
    if (setting.times !== undefined) {
      const left = setting.times - 1;
      this.#settings[platform] = left > 0 ? { ...setting, times: left } : undefined;
    }
    return setting;
  }

  reset(): void {
    this.#settings.fcm = this.#settings.apns = undefined;
    this.throttled.fcm = this.throttled.apns = 0;
  }
}
