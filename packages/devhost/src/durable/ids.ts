import { createHash, randomUUID } from 'node:crypto';

/**
 * A GUID that is the same every time for the same parts. Message ids, child execution ids and entity
 * request ids are derived this way so that work redone after a crash produces the same messages, which
 * receivers then recognise as duplicates.
 */
export function stableGuid(...parts: (string | number)[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** New instance and execution ids: 32 hex digits, as `Guid.NewGuid().ToString("N")`. */
export const newId = () => randomUUID().replace(/-/g, '');

/** Entity instance id as the SDK builds it: `@<name lowercased>@<key>`. */
export const entityInstanceId = (name: string, key: string) => `@${name.toLowerCase()}@${key}`;

export function parseEntityInstanceId(instanceId: string): { name: string; key: string } | undefined {
  const m = /^@([^@]*)@(.*)$/s.exec(instanceId);
  return m ? { name: m[1]!, key: m[2]! } : undefined;
}
