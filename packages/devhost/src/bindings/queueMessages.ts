import type { RpcTypedData } from '../coreTypes.js';

/** Queue message text as the Functions host writes it: base64 of the UTF-8 bytes, or as-is with "none". */
export function encodeMessage(body: string | Uint8Array, encoding: 'base64' | 'none'): string {
  if (encoding === 'none') return typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  return Buffer.from(body).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reverses `encodeMessage`; undefined when a base64 queue holds text that is not base64. */
export function decodeMessage(text: string, encoding: 'base64' | 'none'): string | undefined {
  if (encoding === 'none') return text;
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/**
 * What a queue output binding value becomes: one message for a value, one per element for an array
 * (objects as JSON), as the Node.js programming model documents.
 */
export function outputMessages(data: RpcTypedData): (string | Uint8Array)[] {
  if (data.string !== undefined && data.string !== null) return [data.string];
  if (data.bytes) return [data.bytes];
  if (data.int !== undefined && data.int !== null) return [String(data.int)];
  if (data.double !== undefined && data.double !== null) return [String(data.double)];
  if (data.json !== undefined && data.json !== null) {
    const value: unknown = JSON.parse(data.json);
    const items = Array.isArray(value) ? value : [value];
    return items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  }
  for (const key of ['collectionString', 'collectionBytes', 'collectionDouble', 'collectionSint64'] as const) {
    const c = data[key] as Record<string, unknown[]> | undefined;
    if (c) return Object.values(c)[0]!.map((v) => (v instanceof Uint8Array ? v : String(v)));
  }
  return [];
}
