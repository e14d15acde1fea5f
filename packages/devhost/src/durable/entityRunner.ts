import { events, isoTime } from './history.js';
import { entityInstanceId, parseEntityInstanceId, stableGuid } from './ids.js';
import { returnedValue, type EngineServices } from './services.js';
import type { InstanceRecord, TaskMessage } from './taskHubStore.js';

/** RequestMessage (EntityScheduler/RequestMessage.cs): what callers send an entity. */
export interface EntityRequest {
  op: string;
  signal?: boolean;
  input?: string;
  id: string;
  parent?: string;
  parentExecution?: string;
}

interface EntityState {
  exists: boolean;
  state?: string;
  /** Request ids already applied, newest last: a redelivered request is not applied twice. */
  processed: string[];
}

interface EntityResult {
  results: { isError: boolean; result?: string }[];
  signals: { target: { name: string; key: string }; name: string; input?: string; requestId?: string }[];
  entityExists: boolean;
  entityState?: string;
}

const REMEMBERED_REQUESTS = 1000;

export function readEntityState(record: InstanceRecord | undefined): EntityState {
  if (!record?.input) return { exists: false, processed: [] };
  const parsed = JSON.parse(record.input) as EntityState;
  return { exists: parsed.exists, state: parsed.state, processed: parsed.processed ?? [] };
}

/**
 * Entities are instances named `@name@key`; their state lives in the Instances row. A batch of requests
 * runs through the SDK's entity function; callers get their results as events named by request id.
 */
export class EntityRunner {
  constructor(private readonly s: EngineServices) {}

  async process(instanceId: string, messages: TaskMessage[]): Promise<void> {
    const self = parseEntityInstanceId(instanceId)!;
    const record = await this.s.store.getInstance(instanceId);
    const current = readEntityState(record);
    const done = new Set(current.processed);
    const batch: EntityRequest[] = [];
    for (const m of messages) {
      const request = JSON.parse(m.event.Input ?? '{}') as EntityRequest;
      if (!request.id || done.has(request.id)) continue;
      done.add(request.id);
      batch.push(request);
    }
    if (batch.length === 0) return;
    const target = this.s.findFunction('entityTrigger', self.name);
    const at = isoTime(this.s.clock.now());
    let result: EntityResult;
    if (!target) {
      const message = `The function '${self.name}' doesn't exist, is disabled, or is not an entity function.`;
      result = {
        results: batch.map(() => ({ isError: true, result: JSON.stringify(message) })),
        signals: [],
        entityExists: current.exists,
        entityState: current.state,
      };
    } else {
      const payload = {
        self,
        exists: current.exists,
        state: current.state ?? null,
        batch: batch.map((r) => ({ name: r.op, input: r.input ?? null, isSignal: !!r.signal })),
      };
      const run = await this.s.invoker.invoke(target.fn, {
        inputData: [{ name: target.triggerName, data: { string: JSON.stringify(payload) } }],
      });
      if (run.ok) {
        const value = returnedValue(run.response.returnValue);
        result = (typeof value === 'string' ? JSON.parse(value) : value) as EntityResult;
      } else {
        result = {
          results: batch.map(() => ({ isError: true, result: JSON.stringify(run.error.message) })),
          signals: [],
          entityExists: current.exists,
          entityState: current.state,
        };
      }
    }
    // Replies and signals first, with ids derived from the request: if we crash before saving the state,
    // the batch runs again and its messages are recognised as duplicates where they arrive.
    for (let i = 0; i < batch.length; i++) {
      const request = batch[i]!;
      if (request.signal || !request.parent) continue;
      const r = result.results[i] ?? { isError: true, result: JSON.stringify('no result') };
      const response: Record<string, unknown> = { result: r.result ?? null };
      if (r.isError) response.exceptionType = 'Error';
      await this.s.sendToInstance(
        request.parent,
        request.parentExecution ?? '',
        events.eventRaised(at, request.id, JSON.stringify(response)),
        stableGuid(instanceId, request.id, 'response'),
      );
    }
    for (const [i, signal] of result.signals.entries()) {
      const targetId = entityInstanceId(signal.target.name, signal.target.key);
      const requestId = signal.requestId ?? stableGuid(instanceId, batch[batch.length - 1]!.id, 'signal', i);
      const request: EntityRequest = { op: signal.name, signal: true, id: requestId, parent: instanceId };
      if (signal.input !== undefined && signal.input !== null) request.input = signal.input;
      await this.s.sendToInstance(targetId, '', events.eventRaised(at, signal.name, JSON.stringify(request)), requestId);
    }
    const next: EntityState = {
      exists: result.entityExists,
      state: result.entityExists ? result.entityState : undefined,
      processed: [...done].slice(-REMEMBERED_REQUESTS),
    };
    await this.s.store.putInstance({
      instanceId,
      name: self.name,
      version: '',
      input: JSON.stringify(next),
      output: null,
      customStatus: null,
      runtimeStatus: 'Running',
      createdTime: record?.createdTime ?? at,
      lastUpdatedTime: at,
      completedTime: null,
      executionId: record?.executionId ?? stableGuid(instanceId, 'entity'),
      parentInstanceId: null,
    });
  }
}
