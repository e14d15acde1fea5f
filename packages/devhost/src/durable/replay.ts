/**
 * The host half of the out-of-process orchestration protocol: given the history the SDK just replayed
 * and the cumulative action list it returned, re-derive every task id exactly as the Durable extension's
 * shim does, and say which scheduling events are new.
 *
 * The shim drives the actions one after another (`foreach action: await invoke(action)`), with DTFx
 * giving each scheduling call the next id; history events resume the awaiting tasks in history order.
 * We simulate that: walk the history, complete tasks by id (activities, timers, sub-orchestrations) or by
 * name (external events, entity responses), advance to the next action when the current one completes,
 * and allocate ids as tasks start — including retry timers and re-attempts, which start when a failure is
 * processed. Tasks whose scheduling event is not in history yet are new work. Pure: no I/O, time is given.
 */
import { EventType, events, isoTime, type HistoryEvent } from './history.js';
import { stableGuid } from './ids.js';

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  ScheduledSignalEntity: 10,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export interface RetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptions;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  operation?: string;
  httpRequest?: unknown;
  compoundActions?: Action[];
}

export interface ReplayContext {
  instanceId: string;
  executionId: string;
  /** Episode time: stamps new events. */
  now: number;
  /** callHttp polling: how long to wait between polls when a 202 has no Retry-After (host.json httpSettings). */
  defaultHttpAsyncRequestSleepTimeMilliseconds?: number;
}

export interface ReplayResult {
  /** Scheduling events to append, in id order. */
  newEvents: HistoryEvent[];
  /** The id the completion event takes (DTFx gives CompleteOrchestration the next id too). */
  nextId: number;
  /** Timers the SDK cancelled (a Task.any lost by the timer): they need not fire. */
  canceledTimerIds: number[];
  /** External events nobody waited for: continueAsNew carries them into the next execution. */
  unconsumedEvents: HistoryEvent[];
  /** True when the last action waits on something: the orchestration is still running. */
  waiting: boolean;
  /** Things that should not happen in a deterministic orchestration. */
  warnings: string[];
}

export class ReplayError extends Error {}

const SCHEDULING = new Set<number>([
  EventType.TaskScheduled,
  EventType.TimerCreated,
  EventType.SubOrchestrationInstanceCreated,
  EventType.EventSent,
]);

/** DTFx RetryInterceptor: delay after failed attempt `n` (1-based) is first × coefficient^(n-1), capped. */
export function retryDelay(options: RetryOptions, failedAttempt: number, firstAttemptAt: number, now: number): number {
  if (failedAttempt >= options.maxNumberOfAttempts) return 0;
  const timeout = options.retryTimeoutInMilliseconds;
  if (timeout !== undefined && timeout > 0 && now >= firstAttemptAt + timeout) return 0;
  const delay = options.firstRetryIntervalInMilliseconds * (options.backoffCoefficient ?? 1) ** (failedAttempt - 1);
  const max = options.maxRetryIntervalInMilliseconds;
  return max !== undefined && max > 0 ? Math.min(delay, max) : delay;
}

type Outcome = { ok: boolean; result: string | null | undefined };

abstract class Node {
  done = false;
  ok = true;
  /** The completion event's Result (JSON text), for nodes that look at it (callHttp polling). */
  result: string | null | undefined;
  parent: Node | undefined;
  constructor(protected readonly sim: Simulation) {}
  abstract start(): void;
  finish(ok: boolean): void {
    if (this.done) return;
    this.done = true;
    this.ok = ok;
    if (this.parent) this.parent.childDone(this);
    else this.sim.topDone(this);
  }
  childDone(_child: Node): void {}
}

/** A task with a DTFx id: activity, HTTP call, sub-orchestration, timer, entity call or signal. */
const KIND_EVENT = {
  task: EventType.TaskScheduled,
  timer: EventType.TimerCreated,
  sub: EventType.SubOrchestrationInstanceCreated,
  entityCall: EventType.EventSent,
  signal: EventType.EventSent,
} as const;

