/**
 * Per-channel, per-tenant pacing of provider calls, shared by every instance of the app: the slots come
 * from one schedule in storage (`adapters/stores/pacingStore.ts`), spaced at the provider's published rate,
 * and a provider's 429 with Retry-After pauses that schedule for every instance, not just the batch that was
 * refused. Each claim takes a few slots at once, so the hot path makes one storage call per claim rather
 * than one per send. Time is real time: it paces calls to a service that runs in real time.
 */
import { claimSlots, pauseUntil } from '../stores/pacingStore.js';
import { limits } from './settings.js';

export interface Limit {
  /** Calls per second; 0 or less is unlimited. */
  perSecond: number;
  /** Slots taken from the shared schedule in one claim. */
  claim: number;
}

export interface RateLimiter {
  /** Waits for a slot, unless that takes longer than `maxWaitMs`: then returns the wait without taking one. */
  acquire(key: string, maxWaitMs: number): Promise<number>;
  /** The provider said "not before": hold every call for this key, in every instance, until then. */
  pause(key: string, ms: number): void;
}

export interface PacingSchedule {
  claimSlots(key: string, count: number, intervalMs: number, now: number): Promise<number[]>;
  pauseUntil(key: string, until: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SharedPacer implements RateLimiter {
  /** Slots this process claimed and has not used, ascending, per key. */
  readonly #slots = new Map<string, number[]>();
  readonly #claims = new Map<string, Promise<void>>();
  readonly #pausedUntil = new Map<string, number>();

  constructor(
    private readonly limitOf: (key: string) => Limit,
    private readonly schedule: PacingSchedule,
    private readonly clock: () => number = Date.now,
  ) {}

  async acquire(key: string, maxWaitMs: number): Promise<number> {
    for (;;) {
      const now = this.clock();
      const paused = (this.#pausedUntil.get(key) ?? 0) - now;
      if (paused > 0) {
        if (paused > maxWaitMs) return paused;
        await sleep(paused);
        continue;
      }
      const { perSecond, claim } = this.limitOf(key);
      if (perSecond <= 0) return 0;
      const interval = 1000 / perSecond;
      const slots = this.#slots.get(key) ?? [];
      // A slot left unused for longer than an interval is dropped: spent late, it would crowd the next one.
      while (slots.length > 0 && slots[0]! < now - interval) slots.shift();
      if (slots.length === 0) {
        await this.#claim(key, claim, interval);
        continue;
      }
      const wait = Math.ceil(slots[0]! - now);
      if (wait > maxWaitMs) return wait;
      slots.shift();
      if (wait > 0) await sleep(wait);
      return 0;
    }
  }

  pause(key: string, ms: number): void {
    const until = this.clock() + ms;
    this.#pausedUntil.set(key, Math.max(this.#pausedUntil.get(key) ?? 0, until));
    // Slots claimed before the pause may fall inside it.
    this.#slots.delete(key);
    // Other instances learn of it from the schedule; this one holds anyway, so a lost write costs at most
    // one more 429 elsewhere.
    this.schedule.pauseUntil(key, until).catch(() => undefined);
  }

  /** One claim per key at a time: concurrent senders in this process share it. */
  #claim(key: string, count: number, interval: number): Promise<void> {
    let claim = this.#claims.get(key);
    if (!claim) {
      claim = this.schedule
        .claimSlots(key, count, interval, this.clock())
        .then((slots) => void this.#slots.set(key, [...(this.#slots.get(key) ?? []), ...slots]))
        .finally(() => this.#claims.delete(key));
      this.#claims.set(key, claim);
    }
    return claim;
  }
}

/**
 * Published provider limits by default (adapters/runtime/settings.ts `limits`): Teams bulk activity
 * notifications allow 2 requests/s per app per tenant; ACS Email's default quota is 30 emails a minute
 * (raised on request — set EMAIL_SENDS_PER_SECOND).
 */
export const channelLimiter: RateLimiter = new SharedPacer(
  (key) => {
    const channel = key.split(':')[0];
    if (channel === 'teams') {
      // One slot a claim and 2 % under the limit: Graph counts requests in a sliding second, so evenly
      // spaced requests at exactly the limit still trip it now and then.
      return { perSecond: limits().teamsRequestsPerSecond * 0.98, claim: 1 };
    }
    const perSecond = limits().emailSendsPerSecond;
    return { perSecond, claim: Math.min(20, Math.max(1, Math.floor(perSecond))) };
  },
  { claimSlots, pauseUntil },
);
