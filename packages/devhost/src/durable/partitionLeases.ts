import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import type { Logger } from '../log.js';
import { holderIsGone, leaseHolder } from '../storage/deadLeases.js';

/** Blob leases last 15 to 60 s; the shortest lets a dead instance's partitions move soonest. */
export const LEASE_SECONDS = 15;
/** How often leases are renewed and the share is worked out again: well inside the lease. */
export const TICK_MS = 3000;
/** How long a partition being handed over may keep its episodes before it is released anyway. */
const HANDOVER_TIMEOUT_MS = 10_000;

export interface PartitionOwner {
  /** Starts work on a partition whose lease this instance has just taken. */
  acquired(partition: number): Promise<void>;
  /** Ends work on a partition: handed over (`release`) or whose lease could not be renewed (`lost`). */
  released(partition: number, why: 'release' | 'lost' | 'stop'): Promise<void>;
}

interface Owned {
  leaseId: string;
}

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

/**
 * Splits a task hub's control-queue partitions among the instances that run it, as the Azure Storage
 * provider does: a blob per partition in `<hub>-leases` (`default/<control queue>`), leased by its owner and
 * renewed; each instance takes a fair share (partitions / live instances, rounded up) and hands back what
 * is above it. An instance shows it is alive by a leased blob of its own (`devhost-owners/<id>`), so one
 * that owns nothing yet still counts. A lost instance's leases lapse and the others take its partitions.
 */
export class PartitionLeases {
  readonly ownerId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  #owned = new Map<number, Owned>();
  #presenceLease = randomUUID();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #blobNames: string[];

  constructor(
    private readonly container: ContainerClient,
    controlQueueNames: string[],
    private readonly owner: PartitionOwner,
    private readonly logger: Logger,
  ) {
    this.#blobNames = controlQueueNames.map((q) => `default/${q}`);
  }

