import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { DevhostError } from '../config.js';

/**
 * Looks up a binding's `connection` the way the Functions host does: the setting itself, then
 * `AzureWebJobs<name>`; an empty name means `AzureWebJobsStorage`.
 */
export function connectionString(name: string | undefined, env: NodeJS.ProcessEnv): string {
  const setting = name && name.length > 0 ? name : 'AzureWebJobsStorage';
  const value = env[setting] ?? env[`AzureWebJobs${setting}`];
  if (!value)
    throw new DevhostError(`connection "${setting}": no app setting "${setting}" or "AzureWebJobs${setting}" holds a connection string`);
  return value;
}

/** One client per connection string, so every listener and binding shares its HTTP agent. */
export class StorageClients {
  #queues = new Map<string, QueueServiceClient>();
  #blobs = new Map<string, BlobServiceClient>();

  queueService(conn: string): QueueServiceClient {
    let client = this.#queues.get(conn);
    if (!client) {
      client = QueueServiceClient.fromConnectionString(conn);
      this.#queues.set(conn, client);
    }
    return client;
  }

  blobService(conn: string): BlobServiceClient {
    let client = this.#blobs.get(conn);
    if (!client) {
      client = BlobServiceClient.fromConnectionString(conn);
      this.#blobs.set(conn, client);
    }
    return client;
  }
}
