import type { DequeuedMessageItem } from '@azure/storage-queue';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { PollBackoff } from '../pollBackoff.js';
import type { RegisteredFunction, RpcTypedData } from '../coreTypes.js';
import type { Invoker } from '../invoker.js';
import type { Logger } from '../log.js';

/**
 * Blob triggers, as the Storage extension runs them on the real host: each function's container is scanned for
 * blobs whose name matches its path; a new or changed blob (a name with an ETag it has no receipt for) becomes a
 * message on the host's blob-trigger queue; whichever instance takes the message leases the blob's receipt,
 * runs the function and marks the receipt complete, so each version of a blob is handled once across instances
 * and restarts. A blob that fails `poisonBlobThreshold` times goes to `webjobs-blobtrigger-poison`.
 */

/** The message on the host's blob-trigger queue, and on the poison queue, as the real host writes it. */
export interface BlobWork {
  FunctionId: string;
  BlobType: string;
  ContainerName: string;
  BlobName: string;
  ETag: string;
}

/** The host's internal queue of blobs to run (one per host id, shared by every instance of the app). */
export const blobTriggerQueueName = (hostId: string) => `azure-webjobs-blobtrigger-${hostId}`;
export const BLOB_POISON_QUEUE = 'webjobs-blobtrigger-poison';

const RECEIPT_LEASE_SECONDS = 60;
const MIN_SCAN_MS = 250;
/** The real host can take minutes to notice a blob on an idle app; a development host should not. */
const MAX_SCAN_MS = 5000;

/** A trigger path `container/blob-pattern`, where `{name}` parts of the pattern capture what they match. */
export interface BlobPattern {
  container: string;
  /** What every matching blob name starts with (the pattern's text before its first `{…}`). */
  prefix: string;
  /** The captured parts of a matching name, or undefined when the name does not match. */
  match(name: string): Record<string, string> | undefined;
}

export function parseBlobPath(path: string, what: string): BlobPattern {
  const slash = path.indexOf('/');
  const container = slash < 0 ? path : path.slice(0, slash);
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container) && container !== '$root')
    throw new Error(`${what}: "${container}" is not a valid blob container name (3-63 lowercase letters, digits and single hyphens)`);
  const pattern = slash < 0 ? '{name}' : path.slice(slash + 1) || '{name}';
  const names: string[] = [];
  const source = pattern
    .split(/(\{[^}]*\})/)
    .map((part) => {
      const param = /^\{([^}]*)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const name = param[1]!.trim();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`${what}: path "${path}" has a bad parameter {${param[1]}}`);
      names.push(name);
      return '(.+?)';
    })
    .join('');
  const regex = new RegExp(`^${source}$`);
  const first = pattern.indexOf('{');
  return {
    container,
    prefix: first < 0 ? pattern : pattern.slice(0, first),
    match(blobName) {
      const m = regex.exec(blobName);
      if (!m) return undefined;
      return Object.fromEntries(names.map((n, i) => [n, m[i + 1]!]));
    },
  };
}

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

/** One blob-trigger function: scans its container, and runs itself on the blobs the dispatcher hands it. */
export class BlobTrigger {
  readonly functionId: string;
  readonly pattern: BlobPattern;
  readonly #container: ContainerClient;
  /** `name@etag` of the blob versions already receipted or queued by this instance. */
  readonly #seen = new Set<string>();
  readonly #backoff = new PollBackoff(MIN_SCAN_MS, MAX_SCAN_MS);
  #running = false;
  #loop: Promise<void> | undefined;
  #quiet = false;

  constructor(
    readonly fn: RegisteredFunction,
    private readonly triggerName: string,
    path: string,
    data: BlobServiceClient,
    private readonly hostId: string,
    private readonly receipts: ContainerClient,
    private readonly enqueue: (work: BlobWork) => Promise<void>,
    private readonly invoker: Invoker,
    private readonly logger: Logger,
  ) {
    this.functionId = `Host.Functions.${fn.metadata.name}`;
    this.pattern = parseBlobPath(path, fn.metadata.name);
    this.#container = data.getContainerClient(this.pattern.container);
  }

  /** True when the last scan found nothing new. */
  get quiet(): boolean {
    return this.#quiet;
  }

  async start(): Promise<void> {
    await this.receipts.createIfNotExists();
    this.#running = true;
    this.#loop = this.#scanLoop();
  }

  poke(): void {
    this.#quiet = false;
    this.#backoff.poke();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#backoff.wake();
    await this.#loop;
  }

