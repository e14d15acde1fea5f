import { events, isoTime, type RuntimeStatus } from './history.js';
import { entityInstanceId, newId, stableGuid } from './ids.js';
import { instanceIdProblem } from './names.js';
import { isTerminal } from './orchestrationRunner.js';
import type { EngineServices } from './services.js';
import type { EntityRequest } from './entityRunner.js';
import { pendingInstance, type InstanceQuery, type InstanceRecord } from './taskHubStore.js';

/** A client request the engine refuses, with the HTTP status the Durable HTTP API answers. */
export class ClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ACTIVE = new Set<RuntimeStatus>(['Running', 'Pending', 'Suspended', 'ContinuedAsNew']);

/** What a durable client can do to instances and entities (the operations behind the HTTP API). */
export class ClientOperations {
  constructor(
    private readonly s: EngineServices,
    private readonly forget: (instanceId: string) => void,
    /** The Instances row as the orchestration runner last wrote it, if it has it in memory. */
    private readonly cached: (instanceId: string) => InstanceRecord | undefined = () => undefined,
  ) {}

  async startNew(name: string, instanceId: string | undefined, input: string | null): Promise<string> {
    const target = this.s.findFunction('orchestrationTrigger', name);
    if (!target) throw new ClientError(400, `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function..`);
    const id = instanceId ?? newId();
    const problem = instanceIdProblem(id);
    if (problem) throw new ClientError(400, `Instance id '${id}' ${problem}.`);
    const existing = await this.s.store.getInstance(id);
    if (existing && ACTIVE.has(existing.runtimeStatus)) {
      throw new ClientError(409, `An orchestration with instance id '${id}' already exists and is ${existing.runtimeStatus}.`);
    }
    const executionId = newId();
    const at = isoTime(this.s.clock.now());
    await this.s.store.putInstance(pendingInstance(id, target.fn.metadata.name, input, executionId, at, null));
    this.forget(id);
    const start = events.executionStarted(at, {
      name: target.fn.metadata.name,
      instance: { InstanceId: id, ExecutionId: executionId },
      input,
      parent: null,
    });
    try {
      await this.s.sendToInstance(id, executionId, start, stableGuid(id, executionId, 'start'));
    } catch (error) {
      // Without its start message the row would sit Pending for ever and block the id: take it back.
      await this.s.store.deleteInstance(id).catch(() => undefined);
      throw error;
    }
    return id;
  }

  /** The Instances row as stored: another client (a DTFx tool purging, say) may have changed it behind our back. */
  async get(instanceId: string): Promise<InstanceRecord> {
    return this.#found(instanceId, await this.s.store.getInstance(instanceId));
  }

  /** For a signal, the row as the runner last wrote it will do: a stale one only sends a message the runner drops. */
  async #current(instanceId: string): Promise<InstanceRecord> {
    return this.#found(instanceId, this.cached(instanceId) ?? (await this.s.store.getInstance(instanceId)));
  }

  #found(instanceId: string, record: InstanceRecord | undefined): InstanceRecord {
    if (!record || instanceId.startsWith('@')) throw new ClientError(404, `No instance with ID '${instanceId}' found.`);
    return record;
  }

  async raiseEvent(instanceId: string, name: string, input: string | null): Promise<void> {
    const record = await this.#current(instanceId);
    if (isTerminal(record.runtimeStatus))
      throw new ClientError(410, `Instance '${instanceId}' is ${record.runtimeStatus}; it takes no events.`);
    const at = isoTime(this.s.clock.now());
    await this.s.sendToInstance(instanceId, record.executionId, events.eventRaised(at, name, input), newId());
  }

  async control(instanceId: string, what: 'terminate' | 'suspend' | 'resume', reason: string | null): Promise<void> {
    const record = await this.#current(instanceId);
    if (isTerminal(record.runtimeStatus)) throw new ClientError(410, `Instance '${instanceId}' is ${record.runtimeStatus}.`);
    const at = isoTime(this.s.clock.now());
    const event =
      what === 'terminate'
        ? events.executionTerminated(at, reason)
        : what === 'suspend'
          ? events.executionSuspended(at, reason)
          : events.executionResumed(at, reason);
    await this.s.sendToInstance(instanceId, record.executionId, event, newId());
  }

  async purge(instanceId: string): Promise<number> {
    const record = await this.s.store.getInstance(instanceId);
    if (!record) return 0;
    await this.s.store.deleteHistory(instanceId);
    await this.s.store.deleteInstance(instanceId);
    this.forget(instanceId);
    return 1;
  }

  /** Purges the instances a filter matches; `createdTimeTo` defaults to now on the host clock (virtual under a test clock). */
  async purgeWhere(query: InstanceQuery): Promise<number> {
    const filter = { ...query, createdTimeTo: query.createdTimeTo ?? this.s.clock.now() };
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.s.store.queryInstances({ ...filter, orchestrationsOnly: true, continuationToken: token, top: 1000 });
      for (const r of page.records) deleted += await this.purge(r.instanceId);
      token = page.continuationToken;
    } while (token);
    return deleted;
  }

  async restart(instanceId: string, newInstanceId: boolean): Promise<string> {
    const record = await this.get(instanceId);
    if (ACTIVE.has(record.runtimeStatus) && !newInstanceId)
      throw new ClientError(409, `Instance '${instanceId}' is still ${record.runtimeStatus}; terminate it first.`);
    return this.startNew(record.name, newInstanceId ? undefined : instanceId, record.input);
  }

  async signalEntity(name: string, key: string, operation: string, input: string | null): Promise<void> {
    const id = entityInstanceId(name, key);
    const request: EntityRequest = { op: operation, signal: true, id: newId() };
    if (input !== null) request.input = input;
    await this.s.sendToInstance(id, '', events.eventRaised(isoTime(this.s.clock.now()), operation, JSON.stringify(request)), request.id);
  }
}
