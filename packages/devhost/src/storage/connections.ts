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

/** The Storage emulator shorthand; the SDKs expand it to 127.0.0.1:10000-10002, which is not devhost's Azurite. */
export const isDevelopmentStorage = (value: string) => /^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i.test(value);

/**
 * Points every setting that names the emulator at devhost's storage, so bindings on any connection and the app's
 * own SDK clients reach the same Azurite as AzureWebJobsStorage. Returns the names it changed, sorted.
 */
export function redirectDevelopmentStorage(env: NodeJS.ProcessEnv, storage: string): string[] {
  const names = Object.keys(env).filter((name) => isDevelopmentStorage(env[name] ?? ''));
  for (const name of names) env[name] = storage;
  return names.sort();
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
