import type { ContainerClient } from '@azure/storage-blob';
import type { Clock } from '../clock.js';
import type { RegisteredFunction } from '../coreTypes.js';
import type { OutputBindings } from '../bindings/outputs.js';
import type { Invoker } from '../invoker.js';
import type { Logger } from '../log.js';
import type { ListenerLock } from './listenerLock.js';
import type { Schedule } from './ncrontab.js';

export interface ScheduleStatus {
  Last: string;
  Next: string;
  LastUpdated: string;
}

/** The schedule monitor's record, where the real host keeps it: azure-webjobs-hosts/timers/{hostId}/{name}/status. */
export class ScheduleStatusStore {
  constructor(
    private readonly container: ContainerClient,
    private readonly path: string,
  ) {}

  async read(): Promise<ScheduleStatus | undefined> {
    try {
      const buffer = await this.container.getBlockBlobClient(this.path).downloadToBuffer();
      return JSON.parse(buffer.toString('utf8')) as ScheduleStatus;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async write(status: ScheduleStatus): Promise<void> {
    await this.container.createIfNotExists();
    const body = JSON.stringify(status);
    await this.container.getBlockBlobClient(this.path).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  }
}

const iso = (t: number) => new Date(t).toISOString();

/**
 * One timer trigger. Fires one occurrence at a time on the host clock; with a monitor, a schedule that
 * came due while the host was down fires once at start with `isPastDue: true`.
 */
export class TimerTrigger {
  #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #firing = false;
  #retryDelay = false;

  constructor(
    readonly fn: RegisteredFunction,
    private readonly triggerName: string,
    readonly schedule: Schedule,
    private readonly runOnStartup: boolean,
    private readonly monitor: ScheduleStatusStore | undefined,
    private readonly clock: Clock,
    private readonly invoker: Invoker,
    private readonly outputs: OutputBindings,
    private readonly logger: Logger,
    /** With storage shared by several instances, only the holder of this lock fires. */
    private readonly lock?: ListenerLock,
  ) {}

  /**
   * Running an occurrence. Not while it only waits out a retry delay: that wait is on the clock, so with a
   * test clock nothing happens until the clock moves, and `idle()` must not wait for it.
   */
  get firing(): boolean {
    return this.#firing && !this.#retryDelay;
  }

  async start(): Promise<void> {
    await this.lock?.start();
    if (this.lock && !this.lock.held) {
      this.#loop = this.#standBy();
      return;
    }
    await this.#begin();
  }

  /** Another instance fires; once its lock lapses this one takes over, past-due occurrence first. */
  async #standBy(): Promise<void> {
    await this.lock!.acquired(this.#abort.signal);
    if (this.#abort.signal.aborted) return;
    this.logger.info(`timer '${this.fn.metadata.name}': took over the listener lock`);
    await this.#begin();
    await this.#loop;
  }

  async #begin(): Promise<void> {
    const now = this.clock.now();
    let status = await this.monitor?.read();
    const next = this.schedule.next(now);
    let pastDue = false;
    if (status && Date.parse(status.Next) <= now) pastDue = true;
    else if (this.monitor && !status) {
      status = { Last: iso(0), Next: iso(next), LastUpdated: iso(now) };
      await this.monitor.write(status);
    }
    this.#loop = this.#run(status, pastDue, next);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await this.lock?.stop();
  }

  async #run(status: ScheduleStatus | undefined, pastDue: boolean, next: number): Promise<void> {
    const signal = this.#abort.signal;
    if (pastDue || this.runOnStartup) {
      status = await this.#fire(this.clock.now(), pastDue, status);
      next = this.schedule.next(this.clock.now());
    }
    while (!signal.aborted) {
      await this.clock.sleepUntil(next, signal);
      if (signal.aborted) break;
      // Counted as firing from here, so a test clock does not move on while the lock is checked.
      this.#firing = true;
      if (this.lock && !(await this.lock.confirm())) {
        this.#firing = false;
        return this.#standBy();
      }
      status = await this.#fire(next, false, status);
      next = this.schedule.next(Math.max(next, this.clock.now()));
    }
  }

  async #fire(occurrence: number, isPastDue: boolean, status: ScheduleStatus | undefined): Promise<ScheduleStatus | undefined> {
    this.#firing = true;
    try {
      const following = this.schedule.next(Math.max(occurrence, this.clock.now()));
      const timerInfo = {
        Schedule: { AdjustForDST: true },
        ScheduleStatus: status ? { Last: status.Last, Next: iso(following), LastUpdated: status.LastUpdated } : null,
        IsPastDue: isPastDue,
      };
      const result = await this.invoker.invokeWithRetry(
        this.fn,
        () => ({ inputData: [{ name: this.triggerName, data: { json: JSON.stringify(timerInfo) } }] }),
        this.#abort.signal,
        (waiting) => (this.#retryDelay = waiting),
      );
      if (result.ok)
        await this.outputs
          .apply(this.fn, result.response)
          .catch((e: Error) => this.logger.error(`output bindings: ${e.message}`, { functionName: this.fn.metadata.name }));
      if (!this.monitor) return undefined;
      const updated = { Last: iso(occurrence), Next: iso(following), LastUpdated: iso(this.clock.now()) };
      await this.monitor.write(updated);
      return updated;
    } catch (error) {
      this.logger.error(`timer '${this.fn.metadata.name}': ${(error as Error).message}`, { functionName: this.fn.metadata.name });
      return status;
    } finally {
      this.#firing = false;
    }
  }
}
