/**
 * Unit-tests an app's orchestrator in-process: each step is one episode as `OrchestrationRunner` runs it —
 * new events after an OrchestratorStarted, the orchestrator replayed over the whole history by the real
 * durable-functions SDK, `replay()` deriving the scheduling events, OrchestratorCompleted — with the history
 * kept in memory and time on a virtual clock that moves only when the test (or `drive`) moves it.
 *
 * How the orchestrator is reached: this module provides `@azure/functions-core` through devhost's Registry
 * as soon as it is evaluated, so `df.app.orchestration(name, fn)` in an app imported after it registers
 * here, and episodes invoke that registration through devhost's Invoker (programming model, the app's
 * invocation hooks, the SDK's shim) exactly as the host does. durable-functions' own testing utilities
 * (DummyOrchestrationContext, createOrchestrator) would need the generator itself, which an app hands only
 * to `df.app.orchestration`, and they bypass the programming model and the hooks.
 *
 * The driver answers activities, timers and external events; sub-orchestrations and entity calls are
 * written to history as the engine writes them, but nothing answers them.
 */
import { TestClock } from '../clock.js';
import { installCoreModule, Registry } from '../coreApi.js';
import type { RegisteredFunction } from '../coreTypes.js';
import { EventType, events, isoTime, OrchestrationStatus, type HistoryEvent } from '../durable/history.js';
import { activityInput } from '../durable/activityRunner.js';
import { newId, stableGuid } from '../durable/ids.js';
import { ActionType, replay, ReplayError, type Action, type ReplayResult } from '../durable/replay.js';
import { invokeOrchestrator, orchestratorPayload } from '../durable/orchestratorInvocation.js';
import { parseJsonText } from '../durable/services.js';
import { Invoker } from '../invoker.js';
import { Logger } from '../log.js';

// @azure/functions looks the core module up once, at the app's first registration, and a miss leaves it in
// test mode for good: the provider has to be in place before any app module is evaluated.
const registry = new Registry();
installCoreModule(registry);

/** What the engine gives the SDK (durable/engine.ts): so long a maximum that the SDK never splits a timer. */
const SETTINGS = {
  maximumShortTimerDuration: '36500.00:00:00',
  longRunningTimerIntervalDuration: '3.00:00:00',
  defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
};

export type Time = Date | string | number;
export type DriverStatus = 'Running' | 'Completed' | 'Failed';

export interface StartOrchestrationOptions {
  /** The name the app registered with `df.app.orchestration` (case-insensitive, as Functions names are). */
  name: string;
  input?: unknown;
  instanceId?: string;
  /** Start time of the virtual clock; default: the real time now. */
  now?: Time;
}

/** An activity as scheduled: its task id and the input the activity function would receive. */
export interface ActivityCall {
  id: number;
  name: string;
  input: unknown;
}

export interface PendingTimer {
  id: number;
  fireAt: string;
}

export interface Pending {
  activities: ActivityCall[];
  /** Timers not fired nor cancelled, soonest first: all fire as time passes, as on the engine. */
  timers: PendingTimer[];
  /** Events the orchestrator's current task waits for (once each, however many waits). */
  events: string[];
}

/** Answers an activity: the value is its result; a throw fails it with the error's message. */
export type ActivityAnswer = (name: string, input: unknown) => unknown;

