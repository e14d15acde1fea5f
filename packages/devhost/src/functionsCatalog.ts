import { SUPPORTED_OUTPUTS } from './bindings/outputs.js';
import type { RegisteredFunction, RpcBindingInfo } from './coreTypes.js';
import { DURABLE_INPUTS, DURABLE_TRIGGERS } from './durable/bindingTypes.js';

export const SUPPORTED_TRIGGERS = new Set<string>(['httpTrigger', 'queueTrigger', 'timerTrigger', 'blobTrigger', ...DURABLE_TRIGGERS]);
/** Input (non-trigger) binding types devhost fills in. */
export const SUPPORTED_INPUTS = new Set<string>([...DURABLE_INPUTS, 'blob']);

export interface CatalogEntry {
  fn: RegisteredFunction;
  triggerName: string;
  trigger: RpcBindingInfo;
  triggerType: string;
  disabled: boolean;
  /** Why devhost cannot run it, when it cannot. */
  unsupported?: string;
}

const isTrigger = (type: string | undefined) => /trigger$/i.test(type ?? '');

/** Sorts what an app registered into what devhost runs, what is disabled, and what it cannot run (and why). */
export function catalog(functions: Iterable<RegisteredFunction>, env: NodeJS.ProcessEnv): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  for (const fn of functions) {
    const bindings = Object.entries(fn.metadata.bindings);
    const trigger = bindings.find(([, b]) => isTrigger(b.type));
    if (!trigger) throw new Error(`function '${fn.metadata.name}' has no trigger binding`);
    const [triggerName, binding] = trigger;
    const triggerType = String(binding.type);
    const problems: string[] = [];
    if (!SUPPORTED_TRIGGERS.has(triggerType)) problems.push(`trigger type '${triggerType}'`);
    // An Event Grid blob trigger waits for events devhost has no Event Grid to send; polling it instead would hide that.
    if (triggerType === 'blobTrigger' && String(binding.source ?? '').toLowerCase() === 'eventgrid')
      problems.push(`blob triggers with source 'EventGrid'`);
    for (const [name, b] of bindings) {
      if (name === triggerName) continue;
      const type = String(b.type);
      if (b.direction === 'out' && !SUPPORTED_OUTPUTS.has(type.toLowerCase())) problems.push(`output binding '${type}'`);
      if (b.direction !== 'out' && !SUPPORTED_INPUTS.has(type)) problems.push(`input binding '${type}'`);
    }
    const flag = env[`AzureWebJobs.${fn.metadata.name}.Disabled`] ?? env[`AzureWebJobs_${fn.metadata.name}_Disabled`];
    entries.push({
      fn,
      triggerName,
      trigger: binding,
      triggerType,
      disabled: flag !== undefined && /^(true|1)$/i.test(flag),
      unsupported: problems.length ? `devhost does not support ${problems.join(', ')}` : undefined,
    });
  }
  return entries.sort((a, b) => a.fn.metadata.name.localeCompare(b.fn.metadata.name));
}
