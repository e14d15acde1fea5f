/**
 * Table, queue and blob container clients on the app's storage account (`AzureWebJobsStorage`), each table,
 * queue and container created on first use (once per process; a failed attempt is retried by the next call).
 */
import { RestError, TableClient, type TableEntityResult } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import type { QueueHop } from '../../core/hops.js';

const connection = () => {
  const value = process.env.AzureWebJobsStorage;
  if (!value) throw new Error('AzureWebJobsStorage is not set: Herald needs a storage connection string');
  return value;
};

// Azurite (local and tests) speaks plain http; the Tables SDK refuses that unless told.
export const isPlainHttp = (connectionString: string) =>
  /(^|;)\s*(DefaultEndpointsProtocol=http|UseDevelopmentStorage=true)\s*(;|$)/i.test(connectionString);

const tables = new Map<string, { client: TableClient; created?: Promise<unknown> }>();

export async function table(name: string): Promise<TableClient> {
  let entry = tables.get(name);
  if (!entry) {
    const conn = connection();
    entry = { client: TableClient.fromConnectionString(conn, name, { allowInsecureConnection: isPlainHttp(conn) }) };
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

const containers = new Map<string, { client: ContainerClient; created?: Promise<unknown> }>();

export async function container(name: string): Promise<ContainerClient> {
  let entry = containers.get(name);
  if (!entry) {
    entry = { client: BlobServiceClient.fromConnectionString(connection()).getContainerClient(name) };
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
    entry = { client: new QueueClient(connection(), name) };
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
