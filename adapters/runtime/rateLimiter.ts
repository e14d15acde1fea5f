/**
 * Per-channel, per-tenant pacing of provider calls, in this process: a token bucket at the provider's
 * published rate, and a pause when the provider answers 429 with Retry-After (every batch of the same
 * tenant and channel waits it out, not just the one that was refused). Time is real time: it paces calls
 * to a service that runs in real time.
 */
import { limits } from './settings.js';

export interface Limit {
  /** Calls per second; 0 or less is unlimited. */
  perSecond: number;
  /** Calls allowed at once after a quiet spell. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
  pausedUntil: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  constructor(private readonly limits: (key: string) => Limit) {}

  #bucket(key: string, now: number): Bucket {
    let b = this.#buckets.get(key);
    if (!b) this.#buckets.set(key, (b = { tokens: this.limits(key).burst, at: now, pausedUntil: 0 }));
    return b;
  }

  /** How long to wait (ms) before one call may go; takes the token when it returns 0. */
  delay(key: string, now = Date.now()): number {
    const { perSecond, burst } = this.limits(key);
    const b = this.#bucket(key, now);
    if (b.pausedUntil > now) return b.pausedUntil - now;
    if (perSecond <= 0) return 0;
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) * perSecond) / 1000);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) * 1000) / perSecond);
  }

  /** Waits for a token, unless that takes longer than `maxWaitMs`: then returns the wait without taking one. */
  async acquire(key: string, maxWaitMs: number): Promise<number> {
    for (;;) {
      const wait = this.delay(key);
      if (wait === 0) return 0;
      if (wait > maxWaitMs) return wait;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** The provider said "not before": hold every call for this key until then. */
  pause(key: string, ms: number, now = Date.now()): void {
    const b = this.#bucket(key, now);
    b.pausedUntil = Math.max(b.pausedUntil, now + ms);
    b.tokens = 0;
    b.at = now + ms;
  }
}

/**
 * Published provider limits by default (adapters/runtime/settings.ts `limits`): Teams bulk activity
 * notifications allow 2 requests/s per app per tenant; ACS Email's default quota is 30 emails a minute
 * (raised on request — set EMAIL_SENDS_PER_SECOND).
 */
export const channelLimiter = new RateLimiter((key) => {
  const channel = key.split(':')[0];
  if (channel === 'teams') {
    // No burst and 2 % under the limit: Graph counts requests in a sliding second, so evenly spaced
    // requests at exactly the limit still trip it now and then.
    const perSecond = limits().teamsRequestsPerSecond * 0.98;
    return { perSecond, burst: 1 };
  }
  const perSecond = limits().emailSendsPerSecond;
  return { perSecond, burst: Math.max(1, Math.floor(perSecond)) };
});