class IdTask extends Node {
  id = -1;
  onStart: ((id: number) => void) | undefined;
  constructor(
    sim: Simulation,
    private readonly make: (id: number, at: string) => HistoryEvent,
    readonly kind: 'task' | 'timer' | 'sub' | 'entityCall' | 'signal',
  ) {
    super(sim);
  }
  start(): void {
    this.id = this.sim.allocate();
    this.onStart?.(this.id);
    const event = this.sim.schedule(this.id, KIND_EVENT[this.kind], this.make);
    if (this.kind === 'signal') return this.finish(true);
    if (this.kind === 'entityCall') {
      const requestId = (JSON.parse(event.Input ?? '{}') as { id?: string }).id;
      if (!requestId) throw new ReplayError(`EventSent ${this.id} has no request id`);
      this.sim.waitForName(requestId, this);
      return;
    }
    this.sim.waitForId(this.id, this);
  }
}

class EventWait extends Node {
  constructor(
    sim: Simulation,
    readonly name: string,
  ) {
    super(sim);
  }
  start(): void {
    this.sim.waitForName(this.name, this);
  }
}

class Immediate extends Node {
  start(): void {
    this.finish(true);
  }
}

/** CallActivityWithRetry / CallSubOrchestratorWithRetry: attempt, timer, attempt, …, and a final timer. */
class Retry extends Node {
  #attempt = 0;
  #firstAttemptAt = 0;
  #waitingOnTimer = false;
  constructor(
    sim: Simulation,
    private readonly attemptFactory: () => IdTask,
    private readonly options: RetryOptions,
  ) {
    super(sim);
  }
  start(): void {
    this.#firstAttemptAt = this.sim.currentTime;
    this.#next();
  }
  #next(): void {
    this.#attempt++;
    const child = this.attemptFactory();
    child.parent = this;
    child.start();
  }
  override childDone(child: Node): void {
    if (this.#waitingOnTimer) {
      this.#waitingOnTimer = false;
      if (this.#attempt >= this.options.maxNumberOfAttempts) this.finish(false);
      else this.#next();
      return;
    }
    if (child.ok) return this.finish(true);
    // Even after the last attempt DTFx creates a (zero-delay) timer, and the SDK waits for it.
    const delay = retryDelay(this.options, this.#attempt, this.#firstAttemptAt, this.sim.currentTime);
    const fireAt = isoTime(this.sim.currentTime + delay);
    const timer = new IdTask(this.sim, (id, at) => events.timerCreated(at, id, fireAt), 'timer');
    timer.parent = this;
    this.#waitingOnTimer = true;
    timer.start();
  }
}

const HTTP_ACTIVITY = 'BuiltIn::HttpActivity';

interface DurableHttpRequest {
  method?: string;
  uri?: string;
  content?: string;
  headers?: Record<string, string | string[]>;
  tokenSource?: unknown;
  asynchronousPatternEnabled?: boolean;
}

/**
 * callHttp. The action list carries only the first request; when it answers 202 with a Location and the
 * async pattern is on, the extension (`DurableOrchestrationContext.CallHttpAsync`) polls by itself: a timer
 * (Retry-After seconds, else the default sleep), then a GET of the Location with the original headers less
 * `x-functions-key` — each consuming an id, which the SDK's CallHttpWithPollingTask expects likewise.
 */
class HttpCall extends Node {
  #waitingOnTimer = false;
  #next: DurableHttpRequest | undefined;
  constructor(
    sim: Simulation,
    private readonly request: DurableHttpRequest,
    private readonly send: (request: DurableHttpRequest) => IdTask,
    private readonly defaultSleepMs: number,
  ) {
    super(sim);
  }
  start(): void {
    this.#call(this.request);
  }
  #call(request: DurableHttpRequest): void {
    const child = this.send(request);
    child.parent = this;
    child.start();
  }
  override childDone(child: Node): void {
    if (this.#waitingOnTimer) {
      this.#waitingOnTimer = false;
      return this.#call(this.#next!);
    }
    if (!child.ok) return this.finish(false);
    const poll = this.request.asynchronousPatternEnabled === false ? undefined : this.#pollAfter(child.result);
    if (!poll) {
      this.result = child.result;
      return this.finish(true);
    }
    this.#next = poll.request;
    this.#waitingOnTimer = true;
    const fireAt = isoTime(this.sim.currentTime + poll.delayMs);
    const timer = new IdTask(this.sim, (id, at) => events.timerCreated(at, id, fireAt), 'timer');
    timer.parent = this;
    timer.start();
  }
  #pollAfter(result: string | null | undefined): { request: DurableHttpRequest; delayMs: number } | undefined {
    let response: { statusCode?: number; headers?: Record<string, string | string[]> };
    try {
      response = JSON.parse(result ?? 'null') ?? {};
    } catch {
      return undefined;
    }
    if (response.statusCode !== 202) return undefined;
    const header = (name: string) => {
      const key = Object.keys(response.headers ?? {}).find((k) => k.toLowerCase() === name);
      const value = key === undefined ? undefined : response.headers![key];
      return Array.isArray(value) ? value[0] : value;
    };
    const location = header('location');
    if (!location) return undefined;
    const retryAfter = Number(header('retry-after'));
    const delayMs = header('retry-after') !== undefined && Number.isFinite(retryAfter) ? retryAfter * 1000 : this.defaultSleepMs;
    const headers = Object.fromEntries(Object.entries(this.request.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'x-functions-key'));
    let uri = location;
    try {
      uri = new URL(location, this.request.uri).href;
    } catch {
      // Not resolvable: the HTTP activity reports it.
    }
    const request: DurableHttpRequest = { method: 'GET', uri, headers };
    if (this.request.tokenSource) request.tokenSource = this.request.tokenSource;
    return { request, delayMs };
  }
}

