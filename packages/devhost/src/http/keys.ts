import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DevhostError } from '../config.js';

const KeyMap = z.record(z.string(), z.string().min(1));
const KeysFile = z.object({
  masterKey: z.string().min(1),
  functionKeys: KeyMap.default({}),
  functions: z.record(z.string(), KeyMap).default({}),
  /** Extension keys, such as `durabletask_extension` for the Durable HTTP API. */
  systemKeys: KeyMap.default({}),
});

export type Keys = z.infer<typeof KeysFile>;
export type AuthLevel = 'anonymous' | 'function' | 'admin';

/** Reads a keys file: `{ masterKey, functionKeys: {name: key}, functions: {fn: {name: key}} }`. */
export function readKeys(file: string): Keys {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DevhostError(`--keys ${file}: ${(error as Error).message}`);
  }
  const parsed = KeysFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DevhostError(`--keys ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The key a request presents: `code` query parameter, else the `x-functions-key` header. */
export function presentedKey(url: URL, headers: Record<string, string | string[] | undefined>): string | undefined {
  const header = headers['x-functions-key'];
  return url.searchParams.get('code') ?? (Array.isArray(header) ? header[0] : header);
}

/** Host rules: admin needs the master key; function accepts the master key, a host function key or its own key. */
export function authorized(keys: Keys | undefined, level: AuthLevel, functionName: string, key: string | undefined): boolean {
  if (!keys || level === 'anonymous') return true;
  if (!key) return false;
  if (key === keys.masterKey) return true;
  if (level === 'admin') return false;
  return Object.values(keys.functionKeys).includes(key) || Object.values(keys.functions[functionName] ?? {}).includes(key);
}
