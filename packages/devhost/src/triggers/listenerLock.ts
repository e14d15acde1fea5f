import { randomUUID } from 'node:crypto';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import type { Logger } from '../log.js';
import { holderIsGone, leaseHolder } from '../storage/deadLeases.js';

const LEASE_SECONDS = 15;
/** Renewal (holder) and takeover attempts (the others), well inside the lease. */
const TICK_MS = 3000;

/**
 * A timer trigger's singleton listener, as the real host keeps it: a blob lease on
 * `azure-webjobs-hosts/locks/<hostId>/<function>.Listener`. Of the instances that share storage only the
 * holder fires; it renews the lease while it runs, and another takes it when it lapses.
 */
export class ListenerLock {
  #leaseId = randomUUID();
  #held = false;
  #timer: NodeJS.Timeout | undefined;
  #waiters = new Set<() => void>();
  #renewedAt = 0;
  readonly #blob: BlockBlobClient;

  constructor(
    private readonly container: ContainerClient,
    path: string,
    private readonly name: string,
    private readonly logger: Logger,
  ) {
    this.#blob = container.getBlockBlobClient(path);
  }

  get held(): boolean {
    return this.#held;
  }

  async start(): Promise<void> {
    await this.container.createIfNotExists();
    await this.#blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 409 && error.statusCode !== 412) throw error;
    });
    const properties = await this.#blob.getProperties();
    if (properties.leaseState === 'leased' && holderIsGone(properties.metadata))
      await this.#blob
        .getBlobLeaseClient()
        .breakLease(0)
        .catch(() => undefined);
    await this.#tick();
    this.#timer = setInterval(() => void this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  /** Resolves once this instance holds the lock, or when `signal` aborts. */
  async acquired(signal: AbortSignal): Promise<void> {
    if (this.#held || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.add(done);
      signal.addEventListener('abort', done);
    });
  }

  /** Renews just before an occurrence fires: false if the lease is gone, so this instance must not fire. */
  async confirm(): Promise<boolean> {
    if (!this.#held) return false;
    // Renewed within the last second is as good: the lease still has 14 s to run.
    if (Date.now() - this.#renewedAt > 1000) await this.#tick();
    return this.#held;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    for (const waiter of [...this.#waiters]) waiter();
    if (this.#held)
      await this.#blob
        .getBlobLeaseClient(this.#leaseId)
        .releaseLease()
        .catch(() => undefined);
    this.#held = false;
  }

  async #tick(): Promise<void> {
    const lease = this.#blob.getBlobLeaseClient(this.#leaseId);
    if (this.#held) {
      this.#held = await lease.renewLease().then(
        () => true,
        () => false,
      );
      if (this.#held) this.#renewedAt = Date.now();
      if (!this.#held) this.logger.warn(`timer '${this.name}': lost its listener lock`);
      return;
    }
    try {
      await lease.acquireLease(LEASE_SECONDS);
    } catch {
      return; // another instance holds it
    }
    this.#held = true;
    this.#renewedAt = Date.now();
    await this.#blob.setMetadata(leaseHolder(), { conditions: { leaseId: this.#leaseId } }).catch(() => undefined);
    for (const waiter of [...this.#waiters]) waiter();
  }
}
