/**
 * The host's time. Real by default; in test mode it is virtual and frozen until a test sets or advances
 * it, so a schedule of days runs in milliseconds. Everything that waits (timer triggers, later durable
 * timers) waits through `sleepUntil`, which is how `skipToNextDue` knows what is due next.
 */
import { HOST_CLOCK_KEY, type HostClock } from './clockContract.js';

export interface Clock {
  readonly mode: 'real' | 'test';
  now(): number;
  sleepUntil(time: number, signal?: AbortSignal): Promise<void>;
}

/** The global an app may read to share the host's time (see README.md, "Clock"). */
export const CLOCK_GLOBAL = Symbol.for(HOST_CLOCK_KEY);

interface Sleeper {
  time: number;
  resolve(): void;
}

const MAX_TIMEOUT = 2 ** 31 - 1;

export class RealClock implements Clock {
  readonly mode = 'real' as const;
  now(): number {
    return Date.now();
  }
  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      let handle: NodeJS.Timeout;
      const arm = () => {
        const wait = time - Date.now();
        if (wait <= 0) return done();
        handle = setTimeout(arm, Math.min(wait, MAX_TIMEOUT));
      };
      const done = () => {
        clearTimeout(handle);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      signal?.addEventListener('abort', done, { once: true });
      arm();
    });
  }
}

export class TestClock implements Clock {
  readonly mode = 'test' as const;
  #now: number;
  #sleepers = new Set<Sleeper>();

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    if (time <= this.#now || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        time,
        resolve: () => {
          this.#sleepers.delete(sleeper);
          signal?.removeEventListener('abort', sleeper.resolve);
          resolve();
        },
      };
      this.#sleepers.add(sleeper);
      signal?.addEventListener('abort', sleeper.resolve, { once: true });
    });
  }

  /** Moves time to `time`; time never runs backwards, because durable and timer state assume it doesn't. */
  set(time: number): number {
    if (!Number.isFinite(time)) throw new RangeError('time must be a finite number of milliseconds');
    if (time < this.#now) throw new RangeError(`cannot move the clock back from ${new Date(this.#now).toISOString()}`);
    this.#now = time;
    for (const s of [...this.#sleepers]) if (s.time <= time) s.resolve();
    return this.#now;
  }

  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance takes a non-negative number of milliseconds');
    return this.set(this.#now + ms);
  }

  /** The earliest time anything is waiting for, if anything is. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const s of this.#sleepers) if (next === undefined || s.time < next) next = s.time;
    return next;
  }
}

export function installClockGlobal(clock: Clock): void {
  const shared: HostClock = { mode: clock.mode, now: () => clock.now() };
  (globalThis as Record<symbol, unknown>)[CLOCK_GLOBAL] = shared;
}