/** Task.all / Task.any: children start together, in array order (which is id order). */
abstract class Compound extends Node {
  #starting = false;
  constructor(
    sim: Simulation,
    readonly children: Node[],
  ) {
    super(sim);
    for (const c of children) c.parent = this;
  }
  start(): void {
    if (this.children.length === 0) return this.finish(true);
    // The SDK numbers every child before the orchestrator resumes: a child done at once (a buffered event)
    // must not let the next action take an id ahead of the siblings after it.
    this.#starting = true;
    for (const c of this.children) c.start();
    this.#starting = false;
    for (const c of this.children) if (c.done) this.childDone(c);
  }
  override childDone(child: Node): void {
    if (!this.#starting && !this.done) this.settle(child);
  }
  protected abstract settle(child: Node): void;
}

class WhenAll extends Compound {
  // Fails as soon as one child fails, as the SDK's Task.all does (so the orchestrator can go on at once).
  protected override settle(child: Node): void {
    if (!child.ok) return this.finish(false);
    if (this.children.every((c) => c.done)) this.finish(true);
  }
}

class WhenAny extends Compound {
  protected override settle(): void {
    this.finish(true);
  }
}

class Simulation {
  currentTime: number;
  #nextId = 0;
  #scheduled = new Map<number, HistoryEvent>();
  #newEvents: HistoryEvent[] = [];
  #byId = new Map<number, Node>();
  #early = new Map<number, Outcome>();
  #nameWaiters = new Map<string, Node[]>();
  #buffered = new Map<string, HistoryEvent[]>();
  #cursor = 0;
  #started = false;
  readonly warnings: string[] = [];
  readonly canceledTimers: number[] = [];
  #current: Node | undefined;

  constructor(
    private readonly ctx: ReplayContext,
    private readonly actions: Action[],
    history: HistoryEvent[],
  ) {
    this.currentTime = ctx.now;
    for (const e of history) if (SCHEDULING.has(e.EventType)) this.#scheduled.set(e.EventId, e);
    this.history = history;
  }
  readonly history: HistoryEvent[];

