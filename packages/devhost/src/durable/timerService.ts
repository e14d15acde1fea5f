import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { EventType, events, type HistoryEvent } from './history.js';
import { stableGuid } from './ids.js';

/**
 * Durable timers wait on the host clock (so the test clock can skip 30 days) rather than on queue
 * visibility. Nothing about them is stored apart from history: at start-up, timers created and not yet
 * fired are read back from the histories of unfinished instances.
 */
export class TimerService {
  #pending = new Map<string, AbortController>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly fire: (instanceId: string, executionId: string, event: HistoryEvent, messageId: string) => Promise<void>,
  ) {}

  get size(): number {
    return this.#pending.size;
  }

  /** Keyed by execution too: a new execution numbers its timers from 0 again. */
  schedule(instanceId: string, executionId: string, timerId: number, fireAt: string): void {
    const key = `${instanceId}\u0000${executionId}\u0000${timerId}`;
    if (this.#pending.has(key)) return;
    const abort = new AbortController();
    this.#pending.set(key, abort);
    void this.clock.sleepUntil(Date.parse(fireAt), abort.signal).then(async () => {
      if (abort.signal.aborted) return;
      try {
        const event = events.timerFired(new Date(this.clock.now()).toISOString(), timerId, fireAt);
        await this.fire(instanceId, executionId, event, stableGuid(instanceId, executionId, 'timer', timerId));
      } catch (error) {
        this.logger.error(`timer ${timerId} of '${instanceId}' could not fire: ${(error as Error).message}`);
      } finally {
        this.#pending.delete(key);
      }
    });
  }

  cancel(instanceId: string, executionId: string, timerId: number): void {
    const key = `${instanceId}\u0000${executionId}\u0000${timerId}`;
    this.#pending.get(key)?.abort();
    this.#pending.delete(key);
  }

  /** Drops the timers of the instances `which` picks: their partition went to another process, which re-arms them. */
  forget(which: (instanceId: string) => boolean): void {
    for (const [key, abort] of this.#pending) {
      if (!which(key.split('\u0000')[0]!)) continue;
      abort.abort();
      this.#pending.delete(key);
    }
  }

  /** Re-arms the timers of one instance's history. */
  recover(instanceId: string, executionId: string, history: HistoryEvent[]): void {
    const fired = new Set(history.filter((e) => e.EventType === EventType.TimerFired).map((e) => e.TimerId));
    for (const e of history) {
      if (e.EventType === EventType.TimerCreated && !fired.has(e.EventId)) this.schedule(instanceId, executionId, e.EventId, e.FireAt!);
    }
  }

  stop(): void {
    for (const abort of this.#pending.values()) abort.abort();
    this.#pending.clear();
  }
}