  get owned(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  /** Takes the first share before returning: a lone instance owns every partition at once. */
  async start(): Promise<void> {
    await this.container.createIfNotExists();
    await Promise.all(
      this.#blobNames.map((name) =>
        this.container
          .getBlockBlobClient(name)
          .upload('', 0, { conditions: { ifNoneMatch: '*' } })
          .catch((error) => {
            if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
          }),
      ),
    );
    await this.#showPresence(false);
    await this.#breakDeadLocalLeases();
    await this.#balance();
    this.#timer = setInterval(() => {
      this.#tick = this.#tick.then(() => this.#balance()).catch((e: Error) => this.logger.warn(`partition leases: ${e.message}`));
    }, TICK_MS);
    this.#timer.unref();
  }

  /** Ends work on every partition and releases the leases, so the other instances take them at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#tick;
    await Promise.all(this.owned.map((p) => this.#release(p, 'stop')));
    const presence = this.container.getBlockBlobClient(`devhost-owners/${this.ownerId}`);
    await presence
      .getBlobLeaseClient(this.#presenceLease)
      .releaseLease()
      .catch(() => undefined);
    await presence.deleteIfExists().catch(() => undefined);
  }

  #metadata(): Record<string, string> {
    return { owner: this.ownerId, ...leaseHolder() };
  }

  /** Renews this instance's presence blob; one that lapsed (a stalled process) or was swept is made again. */
  async #showPresence(renew: boolean): Promise<void> {
    const presence = this.container.getBlockBlobClient(`devhost-owners/${this.ownerId}`);
    const lease = presence.getBlobLeaseClient(this.#presenceLease);
    if (
      renew &&
      (await lease.renewLease().then(
        () => true,
        () => false,
      ))
    )
      return;
    if (!(await presence.exists())) await presence.upload('', 0, { metadata: this.#metadata() });
    await lease.acquireLease(LEASE_SECONDS);
  }

  async #list(prefix: string): Promise<BlobItem[]> {
    const items: BlobItem[] = [];
    for await (const item of this.container.listBlobsFlat({ prefix, includeMetadata: true })) items.push(item);
    return items;
  }

  /** A process on this machine that is gone will not renew: its leases need not be waited out (a restart after kill -9). */
  async #breakDeadLocalLeases(): Promise<void> {
    const items = [...(await this.#list('default/')), ...(await this.#list('devhost-owners/'))];
    await Promise.all(
      items
        .filter((b) => b.properties.leaseState === 'leased' && holderIsGone(b.metadata))
        .map(async (b) => {
          const blob = this.container.getBlobClient(b.name);
          await blob
            .getBlobLeaseClient()
            .breakLease(0)
            .catch(() => undefined);
          if (b.name.startsWith('devhost-owners/')) await blob.deleteIfExists().catch(() => undefined);
        }),
    );
  }

  async #balance(): Promise<void> {
    if (this.#stopped) return;
    await this.#showPresence(true);
    for (const p of this.owned) {
      try {
        await this.container.getBlobClient(this.#blobNames[p]!).getBlobLeaseClient(this.#owned.get(p)!.leaseId).renewLease();
      } catch (error) {
        this.logger.warn(`partition ${p}: lease lost (${(error as Error).message})`);
        this.#owned.delete(p);
        await this.#settle(p, 'lost');
      }
    }
    const owners = await this.#list('devhost-owners/');
    const live = owners.filter((b) => b.properties.leaseState === 'leased').map((b) => b.name.slice('devhost-owners/'.length));
    // A presence blob whose lease lapsed belongs to an instance that is gone.
    await Promise.all(
      owners.filter((b) => b.properties.leaseState !== 'leased').map((b) => this.container.getBlobClient(b.name).deleteIfExists()),
    ).catch(() => undefined);
    if (!live.includes(this.ownerId)) live.push(this.ownerId);
    const partitions = await this.#list('default/');
    const counts = new Map(live.map((id) => [id, 0]));
    for (const b of partitions) {
      const owner = b.metadata?.owner;
      if (b.properties.leaseState === 'leased' && owner && counts.has(owner)) counts.set(owner, counts.get(owner)! + 1);
    }
    counts.set(this.ownerId, this.#owned.size);
    const total = this.#blobNames.length;
    const share = Math.ceil(total / live.length);
    const floor = Math.floor(total / live.length);
    const starved = [...counts.values()].some((n) => n < floor);
    if (this.#owned.size > share) {
      await Promise.all(this.owned.slice(share).map((p) => this.#release(p, 'release')));
      return;
    }
    if (starved) {
      // Someone has less than the even split: the instance with the most (then the lowest id) gives one up.
      const [richest] = [...counts].sort(([ia, a], [ib, b]) => b - a || ia.localeCompare(ib));
      if (richest![0] === this.ownerId && this.#owned.size > floor) {
        await this.#release(this.owned.at(-1)!, 'release');
        return;
      }
    }
    const limit = starved && this.#owned.size >= floor ? floor : share;
    for (const b of partitions) {
      if (this.#owned.size >= limit || this.#stopped) break;
      const p = this.#blobNames.indexOf(b.name);
      if (p < 0 || this.#owned.has(p) || b.properties.leaseState === 'leased') continue;
      await this.#acquire(p);
    }
  }

  async #acquire(p: number): Promise<void> {
    const blob = this.container.getBlobClient(this.#blobNames[p]!);
    const leaseId = randomUUID();
    try {
      await blob.getBlobLeaseClient(leaseId).acquireLease(LEASE_SECONDS);
    } catch (error) {
      if (statusOf(error) === 409) return; // another instance was quicker
      throw error;
    }
    await blob.setMetadata(this.#metadata(), { conditions: { leaseId } });
    this.#owned.set(p, { leaseId });
    this.logger.info(`durable: owns control partition ${p}`);
    try {
      await this.owner.acquired(p);
    } catch (error) {
      this.logger.error(`partition ${p}: could not start (${(error as Error).message}); handing it back`);
      await this.#release(p, 'release');
    }
  }

  /** The owner's end of a partition, waited for a while at most: the lease must not outlive a stuck episode. */
  async #settle(p: number, why: 'release' | 'lost' | 'stop'): Promise<void> {
    await Promise.race([
      this.owner.released(p, why).catch((e: Error) => this.logger.warn(`partition ${p}: ${e.message}`)),
      new Promise((r) => setTimeout(r, HANDOVER_TIMEOUT_MS).unref()),
    ]);
  }

  /** Ends the partition's work (its episodes settle or time out), then lets its lease go. */
  async #release(p: number, why: 'release' | 'stop'): Promise<void> {
    const owned = this.#owned.get(p);
    if (!owned) return;
    this.#owned.delete(p);
    await this.#settle(p, why);
    await this.container
      .getBlobClient(this.#blobNames[p]!)
      .getBlobLeaseClient(owned.leaseId)
      .releaseLease()
      .catch(() => undefined);
    if (why === 'release') this.logger.info(`durable: handed control partition ${p} over`);
  }
}