  allocate(): number {
    return this.#nextId++;
  }

  /** The scheduling event for `id`: from history when replaying, else a new one. */
  schedule(id: number, type: number, make: (id: number, at: string) => HistoryEvent): HistoryEvent {
    const existing = this.#scheduled.get(id);
    if (existing) {
      if (existing.EventType !== type) {
        this.warnings.push(`non-deterministic orchestration: task ${id} was ${existing.EventType} in history, now ${type}`);
      }
      return existing;
    }
    // Replays build events only for new tasks: a long history costs no work per old task.
    const event = make(id, isoTime(this.ctx.now));
    this.#scheduled.set(id, event);
    this.#newEvents.push(event);
    return event;
  }

  waitForId(id: number, node: Node): void {
    const early = this.#early.get(id);
    if (early) {
      this.#early.delete(id);
      node.result = early.result;
      node.finish(early.ok);
      return;
    }
    this.#byId.set(id, node);
  }

  /** Events by name (external events; entity responses by request id): a buffered one is used first, else the task waits. */
  waitForName(name: string, node: Node): void {
    const buffered = this.#buffered.get(name);
    if (buffered?.length) {
      buffered.shift();
      node.finish(true);
      return;
    }
    const list = this.#nameWaiters.get(name) ?? [];
    list.push(node);
    this.#nameWaiters.set(name, list);
  }

  #completeId(id: number, ok: boolean, what: string, result?: string | null): void {
    const node = this.#byId.get(id);
    if (!node) {
      if (this.#early.has(id) || !this.#scheduled.has(id)) {
        this.warnings.push(`${what} for task ${id}, which is not waiting`);
      }
      this.#early.set(id, { ok, result });
      return;
    }
    this.#byId.delete(id);
    node.result = result;
    node.finish(ok);
  }

