/**
 * Table, queue and blob container clients on the app's storage account (`AzureWebJobsStorage`), each table,
 * queue and container created on first use (once per process; a failed attempt is retried by the next call).
 * The account is a connection string (Azurite, or a key a user supplies) or, as the deployment sets it, the
 * account name and the identity to reach it as (adapters/runtime/settings.ts `storageSettings`).
 */
import { RestError, TableClient, type TableEntityResult } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import type { QueueHop } from '../../core/hops.js';
import { credentialFor } from '../runtime/credentials.js';
import { storageSettings, type StorageSettings } from '../runtime/settings.js';

const credentialOf = (s: Extract<StorageSettings, { kind: 'identity' }>) => credentialFor(s.managedIdentity, s.clientId);

export function tableClientFor(s: StorageSettings, name: string): TableClient {
  return s.kind === 'connectionString'
    ? TableClient.fromConnectionString(s.connectionString, name, { allowInsecureConnection: s.plainHttp })
    : new TableClient(s.endpoints.table, name, credentialOf(s));
}

export function blobServiceFor(s: StorageSettings): BlobServiceClient {
  return s.kind === 'connectionString'
    ? BlobServiceClient.fromConnectionString(s.connectionString)
    : new BlobServiceClient(s.endpoints.blob, credentialOf(s));
}

export function queueClientFor(s: StorageSettings, name: string): QueueClient {
  return s.kind === 'connectionString'
    ? new QueueClient(s.connectionString, name)
    : new QueueClient(`${s.endpoints.queue}/${name}`, credentialOf(s));
}

const tables = new Map<string, { client: TableClient; created?: Promise<unknown> }>();

export async function table(name: string): Promise<TableClient> {
  let entry = tables.get(name);
  if (!entry) {
    entry = { client: tableClientFor(storageSettings(), name) };
    tables.set(name, entry);
  }
  const e = entry;
  e.created ??= e.client.createTable().catch((error: unknown) => {
    e.created = undefined;
    throw error;
  });
  await e.created;
  return e.client;
}

let service: BlobServiceClient | undefined;
/** The account's blob service (user delegation keys for export links). */
export const blobService = () => (service ??= blobServiceFor(storageSettings()));

const containers = new Map<string, { client: ContainerClient; created?: Promise<unknown> }>();

export async function container(name: string): Promise<ContainerClient> {
  let entry = containers.get(name);
  if (!entry) {
    entry = { client: blobService().getContainerClient(name) };
    containers.set(name, entry);
  }
  const e = entry;
  e.created ??= e.client.createIfNotExists().catch((error: unknown) => {
    e.created = undefined;
    throw error;
  });
  await e.created;
  return e.client;
}

const queues = new Map<string, { client: QueueClient; created?: Promise<unknown> }>();

/**
 * Sends a JSON message to a queue the app's queue triggers read. Base64, as the Functions host expects by
 * default (host.json `extensions.queues.messageEncoding`). `delayMs` keeps it invisible that long.
 */
export async function enqueue<T>(hop: QueueHop<T>, body: T, delayMs = 0): Promise<void> {
  const name = hop.name;
  let entry = queues.get(name);
  if (!entry) {
    entry = { client: queueClientFor(storageSettings(), name) };
    queues.set(name, entry);
  }
  const e = entry;
  e.created ??= e.client.createIfNotExists().catch((error: unknown) => {
    e.created = undefined;
    throw error;
  });
  await e.created;
  const text = Buffer.from(JSON.stringify(body)).toString('base64');
  await e.client.sendMessage(text, delayMs > 0 ? { visibilityTimeout: Math.ceil(delayMs / 1000) } : {});
}

export const isStatus = (error: unknown, status: number) => error instanceof RestError && error.statusCode === status;

/** The entity, or undefined when there is none (404); `select` reads only those columns. */
export async function findEntity(
  client: TableClient,
  partitionKey: string,
  rowKey: string,
  select?: string[],
): Promise<TableEntityResult<Record<string, unknown>> | undefined> {
  try {
    return await client.getEntity<Record<string, unknown>>(partitionKey, rowKey, select ? { queryOptions: { select } } : {});
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}
