import { randomUUID } from 'node:crypto';
import type { BlobServiceClient } from '@azure/storage-blob';
import { resolveSettingRefs } from '../config.js';
import type { RpcBindingInfo, RpcInvocationResponse, RpcTypedData } from '../coreTypes.js';

/**
 * Blob input and output bindings, as the host's Storage extension reads and writes them. A `path` is
 * `container/blob`, with `%Setting%` references and `{…}` binding expressions: `{rand-guid}`, `{DateTime}`, and
 * the invocation's binding data (a queue message's `{queueTrigger}` and its JSON properties, an HTTP request's
 * `{Query.x}` and route parameters, trigger metadata). An expression with no value fails the invocation.
 */
export type BindingData = Record<string, unknown>;

/** The binding data of the invocation a response came from, for the output paths that name it (`{queueTrigger}`). */
export const responseBindingData = new WeakMap<RpcInvocationResponse, BindingData>();

function plain(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json);
  if (data.int !== undefined && data.int !== null) return data.int;
  if (data.double !== undefined && data.double !== null) return data.double;
  return undefined;
}

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** What binding expressions can name in one invocation. Keys compare without case, as the host's do. */
export function bindingData(
  triggerType: string,
  trigger: RpcTypedData | null | undefined,
  triggerMetadata: Record<string, RpcTypedData> | null | undefined,
): BindingData {
  const data: BindingData = {};
  const add = (key: string, value: unknown) => {
    if (value !== undefined && value !== null) data[key.toLowerCase()] = value;
  };
  for (const [key, value] of Object.entries(triggerMetadata ?? {})) add(key, plain(value));
  const http = trigger?.http;
  if (http) {
    for (const [key, value] of Object.entries(http.query ?? {})) add(`query.${key}`, value);
    for (const [key, value] of Object.entries(http.params ?? {})) add(key, value);
    return data;
  }
  const value = plain(trigger);
  if (triggerType.toLowerCase() === 'queuetrigger') add('queueTrigger', value);
  const object = typeof value === 'string' ? parsed(value) : value;
  if (object && typeof object === 'object' && !Array.isArray(object)) for (const [k, v] of Object.entries(object)) add(k, v);
  return data;
}

export function blobPath(
  binding: RpcBindingInfo,
  data: BindingData,
  env: NodeJS.ProcessEnv,
  what: string,
): { container: string; blob: string } {
  const path = resolveSettingRefs(String(binding.path ?? ''), env, `${what}: path`).replace(/\{([^}]+)\}/g, (_, expression: string) => {
    const key = expression.trim().toLowerCase();
    if (key === 'rand-guid') return randomUUID();
    if (key === 'datetime') return new Date().toISOString();
    const value = data[key];
    if (value === undefined || typeof value === 'object')
      throw new Error(`${what}: the path's {${expression}} has no value in this invocation`);
    return String(value);
  });
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) throw new Error(`${what}: path "${path}" is not container/blob`);
  return { container: path.slice(0, slash), blob: path.slice(slash + 1) };
}

/** The blob's content as the worker receives it; null when there is no such blob (the host's behaviour). */
export async function readBlob(
  service: BlobServiceClient,
  where: { container: string; blob: string },
  binding: RpcBindingInfo,
): Promise<RpcTypedData> {
  const client = service.getContainerClient(where.container).getBlobClient(where.blob);
  try {
    const bytes = await client.downloadToBuffer();
    return binding.dataType === 'binary' ? { bytes } : { string: bytes.toString('utf8') };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return {};
    throw error;
  }
}

/** Writes an output value: bytes as they are, strings as UTF-8, anything else as its JSON. Creates the container. */
export async function writeBlob(service: BlobServiceClient, where: { container: string; blob: string }, data: RpcTypedData): Promise<void> {
  let body: Buffer;
  if (data.bytes) body = Buffer.from(data.bytes);
  else if (data.string !== undefined && data.string !== null) body = Buffer.from(data.string);
  else if (data.json !== undefined && data.json !== null) body = Buffer.from(data.json);
  else if (data.int !== undefined && data.int !== null) body = Buffer.from(String(data.int));
  else if (data.double !== undefined && data.double !== null) body = Buffer.from(String(data.double));
  else throw new Error('a blob output takes bytes, a string or a JSON value');
  const container = service.getContainerClient(where.container);
  await container.createIfNotExists();
  await container.getBlockBlobClient(where.blob).uploadData(body);
}