  /** Several tasks waiting for one name are served last-in-first-out, as the SDK's `openEvents[name].pop()` does. */
  #raise(event: HistoryEvent): void {
    const name = event.Name ?? '';
    const list = this.#nameWaiters.get(name);
    const node = list?.pop();
    if (list && list.length === 0) this.#nameWaiters.delete(name);
    if (node) node.finish(true);
    else this.#buffered.set(name, [...(this.#buffered.get(name) ?? []), event]);
  }

  build(action: Action): Node {
    const { instanceId, executionId } = this.ctx;
    const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
    const activity = (name: string, input: unknown) => () =>
      new IdTask(this, (id, at) => events.taskScheduled(at, id, name, JSON.stringify([input ?? null])), 'task');
    const sub = (a: Action) => () =>
      new IdTask(
        this,
        (id, at) => events.subOrchestrationCreated(at, id, a.functionName ?? '', a.instanceId || `${executionId}:${id}`, json(a.input)),
        'sub',
      );
    switch (action.actionType) {
      case ActionType.CallActivity:
        return activity(action.functionName ?? '', action.input)();
      case ActionType.CallActivityWithRetry:
        return new Retry(this, activity(action.functionName ?? '', action.input), this.#retryOptions(action));
      case ActionType.CallSubOrchestrator:
        return sub(action)();
      case ActionType.CallSubOrchestratorWithRetry:
        return new Retry(this, sub(action), this.#retryOptions(action));
      case ActionType.CallHttp:
        return new HttpCall(
          this,
          action.httpRequest as DurableHttpRequest,
          (request) => activity(HTTP_ACTIVITY, request)(),
          this.ctx.defaultHttpAsyncRequestSleepTimeMilliseconds ?? 30_000,
        );
      case ActionType.CreateTimer: {
        const timer = new IdTask(this, (id, at) => events.timerCreated(at, id, action.fireAt ?? at), 'timer');
        if (action.isCanceled) timer.onStart = (id) => this.canceledTimers.push(id);
        return timer;
      }
      case ActionType.WaitForExternalEvent:
        return new EventWait(this, action.externalEventName ?? '');
      case ActionType.CallEntity:
      case ActionType.SignalEntity: {
        const signal = action.actionType === ActionType.SignalEntity;
        return new IdTask(
          this,
          (id, at) => {
            const request: Record<string, unknown> = {
              op: action.operation,
              id: stableGuid(instanceId, executionId, 'entity-request', id),
            };
            if (signal) request.signal = true;
            if (action.input !== undefined) request.input = JSON.stringify(action.input);
            request.parent = instanceId;
            request.parentExecution = executionId;
            return events.eventSent(at, id, action.instanceId ?? '', action.operation ?? '', JSON.stringify(request));
          },
          signal ? 'signal' : 'entityCall',
        );
      }
      case ActionType.ContinueAsNew:
        return new Immediate(this);
      case ActionType.WhenAll:
        return new WhenAll(
          this,
          (action.compoundActions ?? []).map((a) => this.build(a)),
        );
      case ActionType.WhenAny:
        return new WhenAny(
          this,
          (action.compoundActions ?? []).map((a) => this.build(a)),
        );
      case ActionType.LockEntities:
      case ActionType.ReleaseEntities:
        throw new ReplayError('entity locks (context.df.lock) are not supported by devhost');
      default:
        throw new ReplayError(`unknown action type ${action.actionType}`);
    }
  }

  #retryOptions(action: Action): RetryOptions {
    const o = action.retryOptions;
    if (!o || !(o.maxNumberOfAttempts >= 1) || !(o.firstRetryIntervalInMilliseconds > 0)) {
      throw new ReplayError(`${action.functionName}: retry options need firstRetryIntervalInMilliseconds > 0 and maxNumberOfAttempts >= 1`);
    }
    return o;
  }

  topDone(node: Node): void {
    if (node !== this.#current) return;
    this.#cursor++;
    this.#advance();
  }

  #advance(): void {
    const action = this.actions[this.#cursor];
    this.#current = action ? this.build(action) : undefined;
    // A task that completes at once (a signal, a buffered event) calls topDone, which advances again.
    this.#current?.start();
  }

  run(): ReplayResult {
    for (const e of this.history) {
      switch (e.EventType) {
        case EventType.OrchestratorStarted:
          this.currentTime = Date.parse(e.Timestamp);
          break;
        case EventType.ExecutionStarted:
          if (!this.#started) {
            this.#started = true;
            this.#advance();
          }
          break;
        case EventType.TaskCompleted:
        case EventType.TaskFailed:
          this.#completeId(e.TaskScheduledId!, e.EventType === EventType.TaskCompleted, EVENT_LABEL[e.EventType]!, e.Result);
          break;
        case EventType.SubOrchestrationInstanceCompleted:
        case EventType.SubOrchestrationInstanceFailed:
          this.#completeId(e.TaskScheduledId!, e.EventType === EventType.SubOrchestrationInstanceCompleted, EVENT_LABEL[e.EventType]!);
          break;
        case EventType.TimerFired:
          this.#completeId(e.TimerId!, true, 'TimerFired');
          break;
        case EventType.EventRaised:
          this.#raise(e);
          break;
      }
    }
    if (!this.#started) this.#advance();
    return {
      newEvents: this.#newEvents,
      nextId: this.#nextId,
      canceledTimerIds: this.canceledTimers,
      waiting: this.#current !== undefined && !this.#current.done,
      unconsumedEvents: [...this.#buffered.values()].flat(),
      warnings: this.warnings,
    };
  }
}

const EVENT_LABEL: Record<number, string> = {
  [EventType.TaskCompleted]: 'TaskCompleted',
  [EventType.TaskFailed]: 'TaskFailed',
  [EventType.SubOrchestrationInstanceCompleted]: 'SubOrchestrationInstanceCompleted',
  [EventType.SubOrchestrationInstanceFailed]: 'SubOrchestrationInstanceFailed',
};

export function replay(ctx: ReplayContext, history: HistoryEvent[], actions: Action[]): ReplayResult {
  return new Simulation(ctx, actions, history).run();
}