  #receipt(container: string, blob: string, etag: string) {
    const path = `blobreceipts/${this.hostId}/${this.functionId}/${etag.replace(/"/g, '')}/${container}/${blob}`;
    return this.receipts.getBlockBlobClient(path);
  }

  async #scanLoop(): Promise<void> {
    while (this.#running) {
      this.#backoff.polling();
      let found = 0;
      try {
        found = await this.#scan();
      } catch (error) {
        if (statusOf(error) !== 404)
          this.logger.warn(`scanning container '${this.pattern.container}' failed: ${(error as Error).message}`, {
            functionName: this.fn.metadata.name,
          });
      }
      if (found > 0) {
        this.#quiet = false;
        this.#backoff.found();
        continue;
      }
      if (!this.#backoff.pokedSincePoll) this.#quiet = true;
      await this.#backoff.empty();
    }
  }

  /** Queues every matching blob version without a finished receipt; answers how many it queued. */
  async #scan(): Promise<number> {
    let queued = 0;
    for await (const blob of this.#container.listBlobsFlat({ prefix: this.pattern.prefix })) {
      if (!this.#running) break;
      const etag = blob.properties.etag ?? '';
      const key = `${blob.name}@${etag}`;
      if (this.#seen.has(key) || !this.pattern.match(blob.name)) continue;
      this.#seen.add(key);
      const receipt = await this.#receipt(this.pattern.container, blob.name, etag)
        .getProperties()
        .catch((error: unknown) => {
          if (statusOf(error) === 404) return undefined;
          throw error;
        });
      if (receipt?.metadata?.iscompleted === 'true' || receipt?.metadata?.poisoned === 'true') continue;
      await this.enqueue({
        FunctionId: this.functionId,
        BlobType: blob.properties.blobType ?? 'BlockBlob',
        ContainerName: this.pattern.container,
        BlobName: blob.name,
        ETag: etag,
      });
      queued++;
    }
    return queued;
  }

  /**
   * Runs the function on one queued blob version under its receipt's lease. Another instance holding the lease
   * is running it already (if it dies, its queue message comes back): this copy is dropped. A failure on the
   * last allowed attempt marks the receipt poisoned, so no scan queues that version again.
   */
  async handle(work: BlobWork, message: DequeuedMessageItem, attempts: number): Promise<Error | undefined> {
    const receipt = this.#receipt(work.ContainerName, work.BlobName, work.ETag);
    await receipt.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((error: unknown) => {
      if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
    });
    const lease = receipt.getBlobLeaseClient();
    try {
      await lease.acquireLease(RECEIPT_LEASE_SECONDS);
    } catch (error) {
      if (statusOf(error) === 409) return undefined;
      throw error;
    }
    const renew = setInterval(() => void lease.renewLease().catch(() => undefined), (RECEIPT_LEASE_SECONDS * 1000) / 3);
    const conditions = { leaseId: lease.leaseId };
    try {
      const { metadata } = await receipt.getProperties({ conditions });
      if (metadata?.iscompleted === 'true' || metadata?.poisoned === 'true') return undefined;
      const failure = await this.run(work.ContainerName, work.BlobName);
      if (failure === 'gone') return undefined;
      if (!failure) await receipt.setMetadata({ iscompleted: 'true' }, { conditions });
      else if (message.dequeueCount >= attempts) await receipt.setMetadata({ poisoned: 'true' }, { conditions });
      return failure;
    } finally {
      clearInterval(renew);
      await lease.releaseLease().catch(() => undefined);
    }
  }

  /** Invokes the function on a blob as it is now and writes its outputs; `'gone'` when the blob was deleted. */
  async run(container: string, blobName: string): Promise<Error | 'gone' | undefined> {
    const client = this.#container.getBlobClient(blobName);
    let bytes: Buffer;
    let properties;
    try {
      properties = await client.getProperties();
      bytes = await client.downloadToBuffer();
    } catch (error) {
      if (statusOf(error) === 404) return 'gone';
      throw error;
    }
    const params = this.pattern.match(blobName) ?? {};
    const triggerMetadata: Record<string, RpcTypedData> = {
      BlobTrigger: { string: `${container}/${blobName}` },
      Uri: { string: client.url },
      Properties: {
        json: JSON.stringify({
          ContentType: properties.contentType,
          ContentLength: properties.contentLength,
          ETag: properties.etag,
          LastModified: properties.lastModified?.toISOString(),
          BlobType: properties.blobType,
        }),
      },
      Metadata: { json: JSON.stringify(properties.metadata ?? {}) },
      sys: { json: JSON.stringify({ MethodName: this.fn.metadata.name, UtcNow: new Date().toISOString(), RandGuid: crypto.randomUUID() }) },
    };
    for (const [name, value] of Object.entries(params)) triggerMetadata[name] = { string: value };
    return this.invoker.invokeAndWrite(this.fn, { inputData: [{ name: this.triggerName, data: { bytes } }], triggerMetadata });
  }
}

/** The host's blob-trigger queue handler: hands each message to the function it names. */
export function dispatchBlobWork(
  triggers: BlobTrigger[],
  attempts: number,
  logger: Logger,
): (text: string, message: DequeuedMessageItem) => Promise<Error | undefined> {
  return async (text, message) => {
    let work: BlobWork;
    try {
      work = JSON.parse(text) as BlobWork;
    } catch {
      return new Error(`the blob-trigger queue holds a message that is not JSON: ${text.slice(0, 100)}`);
    }
    const trigger = triggers.find((t) => t.functionId === work.FunctionId);
    if (!trigger) {
      logger.warn(`blob-trigger queue: no function '${work.FunctionId}' on this host; the message is dropped`);
      return undefined;
    }
    return trigger.handle(work, message, attempts);
  };
}
