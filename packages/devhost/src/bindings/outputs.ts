import type { QueueClient } from '@azure/storage-queue';
import { resolveSettingRefs } from '../config.js';
import type { RegisteredFunction, RpcBindingInfo, RpcInvocationResponse, RpcTypedData } from '../coreTypes.js';
import type { StorageBindings } from '../invoker.js';
import { blobPath, readBlob, responseBindingData, writeBlob, type BindingData } from './blobs.js';
import { connectionString, type StorageClients } from '../storage/connections.js';
import { encodeMessage, outputMessages } from './queueMessages.js';

/** Output binding types devhost writes. HTTP outputs are answered by the HTTP listener itself. */
export const SUPPORTED_OUTPUTS = new Set(['http', 'queue', 'blob']);

/** `$return` of a trigger that answers through the Durable extension rather than an output binding. */
const NOT_OUTPUTS = new Set(['activitytrigger', 'orchestrationtrigger', 'entitytrigger']);

const hasValue = (data: RpcTypedData | null | undefined): data is RpcTypedData =>
  !!data && Object.values(data).some((v) => v !== undefined && v !== null);

/**
 * Writes an invocation's output bindings, once the function has returned (and only when it succeeded). A
 * queue written here is announced through `onQueueWrite` after each message, so this host's listener on the
 * same queue polls at once — the real host's notification (WebJobs `SharedQueueWatcher.Notify`, called by
 * the queue collector after each add). It is in-process only: another instance, or a message sent through
 * the Storage SDK, is seen at that listener's next poll.
 */
export class OutputBindings implements StorageBindings {
  #created = new Map<string, Promise<unknown>>();

  constructor(
    private readonly clients: StorageClients,
    private readonly env: NodeJS.ProcessEnv,
    private readonly encoding: 'base64' | 'none',
    private readonly onQueueWrite: (queueName: string) => void,
  ) {}

  queueClient(connection: string | undefined, queueName: string): QueueClient {
    return this.clients.queueService(connectionString(connection, this.env)).getQueueClient(queueName);
  }

  /** The host creates a missing output queue on first write. */
  async ensureQueue(client: QueueClient): Promise<void> {
    const key = client.url;
    let created = this.#created.get(key);
    if (!created) {
      created = client.createIfNotExists();
      this.#created.set(key, created);
      created.catch(() => this.#created.delete(key));
    }
    await created;
  }

  async sendToQueue(client: QueueClient, bodies: (string | Uint8Array)[]): Promise<void> {
    if (bodies.length === 0) return;
    await this.ensureQueue(client);
    // One after another: the host keeps an array's order in the queue.
    for (const b of bodies) {
      await client.sendMessage(encodeMessage(b, this.encoding));
      this.onQueueWrite(client.name);
    }
  }

  /** A blob input binding's value for one invocation. */
  readInput(binding: RpcBindingInfo, data: BindingData, what: string): Promise<RpcTypedData> {
    const service = this.clients.blobService(connectionString(binding.connection as string | undefined, this.env));
    return readBlob(service, blobPath(binding, data, this.env, what), binding);
  }

  async apply(fn: RegisteredFunction, response: RpcInvocationResponse): Promise<void> {
    const outputs = [...(response.outputData ?? []), { name: '$return', data: response.returnValue }];
    for (const output of outputs) {
      const binding = output.name ? fn.metadata.bindings[output.name] : undefined;
      if (!binding || !hasValue(output.data)) continue;
      const type = binding.type?.toLowerCase() ?? '';
      if (type === 'http' || NOT_OUTPUTS.has(type)) continue;
      if (type === 'blob') {
        const what = `${fn.metadata.name}: blob output ${output.name}`;
        const where = blobPath(binding, responseBindingData.get(response) ?? {}, this.env, what);
        await writeBlob(this.clients.blobService(connectionString(binding.connection as string | undefined, this.env)), where, output.data);
        continue;
      }
      if (type !== 'queue')
        throw new Error(`${fn.metadata.name}: devhost does not write '${binding.type}' output bindings (${output.name})`);
      const queueName = resolveSettingRefs(String(binding.queueName), this.env, `${fn.metadata.name}: queue output`).toLowerCase();
      await this.sendToQueue(this.queueClient(binding.connection as string | undefined, queueName), outputMessages(output.data));
    }
  }
}
