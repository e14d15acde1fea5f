/** Names and keys of the Azure Storage provider's task hub layout (DTFx DurableTask.AzureStorage). */

/** Hub names are letters and digits, 3–45 characters (AzureStorageOptions.ValidateHubName). */
export function validateHubName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(name)) {
    throw new Error(`task hub name "${name}" must be 3-45 letters and digits, starting with a letter`);
  }
  return name;
}

/** KeySanitation.EscapePartitionKey: characters Azure Tables forbid in keys are escaped with `^`. */
export function escapeKey(key: string): string {
  let out = '';
  for (const ch of key) {
    const c = ch.codePointAt(0)!;
    if (ch === '^') out += '^^';
    else if (ch === '/') out += '^0';
    else if (ch === '\\') out += '^1';
    else if (ch === '#') out += '^2';
    else if (ch === '?') out += '^3';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += '^' + String.fromCharCode(0xc0 + c);
    else out += ch;
  }
  return out;
}

export function unescapeKey(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    if (ch !== '^' || i + 1 >= key.length) {
      out += ch;
      continue;
    }
    const next = key[++i]!;
    out +=
      next === '^'
        ? '^'
        : next === '0'
          ? '/'
          : next === '1'
            ? '\\'
            : next === '2'
              ? '#'
              : next === '3'
                ? '?'
                : String.fromCharCode(next.charCodeAt(0) - 0xc0);
  }
  return out;
}

/** Control-queue partition: FNV-1a over the UTF-8 bytes of the instance id. */
export function partitionOf(instanceId: string, partitionCount: number): number {
  let hash = 2166136261;
  for (const byte of Buffer.from(instanceId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash % partitionCount;
}

export const rowKeyOf = (sequence: number) => sequence.toString(16).toUpperCase().padStart(16, '0');

export function hubResourceNames(hub: string, partitionCount: number) {
  const lower = hub.toLowerCase();
  return {
    historyTable: `${hub}History`,
    instancesTable: `${hub}Instances`,
    controlQueues: Array.from({ length: partitionCount }, (_, i) => `${lower}-control-${String(i).padStart(2, '0')}`),
    workItemQueue: `${lower}-workitems`,
    largeMessages: `${lower}-largemessages`,
  };
}

/** Instance ids the extension accepts: not starting with `@`, no `/ \ # ?` or control characters, at most 256. */
export function instanceIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'must not be empty';
  if (id.length > 256) return 'must be at most 256 characters';
  if (id.startsWith('@')) return 'must not start with "@" (reserved for entities)';
  // eslint-disable-next-line no-control-regex
  if (/[/\\#?\u0000-\u001f\u007f-\u009f]/.test(id)) return 'must not contain /, \\, #, ? or control characters';
  return undefined;
}
