import type { InstanceRecord } from './taskHubStore.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let settle!: Pick<Deferred, 'resolve' | 'reject'>;
  const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // Callers that only need the row eventually may not wait for it; a failed write is theirs to see, not the process's.
  promise.catch(() => undefined);
  return { promise, ...settle };
}

interface Row {
  /** The newest record asked for and not yet sent, with the promise of the write that will carry it. */
  latest?: InstanceRecord;
  next?: Deferred;
  urgent: boolean;
  timer?: NodeJS.Timeout;
  /** The write under way: one at a time per instance, so the row never steps back. */
  current?: Promise<void>;
}

/**
 * Writes each instance's Instances row behind its episodes, newest record wins. A checkpoint that changes
 * only `LastUpdatedTime` (a sequence's every step) is written within `refreshMs`, together with any that
 * follow it meanwhile, instead of one request per step; a change a reader acts on (status, output, custom
 * status, a new execution) goes out as soon as the write before it has settled. Each caller's promise
 * settles with the write that carried its record or a newer one, so the messages of every episode it covers
 * are deleted only once the row reflects them.
 */
export class InstanceRowWriter {
  #rows = new Map<string, Row>();

  constructor(
    private readonly put: (record: InstanceRecord) => Promise<string>,
    private readonly refreshMs: number,
  ) {}

  write(record: InstanceRecord, urgent: boolean): Promise<void> {
    const id = record.instanceId;
    let row = this.#rows.get(id);
    if (!row) {
      row = { urgent: false };
      this.#rows.set(id, row);
    }
    row.latest = record;
    row.urgent ||= urgent;
    row.next ??= deferred();
    const promise = row.next.promise;
    if (!row.current) this.#schedule(id, row);
    return promise;
  }

  /** The write that will leave the row as last asked for (under way or waiting), if there is one. */
  settled(instanceId: string): Promise<void> | undefined {
    const row = this.#rows.get(instanceId);
    return row?.next?.promise ?? row?.current;
  }

  /** Sends every write still waiting out now: someone waits for the host to be idle (a test walking its clock). */
  flushWaiting(): void {
    for (const [id, row] of this.#rows) {
      if (!row.timer) continue;
      clearTimeout(row.timer);
      row.timer = undefined;
      this.#flush(id, row);
    }
  }

  /**
   * Drops the write still waiting (one under way cannot be recalled): the row is no longer ours to write — the
   * client replaced or purged it, or storage failed and the history will be read back and the row repaired by
   * the next episode. Those waiting for it go on as if written.
   */
  drop(instanceId: string): void {
    const row = this.#rows.get(instanceId);
    if (!row?.latest) return;
    clearTimeout(row.timer);
    row.timer = undefined;
    row.latest = undefined;
    row.urgent = false;
    row.next!.resolve();
    row.next = undefined;
    if (!row.current) this.#rows.delete(instanceId);
  }

  #schedule(id: string, row: Row): void {
    if (row.urgent || this.refreshMs === 0) {
      clearTimeout(row.timer);
      row.timer = undefined;
      this.#flush(id, row);
    } else {
      row.timer ??= setTimeout(() => {
        row.timer = undefined;
        this.#flush(id, row);
      }, this.refreshMs);
    }
  }

  #flush(id: string, row: Row): void {
    const record = row.latest!;
    const done = row.next!;
    row.latest = undefined;
    row.next = undefined;
    row.urgent = false;
    const current = this.put(record).then(
      (etag) => {
        record.etag = etag;
        done.resolve();
      },
      (error: unknown) => done.reject(error),
    );
    row.current = current;
    void current.then(() => {
      row.current = undefined;
      // A failed write does not hold back a newer one: it is newer, and the failed episode's messages come
      // back to repair the row anyway.
      if (row.latest) this.#schedule(id, row);
      else this.#rows.delete(id);
    });
  }
}
