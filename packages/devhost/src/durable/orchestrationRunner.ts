import { EventType, events, isoTime, OrchestrationStatus, type HistoryEvent, type ParentInstance, type RuntimeStatus } from './history.js';
import { stableGuid } from './ids.js';
import { ActionType, replay, ReplayError, type Action } from './replay.js';
import type { EngineServices } from './services.js';
import { InstanceRowWriter } from './instanceRows.js';
import { eventsJson, invokeOrchestrator, orchestratorPayloadText, type OrchestratorState } from './orchestratorInvocation.js';
import { pendingInstance, type InstanceRecord, type StoredHistory, type TaskMessage } from './taskHubStore.js';

const COMPLETIONS = new Map<number, 'TaskScheduledId' | 'TimerId'>([
  [EventType.TaskCompleted, 'TaskScheduledId'],
  [EventType.TaskFailed, 'TaskScheduledId'],
  [EventType.SubOrchestrationInstanceCompleted, 'TaskScheduledId'],
  [EventType.SubOrchestrationInstanceFailed, 'TaskScheduledId'],
  [EventType.TimerFired, 'TimerId'],
]);

/** Scheduling events, keyed like COMPLETIONS' ids ('c' tasks and sub-orchestrations, 't' timers). */
const SCHEDULED_KIND = new Map<number, 'c' | 't'>([
  [EventType.TaskScheduled, 'c'],
  [EventType.SubOrchestrationInstanceCreated, 'c'],
  [EventType.TimerCreated, 't'],
]);

/**
 * A sequence writes its Instances row once per step, each write only moving LastUpdatedTime: one storage
 * request in four of a step. Written at most this often, the row lags by as much, and status changes go out
 * at once.
 */
const ROW_REFRESH_MS = 100;

/** Messages a checkpoint sends at once (a fan-out of thousands is not sent one by one). */
const OUTBOUND_CONCURRENCY = 32;