const toMs = (time: Time): number => {
  const ms = time instanceof Date ? time.getTime() : typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(time)}`);
  return ms;
};

function findOrchestrator(name: string): { fn: RegisteredFunction; triggerName: string } {
  if (!registry.programmingModel) {
    throw new Error(
      'no app has registered through devhost: import the app module after @herald/devhost/orchestration ' +
        '(@azure/functions loaded before it runs in test mode and registers nothing)',
    );
  }
  const orchestrators: string[] = [];
  for (const fn of registry.functions.values()) {
    const trigger = Object.entries(fn.metadata.bindings).find(([, b]) => b.type === 'orchestrationTrigger');
    if (!trigger) continue;
    if (fn.metadata.name.toLowerCase() === name.toLowerCase()) return { fn, triggerName: trigger[0] };
    orchestrators.push(fn.metadata.name);
  }
  throw new Error(`no orchestrator '${name}' is registered (orchestrators: ${orchestrators.join(', ') || 'none'})`);
}

function waitedEvents(action: Action | undefined, into: string[] = []): string[] {
  if (!action) return into;
  if (action.actionType === ActionType.WaitForExternalEvent) into.push(action.externalEventName ?? '');
  for (const child of action.compoundActions ?? []) waitedEvents(child, into);
  return into;
}

/** The input as the activity function receives it: the trigger data the activity runner sends, as @azure/functions parses it. */
function scheduledInput(e: HistoryEvent): unknown {
  const text = activityInput(e.Input);
  return text === undefined ? undefined : parseJsonText(text);
}

export class OrchestrationRun {
  readonly instanceId: string;
  readonly #name: string;
  readonly #target: { fn: RegisteredFunction; triggerName: string };
  readonly #clock: TestClock;
  readonly #invoker: Invoker;
  readonly #activityCalls: ActivityCall[] = [];
  readonly #warnings: string[] = [];
  readonly #logs: string[] = [];
  #executionId = newId();
  #history: HistoryEvent[] = [];
  #status: DriverStatus = 'Running';
  #output: unknown = null;
  #error: string | undefined;
  #customStatus: unknown;
  /** The SDK's cumulative actions and the one it waits on, from the last episode. */
  #actions: Action[] = [];
  #waiting = false;
  #canceledTimers = new Set<number>();

  private constructor(options: StartOrchestrationOptions) {
    this.#target = findOrchestrator(options.name);
    this.#name = this.#target.fn.metadata.name;
    this.instanceId = options.instanceId ?? newId();
    this.#clock = new TestClock(options.now === undefined ? Date.now() : toMs(options.now));
    const logger = new Logger({ userLevel: 'information', functionLevels: {}, verbose: false, write: (line) => this.#logs.push(line) });
    this.#invoker = new Invoker(registry, logger, this.#clock, undefined);
  }

  static async start(options: StartOrchestrationOptions): Promise<OrchestrationRun> {
    const run = new OrchestrationRun(options);
    await run.#episode([], run.#startEvent(options.input === undefined ? null : JSON.stringify(options.input)));
    return run;
  }

  get status(): DriverStatus {
    return this.#status;
  }
  /** The output as a client reads it back (parsed from the ExecutionCompleted result); null until completed. */
  get output(): unknown {
    return this.#output;
  }
  /** The failure reason the engine records, when Failed. */
  get error(): string | undefined {
    return this.#error;
  }
  get customStatus(): unknown {
    return this.#customStatus;
  }
  /** The current execution's history, as the engine would have stored it. */
  get history(): readonly HistoryEvent[] {
    return this.#history;
  }
  /** Every activity scheduled, in order, retries' attempts included (across continueAsNew too). */
  get activityCalls(): readonly ActivityCall[] {
    return this.#activityCalls;
  }
  /** What the engine would log as replay warnings (non-determinism, completions nobody waits for). */
  get warnings(): readonly string[] {
    return this.#warnings;
  }
  /** Log lines from the invocations (the app's `context.log`, failures). */
  get logs(): readonly string[] {
    return this.#logs;
  }
  get executionId(): string {
    return this.#executionId;
  }
  get now(): Date {
    return new Date(this.#clock.now());
  }

  /** What the orchestration waits on now; nothing once it has ended. */
  pending(): Pending {
    if (this.#status !== 'Running') return { activities: [], timers: [], events: [] };
    const done = new Set<string>();
    const raised = new Map<string, number>();
    for (const e of this.#history) {
      if (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed) done.add(`task${e.TaskScheduledId}`);
      if (e.EventType === EventType.TimerFired) done.add(`timer${e.TimerId}`);
      if (e.EventType === EventType.EventRaised) raised.set(e.Name ?? '', (raised.get(e.Name ?? '') ?? 0) + 1);
    }
    const activities: ActivityCall[] = [];
    const timers: PendingTimer[] = [];
    for (const e of this.#history) {
      if (e.EventType === EventType.TaskScheduled && !done.has(`task${e.EventId}`)) {
        activities.push({ id: e.EventId, name: e.Name ?? '', input: scheduledInput(e) });
      }
      if (e.EventType === EventType.TimerCreated && !done.has(`timer${e.EventId}`) && !this.#canceledTimers.has(e.EventId)) {
        timers.push({ id: e.EventId, fireAt: e.FireAt! });
      }
    }
    timers.sort((a, b) => Date.parse(a.fireAt) - Date.parse(b.fireAt) || a.id - b.id);
    // Every wait takes one event (a buffered one, or the next raised): a name is still awaited while the
    // waits for it outnumber the events raised with it.
    const waits = new Map<string, number>();
    for (const name of this.#actions.flatMap((a) => waitedEvents(a))) waits.set(name, (waits.get(name) ?? 0) + 1);
    const current = this.#waiting ? this.#actions.at(-1) : undefined;
    const awaited = waitedEvents(current).filter((name) => (waits.get(name) ?? 0) > (raised.get(name) ?? 0));
    return { activities, timers, events: [...new Set(awaited)] };
  }

  /** Delivers an activity's result (JSON-serialized, as the activity runner records it). */
  async completeActivity(id: number, result?: unknown): Promise<this> {
    this.#pendingActivity(id);
    return this.#step([events.taskCompleted(isoTime(this.#clock.now()), id, JSON.stringify(result ?? null))]);
  }

  /** Fails an activity the way the activity runner records an activity function that threw `message`. */
  async failActivity(id: number, message: string): Promise<this> {
    return this.#step([this.#failure(this.#pendingActivity(id), message)]);
  }

  async raiseEvent(name: string, payload?: unknown): Promise<this> {
    const input = payload === undefined ? null : JSON.stringify(payload);
    return this.#step([events.eventRaised(isoTime(this.#clock.now()), name, input)]);
  }

  /** Fires a timer now, first moving the clock to its due time if that is later. */
  async fireTimer(id: number): Promise<this> {
    const timer = this.pending().timers.find((t) => t.id === id);
    if (!timer) throw new Error(`${this.#label()}: timer ${id} is not pending (${this.#describePending()})`);
    return this.#fire(timer);
  }

  /** Moves the clock to `time`, firing each timer due by then at its own due time, in order. */
  async advanceTo(time: Time): Promise<this> {
    this.#running();
    const until = toMs(time);
    await this.#fireDue(until);
    if (until > this.#clock.now()) this.#clock.set(until);
    return this;
  }

  /**
   * Lets the orchestration run: answers every pending activity with `answer` (those pending at once in
   * one episode) and fires timers as they come due, skipping time, until it ends or waits only on what
   * `answer` cannot give (events; timers after `until`, where the clock then stops). An orchestrator that
   * never ends needs `until`.
   */
  async drive(answer: ActivityAnswer, options: { until?: Time } = {}): Promise<this> {
    const until = options.until === undefined ? Infinity : toMs(options.until);
    while (this.#status === 'Running') {
      const { activities } = this.pending();
      if (activities.length === 0) {
        if (await this.#fireDue(until, 1)) continue;
        break;
      }
      const completions: HistoryEvent[] = [];
      for (const call of activities) {
        try {
          const result = await answer(call.name, call.input);
          completions.push(events.taskCompleted(isoTime(this.#clock.now()), call.id, JSON.stringify(result ?? null)));
        } catch (error) {
          completions.push(this.#failure(call, error instanceof Error ? error.message : String(error)));
        }
      }
      await this.#step(completions);
    }
    if (this.#status === 'Running' && until !== Infinity && until > this.#clock.now()) this.#clock.set(until);
    return this;
  }

  /** Fires up to `limit` timers due by `until`, re-reading what is pending after each; how many fired. */
  async #fireDue(until: number, limit = Infinity): Promise<number> {
    let fired = 0;
    while (fired < limit && this.#status === 'Running') {
      const next = this.pending().timers[0];
      if (!next || Date.parse(next.fireAt) > until) break;
      await this.#fire(next);
      fired++;
    }
    return fired;
  }

  #fire(timer: PendingTimer): Promise<this> {
    const due = Date.parse(timer.fireAt);
    if (due > this.#clock.now()) this.#clock.set(due);
    return this.#step([events.timerFired(isoTime(this.#clock.now()), timer.id, timer.fireAt)]);
  }

  /** The TaskFailed the activity runner writes when an activity function throws. */
  #failure(call: ActivityCall, message: string): HistoryEvent {
    return events.taskFailed(
      isoTime(this.#clock.now()),
      call.id,
      `Activity function '${call.name}' failed: ${message}`,
      JSON.stringify({
        $type: 'System.Exception, System.Private.CoreLib',
        ClassName: 'System.Exception',
        Message: message,
        StackTraceString: null,
      }),
    );
  }

  #pendingActivity(id: number): ActivityCall {
    const call = this.pending().activities.find((a) => a.id === id);
    if (!call) throw new Error(`${this.#label()}: activity task ${id} is not pending (${this.#describePending()})`);
    return call;
  }

  #running(): void {
    if (this.#status !== 'Running') throw new Error(`${this.#label()} is ${this.#status}; it takes no more events`);
  }

  #label(): string {
    return `orchestration '${this.#name}' (${this.instanceId})`;
  }

  #describePending(): string {
    const p = this.pending();
    const parts = [
      ...p.activities.map((a) => `activity ${a.id} '${a.name}'`),
      ...p.timers.map((t) => `timer ${t.id} at ${t.fireAt}`),
      ...p.events.map((e) => `event '${e}'`),
    ];
    return parts.length ? `pending: ${parts.join(', ')}` : `nothing pending; status ${this.#status}`;
  }

  #step(incoming: HistoryEvent[]): Promise<this> {
    this.#running();
    return this.#episode(incoming).then(() => this);
  }

  #startEvent(input: string | null): HistoryEvent {
    return events.executionStarted(isoTime(this.#clock.now()), {
      name: this.#name,
      instance: { InstanceId: this.instanceId, ExecutionId: this.#executionId },
      input,
      parent: null,
    });
  }

  /** One work item: `started` begins a new execution (its history starts afresh). */
  async #episode(incoming: HistoryEvent[], started?: HistoryEvent): Promise<void> {
    const now = this.#clock.now();
    const at = isoTime(now);
    const previous = started ? [] : this.#history;
    const history = [...previous, events.orchestratorStarted(at), ...(started ? [started] : []), ...incoming];
    const result = await this.#runOrchestrator(history, now);
    if (result.continueAs) {
      // As DTFx does: the next execution starts in the same work item, and the finished one's history goes.
      this.#executionId = stableGuid(this.instanceId, this.#executionId, 'continued');
      return this.#episode(result.continueAs.carried, this.#startEvent(result.continueAs.input));
    }
    history.push(...result.events, events.orchestratorCompleted(at));
    for (let i = previous.length; i < history.length; i++) history[i]!.IsPlayed = true;
    this.#history = history;
  }

  async #runOrchestrator(
    history: HistoryEvent[],
    now: number,
  ): Promise<{ events: HistoryEvent[]; continueAs?: { input: string | null; carried: HistoryEvent[] } }> {
    const at = isoTime(now);
    const start = history.find((e) => e.EventType === EventType.ExecutionStarted)!;
    const fail = (message: string, actions: Action[]) => {
      let nextId = -1;
      const scheduled: HistoryEvent[] = [];
      try {
        const replayed = this.#replay(history, actions, now);
        nextId = replayed.nextId;
        scheduled.push(...replayed.newEvents);
      } catch (error) {
        if (!(error instanceof ReplayError)) throw error;
      }
      const reason = `Orchestrator function '${this.#name}' failed: ${message}`;
      this.#status = 'Failed';
      this.#error = reason;
      return { events: [...scheduled, events.executionCompleted(at, nextId, OrchestrationStatus.Failed, reason)] };
    };
    const answer = await invokeOrchestrator(this.#invoker, this.#target, orchestratorPayload(history, start, this.instanceId, SETTINGS));
    if (!answer.ok) {
      if (answer.state) this.#customStatus = answer.state.customStatus;
      return fail(answer.message, answer.state?.actions?.[0] ?? []);
    }
    const state = answer.state;
    this.#customStatus = state.customStatus;
    const actions = state.actions?.[0] ?? [];
    let replayed: ReplayResult;
    try {
      replayed = this.#replay(history, actions, now);
    } catch (error) {
      if (error instanceof ReplayError) return fail(error.message, []);
      throw error;
    }
    if (!state.isDone) return { events: replayed.newEvents };
    const continueAsNew = actions.find((a) => a.actionType === ActionType.ContinueAsNew);
    if (continueAsNew) {
      const input = continueAsNew.input === undefined ? null : JSON.stringify(continueAsNew.input);
      return { events: [], continueAs: { input, carried: replayed.unconsumedEvents.map((e) => ({ ...e, IsPlayed: false })) } };
    }
    const output = state.output === undefined ? null : JSON.stringify(state.output);
    this.#status = 'Completed';
    this.#output = parseJsonText(output);
    return { events: [...replayed.newEvents, events.executionCompleted(at, replayed.nextId, OrchestrationStatus.Completed, output)] };
  }

  #replay(history: HistoryEvent[], actions: Action[], now: number): ReplayResult {
    const replayed = replay(
      {
        instanceId: this.instanceId,
        executionId: this.#executionId,
        now,
        defaultHttpAsyncRequestSleepTimeMilliseconds: SETTINGS.defaultHttpAsyncRequestSleepTimeMillseconds,
      },
      history,
      actions,
    );
    this.#warnings.push(...replayed.warnings);
    for (const e of replayed.newEvents) {
      if (e.EventType === EventType.TaskScheduled)
        this.#activityCalls.push({ id: e.EventId, name: e.Name ?? '', input: scheduledInput(e) });
    }
    this.#actions = actions;
    this.#waiting = replayed.waiting;
    this.#canceledTimers = new Set(replayed.canceledTimerIds);
    return replayed;
  }
}

/** Starts an orchestration the app registered (import the app after this module) and runs its first episode. */
export const startOrchestration = (options: StartOrchestrationOptions): Promise<OrchestrationRun> => OrchestrationRun.start(options);
