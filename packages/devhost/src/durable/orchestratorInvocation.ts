/**
 * One episode of an orchestrator as the Durable extension runs it out of process: the trigger's input it
 * sends, and how it reads back the SDK shim's answer — its state, or the failure it threw. The engine's
 * runner and the in-process test driver both go through here.
 */
import type { RegisteredFunction } from '../coreTypes.js';
import type { Invoker } from '../invoker.js';
import type { HistoryEvent } from './history.js';
import type { Action } from './replay.js';
import { parseJsonText, returnedValue, type EngineServices } from './services.js';

/** What the SDK's orchestrator shim returns for an episode (or carries in the error it throws). */
export interface OrchestratorState {
  isDone: boolean;
  actions?: Action[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

const OUT_OF_PROC_LABEL = '$OutOfProcData$:';

/** The orchestration trigger's input as the Durable extension sends it to an out-of-process worker. */
export const orchestratorPayload = (
  history: HistoryEvent[],
  start: HistoryEvent,
  instanceId: string,
  settings: EngineServices['settings'],
) => ({
  history,
  input: parseJsonText(start.Input),
  instanceId,
  isReplaying: start.IsPlayed,
  parentInstanceId: start.ParentInstance?.OrchestrationInstance.InstanceId ?? null,
  upperSchemaVersion: 1,
  upperSchemaVersionNew: 2,
  ...settings,
});

/** History events as the elements of a JSON array (no brackets). */
export const eventsJson = (events: HistoryEvent[]) => events.map((e) => JSON.stringify(e)).join(',');

/**
 * `orchestratorPayload` as JSON text, the first events of `history` given already serialized (`played`: the
 * committed history, which is the same every episode).
 */
export function orchestratorPayloadText(
  history: HistoryEvent[],
  start: HistoryEvent,
  instanceId: string,
  settings: EngineServices['settings'],
  played?: { count: number; json: string },
): string {
  const { history: _history, ...rest } = orchestratorPayload([], start, instanceId, settings);
  const fresh = eventsJson(history.slice(played?.count ?? 0));
  const elements = played?.json && fresh ? `${played.json},${fresh}` : played?.json || fresh;
  // `rest` always has members, so its text after the opening brace continues the object.
  return `{"history":[${elements}],${JSON.stringify(rest).slice(1)}`;
}

/**
 * Runs one episode of an orchestrator through the SDK's shim: its state, or the failure it threw — with the
 * state the shim carries in the error when the orchestrator itself failed (its actions so far, custom status).
 */
export async function invokeOrchestrator(
  invoker: Invoker,
  target: { fn: RegisteredFunction; triggerName: string },
  payload: object | string,
): Promise<{ ok: true; state: OrchestratorState } | { ok: false; message: string; state?: OrchestratorState }> {
  const result = await invoker.invoke(target.fn, {
    inputData: [{ name: target.triggerName, data: { string: typeof payload === 'string' ? payload : JSON.stringify(payload) } }],
  });
  if (result.ok) {
    const state = returnedValue(result.response.returnValue) as OrchestratorState | string;
    return { ok: true, state: typeof state === 'string' ? (JSON.parse(state) as OrchestratorState) : state };
  }
  const message = result.error.message;
  const i = message.indexOf(OUT_OF_PROC_LABEL);
  if (i < 0) return { ok: false, message };
  const state = JSON.parse(message.slice(i + OUT_OF_PROC_LABEL.length)) as OrchestratorState;
  return { ok: false, message: state.error ?? message, state };
}