async function runLimited(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** Where an instance stands, read off its history. */
export function statusFromHistory(history: HistoryEvent[]): RuntimeStatus {
  let status: RuntimeStatus = history.some((e) => e.EventType === EventType.ExecutionStarted) ? 'Running' : 'Pending';
  for (const e of history) {
    if (e.EventType === EventType.ExecutionSuspended) status = 'Suspended';
    if (e.EventType === EventType.ExecutionResumed && status === 'Suspended') status = 'Running';
    if (e.EventType === EventType.ExecutionCompleted) {
      const s = Object.entries(OrchestrationStatus).find(([, v]) => v === e.OrchestrationStatus)?.[0] as RuntimeStatus | undefined;
      status = s ?? 'Completed';
    }
    if (e.EventType === EventType.ExecutionTerminated) status = 'Terminated';
  }
  return status;
}

const TERMINAL = new Set<RuntimeStatus>(['Completed', 'Failed', 'Terminated', 'Canceled']);
export const isTerminal = (s: RuntimeStatus) => TERMINAL.has(s);

/** Timers an execution created that have not fired (a Task.any the timer lost, without cancel()). */
export function pendingTimerIds(history: HistoryEvent[]): number[] {
  const fired = new Set(history.filter((e) => e.EventType === EventType.TimerFired).map((e) => e.TimerId));
  return history.filter((e) => e.EventType === EventType.TimerCreated && !fired.has(e.EventId)).map((e) => e.EventId);
}

/**
 * The Instances row of an instance whose start message came before (or without) its row: a DTFx client
 * writes the row after sending the start, and a DTFx worker starts sub-orchestrations by message alone,
 * leaving the row to the instance's first checkpoint.
 */
function startedBy(instanceId: string, messages: TaskMessage[]): InstanceRecord | undefined {
  const start = messages.find((m) => m.event.EventType === EventType.ExecutionStarted);
  if (!start) return undefined;
  const e = start.event;
  const at = new Date(e.Timestamp).toISOString();
  const parent = e.ParentInstance?.OrchestrationInstance.InstanceId ?? null;
  return pendingInstance(instanceId, e.Name ?? '', e.Input ?? null, start.executionId, at, parent);
}

/**
 * 'done': delete every message; 'defer': put them all back for later; `deferred`: delete all but these
 * (by message id), which arrived out of order and go back to the queue.
 */
export type EpisodeOutcome = 'done' | 'defer' | { deferred: Set<string> };

/**
 * What an episode came to once its history is committed, and the Instances row write it left under way
 * (settled when the row is written; rejected if the write failed). The messages it consumed are deleted
 * only after `rowWritten`: until then they are the record that the row is owed.
 */
export interface EpisodeResult {
  outcome: EpisodeOutcome;
  rowWritten: Promise<void>;
}

const NOTHING_OWED = Promise.resolve();

interface Incoming {
  event: HistoryEvent;
  messageId: string;
}

/**
 * One orchestration work item: apply the instance's new messages to its history, run the orchestrator
 * through the SDK, derive the new tasks, and checkpoint in the Azure Storage provider's order — send new
 * messages, write history (the sentinel is the commit point), update the Instances row. The caller deletes
 * the messages afterwards. Redelivered messages are recognised by message id or by the task they complete.
 *
 * The Instances row is written behind the episode: once history is committed the instance's next episode
 * may start, so a sequential orchestration's step waits for two storage requests (work item, history), not
 * four. Row writes of one instance go out in order, each after the last has settled, and a step's write that
 * only moves LastUpdatedTime is joined with the next ones' (InstanceRowWriter).
 */
export class OrchestrationRunner {
  /** History kept between episodes; the sentinel ETag still guards every write. */
  #cache = new Map<string, StoredHistory>();

  /** `rowRefreshMs`: how long a row write that only moves LastUpdatedTime may wait to be joined by the next ones. */
  constructor(
    private readonly s: EngineServices,
    rowRefreshMs = ROW_REFRESH_MS,
  ) {
    this.#rows = new InstanceRowWriter((record) => s.store.putInstance(record), rowRefreshMs);
  }

  /** Instances rows as last written (or being written) by us; the client drops an entry whenever it writes the row itself. */
  #instances = new Map<string, InstanceRecord>();

  #rows: InstanceRowWriter;

  cachedInstance(instanceId: string): InstanceRecord | undefined {
    return this.#instances.get(instanceId);
  }

  /** Row writes waiting to be joined go out now (DurableEngine.poke: someone waits for idle). */
  flushRows(): void {
    this.#rows.flushWaiting();
  }

  forget(instanceId: string): void {
    this.#cache.delete(instanceId);
    this.#instances.delete(instanceId);
    this.#rows.drop(instanceId);
  }

  async process(instanceId: string, messages: TaskMessage[]): Promise<EpisodeResult> {
    const { store, logger } = this.s;
    const instance = this.#instances.get(instanceId) ?? (await store.getInstance(instanceId)) ?? startedBy(instanceId, messages);
    if (!instance) {
      logger.warn(`dropping ${messages.length} message(s) for unknown instance '${instanceId}' (purged?)`, { functionName: undefined });
      return { outcome: 'done', rowWritten: NOTHING_OWED };
    }
    let stored = this.#cache.get(instanceId);
    if (!stored) stored = await store.loadHistory(instanceId);

    let history = stored.events;
    let executionId = stored.executionId;
    let started: HistoryEvent | undefined;
    const incoming: Incoming[] = [];
    const completed = new Set(
      history
        .filter((e) => COMPLETIONS.has(e.EventType))
        .map((e) => `${e.EventType === EventType.TimerFired ? 't' : 'c'}${e[COMPLETIONS.get(e.EventType)!]}`),
    );
    let scheduled = new Set(
      history.filter((e) => SCHEDULED_KIND.has(e.EventType)).map((e) => `${SCHEDULED_KIND.get(e.EventType)}${e.EventId}`),
    );
    // Completions whose scheduling event is not committed yet: a host sent the task, then died before its
    // checkpoint, and the task finished meanwhile. As DTFx does (IsOutOfOrderMessage), they wait in the queue
    // until the redone episode has committed the scheduling event, so history stays in causal order.
    const deferred = new Set<string>();
    const finish = (rowWritten: Promise<void>): EpisodeResult => ({
      outcome: deferred.size > 0 ? { deferred } : 'done',
      rowWritten,
    });
    const seen = new Set(stored.messageIds);
    const ordered = [...messages].sort(
      (a, b) => Number(b.event.EventType === EventType.ExecutionStarted) - Number(a.event.EventType === EventType.ExecutionStarted),
    );
    for (const m of ordered) {
      if (seen.has(m.messageId)) continue;
      seen.add(m.messageId);
      const type = m.event.EventType;
      if (type === EventType.ExecutionStarted) {
        if (m.executionId === executionId) continue;
        if (history.length > 0 && !isTerminal(statusFromHistory(history))) {
          logger.warn(`instance '${instanceId}' is already running; ignoring a second start`);
          continue;
        }
        started = { ...m.event, IsPlayed: false };
        executionId = m.executionId;
        history = [];
        completed.clear();
        scheduled = new Set();
        continue;
      }
      if (COMPLETIONS.has(type)) {
        if (m.executionId && executionId && m.executionId !== executionId) continue;
        const key = `${type === EventType.TimerFired ? 't' : 'c'}${m.event[COMPLETIONS.get(type)!]}`;
        if (completed.has(key)) continue;
        if (!scheduled.has(key)) {
          deferred.add(m.messageId);
          continue;
        }
        completed.add(key);
      }
      incoming.push({ event: { ...m.event, IsPlayed: false }, messageId: m.messageId });
    }
    if (!started && history.length === 0) {
      // Messages that overtook the instance's start (or its start is being retried): try again shortly.
      return { outcome: incoming.length > 0 || deferred.size > 0 ? 'defer' : 'done', rowWritten: NOTHING_OWED };
    }
    if (!started && isTerminal(statusFromHistory(history))) {
      if (incoming.length) logger.debug(`instance '${instanceId}' has ended; ${incoming.length} late message(s) dropped`);
      return { outcome: 'done', rowWritten: this.#syncInstance(instance, history, undefined) };
    }
    if (!started && incoming.length === 0) return finish(this.#syncInstance(instance, history, undefined));
    return finish((await this.#episode(instance, stored, history, executionId!, started, incoming)).rowWritten);
  }

  async #episode(
    instance: InstanceRecord,
    stored: StoredHistory,
    history: HistoryEvent[],
    executionId: string,
    started: HistoryEvent | undefined,
    incoming: Incoming[],
    inherited: string[] = [],
  ): Promise<{ rowWritten: Promise<void> }> {
    const now = this.s.clock.now();
    const at = isoTime(now);
    const from = started ? 0 : history.length;
    const appended: Incoming[] = [{ event: events.orchestratorStarted(at), messageId: '' }];
    if (started) appended.push({ event: started, messageId: '' });
    appended.push(...incoming);
    let full = [...history, ...appended.map((a) => a.event)];
    // `history` is the committed one (or a new execution's nothing): its JSON is kept between episodes.
    const played = { count: history.length, json: (history === stored.events ? stored.json : undefined) ?? eventsJson(history) };
    let customStatus: string | null | undefined;
    const outbound: (() => Promise<void>)[] = [];
    const afterCommit: (() => void)[] = [];

    const status = statusFromHistory(full);
    if (status === 'Terminated') {
      const reason = incoming.find((i) => i.event.EventType === EventType.ExecutionTerminated)?.event.Input ?? null;
      const end = events.executionCompleted(at, -1, OrchestrationStatus.Terminated, reason);
      appended.push({ event: end, messageId: '' });
      full = [...full, end];
      this.#notifyParent(full, executionId, false, `Orchestration terminated: ${reason ?? ''}`, outbound);
    } else if (status !== 'Suspended') {
      const result = await this.#runOrchestrator(instance.instanceId, executionId, full, now, played);
      customStatus = result.customStatus;
      if (result.continueAs) {
        // DTFx starts the next execution in the same work item; the finished one's history is not kept.
        await runLimited(result.outbound, OUTBOUND_CONCURRENCY);
        // Its timers that have not fired go too: the next execution numbers its tasks from 0 again, and a
        // leftover timer with the same id must not stand in for (or block) the new execution's timer.
        for (const id of pendingTimerIds(full)) this.s.timers.cancel(instance.instanceId, executionId, id);
        const { executionId: next, started: nextStart, carried } = result.continueAs;
        // The messages this episode consumed are deleted only after the next execution commits: it must
        // remember their ids, or one redelivered after a crash would be applied to it again.
        const consumed = [
          ...inherited,
          ...appended.filter((a) => a.messageId && !COMPLETIONS.has(a.event.EventType)).map((a) => a.messageId),
        ];
        return this.#episode(
          instance,
          stored,
          [],
          next,
          nextStart,
          carried.map((event) => ({ event, messageId: '' })),
          consumed,
        );
      }
      appended.push(...result.events.map((event) => ({ event, messageId: '' })));
      full = [...full, ...result.events];
      outbound.push(...result.outbound);
      afterCommit.push(...result.afterCommit);
    }
    const completedEvent = events.orchestratorCompleted(at);
    appended.push({ event: completedEvent, messageId: '' });
    full.push(completedEvent);
    if (isTerminal(statusFromHistory(full))) {
      // An ended execution waits for nothing: drop the timers it left (a restart may reuse the instance id).
      const leftover = pendingTimerIds(full);
      afterCommit.push(() => leftover.forEach((id) => this.s.timers.cancel(instance.instanceId, executionId, id)));
    }

    await runLimited(outbound, OUTBOUND_CONCURRENCY);
    const etag = await this.s.store.commitHistory(
      instance.instanceId,
      executionId,
      from,
      appended.map((a, i) => ({
        event: a.event,
        messageId: a.messageId || undefined,
        inheritedMessageIds: i === 0 ? inherited : undefined,
      })),
      stored.etag,
    );
    const messageIds = new Set(started ? inherited : stored.messageIds);
    for (const a of appended) if (a.messageId) messageIds.add(a.messageId);
    // The appended events are ours alone (fresh objects), so they are marked played in place, not copied.
    for (const a of appended) a.event.IsPlayed = true;
    const added = eventsJson(full.slice(played.count));
    const json = played.json && added ? `${played.json},${added}` : played.json || added;
    this.#cache.set(instance.instanceId, { events: full, json, messageIds, executionId, etag });
    const rowWritten = this.#syncInstance(instance, full, customStatus, executionId);
    for (const run of afterCommit) run();
    // Wrapped: an async function's returned promise would be awaited along with the episode.
    return { rowWritten };
  }

  /**
   * Keeps the Instances row in step with history (also repairs it after a crash between the two writes).
   * The record is ours at once, for the next episode and for clients; the write goes out after any earlier
   * one of the same instance, so the row never steps back (InstanceRowWriter). Resolves once a write carrying
   * this record, or a newer one, has gone through.
   */
  #syncInstance(
    instance: InstanceRecord,
    history: HistoryEvent[],
    customStatus: string | null | undefined,
    executionId?: string,
  ): Promise<void> {
    const status = statusFromHistory(history);
    const start = history.find((e) => e.EventType === EventType.ExecutionStarted);
    const end = history.findLast((e) => e.EventType === EventType.ExecutionCompleted);
    const now = isoTime(this.s.clock.now());
    const next: InstanceRecord = {
      ...instance,
      name: start?.Name ?? instance.name,
      input: start ? (start.Input ?? null) : instance.input,
      runtimeStatus: status,
      output: end ? (end.Result ?? null) : status === 'Running' || status === 'Suspended' ? null : instance.output,
      customStatus: customStatus === undefined ? instance.customStatus : customStatus,
      executionId: executionId ?? instance.executionId,
      completedTime: isTerminal(status)
        ? instance.completedTime && instance.runtimeStatus === status
          ? instance.completedTime
          : now
        : null,
      lastUpdatedTime: now,
      parentInstanceId: start?.ParentInstance?.OrchestrationInstance.InstanceId ?? instance.parentInstanceId,
    };
    const unchanged = (['runtimeStatus', 'output', 'customStatus', 'executionId', 'input', 'name'] as const).every(
      (k) => next[k] === instance[k],
    );
    const id = instance.instanceId;
    if (unchanged && customStatus === undefined) {
      this.#instances.set(id, instance);
      return this.#rows.settled(id) ?? NOTHING_OWED;
    }
    this.#instances.set(id, next);
    return this.#rows.write(next, !unchanged);
  }

  #notifyParent(
    history: HistoryEvent[],
    executionId: string,
    ok: boolean,
    resultOrReason: string | null,
    outbound: (() => Promise<void>)[],
  ): void {
    const start = history.find((e) => e.EventType === EventType.ExecutionStarted);
    const parent = start?.ParentInstance as ParentInstance | null | undefined;
    if (!parent) return;
    const self = start!.OrchestrationInstance!.InstanceId;
    const at = isoTime(this.s.clock.now());
    const event = ok
      ? events.subOrchestrationCompleted(at, parent.TaskScheduleId, resultOrReason)
      : events.subOrchestrationFailed(at, parent.TaskScheduleId, resultOrReason ?? 'failed', JSON.stringify({ Message: resultOrReason }));
    outbound.push(() =>
      this.s.sendToInstance(
        parent.OrchestrationInstance.InstanceId,
        parent.OrchestrationInstance.ExecutionId,
        event,
        stableGuid(self, executionId, 'completion'),
      ),
    );
  }

  async #runOrchestrator(
    instanceId: string,
    executionId: string,
    history: HistoryEvent[],
    now: number,
    played: { count: number; json: string },
  ) {
    const at = isoTime(now);
    const start = history.find((e) => e.EventType === EventType.ExecutionStarted)!;
    const name = start.Name ?? '';
    const out = {
      events: [] as HistoryEvent[],
      outbound: [] as (() => Promise<void>)[],
      afterCommit: [] as (() => void)[],
      customStatus: undefined as string | null | undefined,
      continueAs: undefined as { executionId: string; started: HistoryEvent; carried: HistoryEvent[] } | undefined,
    };
    const fail = (message: string, actions: Action[]) => {
      let nextId = -1;
      try {
        nextId = this.#schedule(instanceId, executionId, name, history, actions, now, out).nextId;
      } catch (error) {
        if (!(error instanceof ReplayError)) throw error;
      }
      const reason = `Orchestrator function '${name}' failed: ${message}`;
      out.events.push(events.executionCompleted(at, nextId, OrchestrationStatus.Failed, reason));
      this.#notifyParent(history, executionId, false, reason, out.outbound);
      this.s.logger.error(reason, { functionName: name });
      return out;
    };
    const target = this.s.findFunction('orchestrationTrigger', name);
    if (!target) return fail(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`, []);
    const payload = orchestratorPayloadText(history, start, instanceId, this.s.settings, played);
    const answer = await invokeOrchestrator(this.s.invoker, target, payload);
    const customStatus = (s: OrchestratorState) => (s.customStatus === undefined ? null : JSON.stringify(s.customStatus));
    if (!answer.ok) {
      if (answer.state) out.customStatus = customStatus(answer.state);
      return fail(answer.message, answer.state?.actions?.[0] ?? []);
    }
    const state = answer.state;
    out.customStatus = customStatus(state);
    const actions = state.actions?.[0] ?? [];
    let replayed;
    try {
      replayed = this.#schedule(instanceId, executionId, name, history, actions, now, out);
    } catch (error) {
      if (error instanceof ReplayError) return fail(error.message, []);
      throw error;
    }
    if (!state.isDone) return out;
    const continueAsNew = actions.find((a) => a.actionType === ActionType.ContinueAsNew);
    if (continueAsNew) {
      const input = continueAsNew.input === undefined ? null : JSON.stringify(continueAsNew.input);
      const nextExecution = stableGuid(instanceId, executionId, 'continued');
      out.continueAs = {
        executionId: nextExecution,
        started: events.executionStarted(at, {
          name,
          instance: { InstanceId: instanceId, ExecutionId: nextExecution },
          input,
          parent: start.ParentInstance ?? null,
        }),
        carried: replayed.unconsumedEvents.map((e) => ({ ...e, IsPlayed: false })),
      };
      return out;
    }
    const output = state.output === undefined ? null : JSON.stringify(state.output);
    out.events.push(events.executionCompleted(at, replayed.nextId, OrchestrationStatus.Completed, output));
    this.#notifyParent(history, executionId, true, output, out.outbound);
    return out;
  }

  /** Replays, and turns each new scheduling event into the message or timer it stands for. */
  #schedule(
    instanceId: string,
    executionId: string,
    name: string,
    history: HistoryEvent[],
    actions: Action[],
    now: number,
    out: { events: HistoryEvent[]; outbound: (() => Promise<void>)[]; afterCommit: (() => void)[] },
  ) {
    const replayed = replay(
      {
        instanceId,
        executionId,
        now,
        defaultHttpAsyncRequestSleepTimeMilliseconds: this.s.settings.defaultHttpAsyncRequestSleepTimeMillseconds,
      },
      history,
      actions,
    );
    for (const w of replayed.warnings) this.s.logger.warn(`${instanceId}: ${w}`, { functionName: name });
    const at = isoTime(now);
    for (const e of replayed.newEvents) {
      out.events.push(e);
      switch (e.EventType) {
        case EventType.TaskScheduled:
          out.outbound.push(() => this.s.sendWorkItem(instanceId, executionId, e, stableGuid(instanceId, executionId, 'task', e.EventId)));
          break;
        case EventType.TimerCreated:
          out.afterCommit.push(() => this.s.timers.schedule(instanceId, executionId, e.EventId, e.FireAt!));
          break;
        case EventType.SubOrchestrationInstanceCreated: {
          const childId = e.InstanceId!;
          const childExecution = stableGuid(childId, instanceId, executionId, e.EventId);
          const parent: ParentInstance = {
            Name: name,
            Version: '',
            TaskScheduleId: e.EventId,
            OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
          };
          const startEvent = events.executionStarted(at, {
            name: e.Name ?? '',
            instance: { InstanceId: childId, ExecutionId: childExecution },
            input: e.Input ?? null,
            parent,
          });
          out.outbound.push(async () => {
            const existing = await this.s.store.getInstance(childId);
            if (existing && !isTerminal(existing.runtimeStatus) && existing.parentInstanceId !== instanceId) {
              const reason = `An orchestration with instance id '${childId}' is already running`;
              await this.s.sendToInstance(
                instanceId,
                executionId,
                events.subOrchestrationFailed(at, e.EventId, reason, '{}'),
                stableGuid(instanceId, executionId, 'sub-conflict', e.EventId),
              );
              return;
            }
            if (!existing || existing.executionId !== childExecution) {
              await this.s.store.putInstance(pendingInstance(childId, e.Name ?? '', e.Input ?? null, childExecution, at, instanceId));
              this.forget(childId);
            }
            await this.s.sendToInstance(childId, childExecution, startEvent, stableGuid(childId, childExecution, 'start'));
          });
          break;
        }
        case EventType.EventSent: {
          const request = JSON.parse(e.Input ?? '{}') as { id: string };
          const event = events.eventRaised(at, e.Name ?? '', e.Input ?? null);
          out.outbound.push(() => this.s.sendToInstance(e.InstanceId!, '', event, request.id));
          break;
        }
      }
    }
    for (const id of replayed.canceledTimerIds) out.afterCommit.push(() => this.s.timers.cancel(instanceId, executionId, id));
    return replayed;
  }
}
