import type { Clock } from '../clock.js';
import type { RegisteredFunction, RpcTypedData } from '../coreTypes.js';
import type { Invoker } from '../invoker.js';
import type { Logger } from '../log.js';
import type { HistoryEvent } from './history.js';
import type { TaskHubStore } from './taskHubStore.js';

/** What the orchestration, activity and entity runners share: storage, sending, functions, time. */
export interface EngineServices {
  store: TaskHubStore;
  clock: Clock;
  invoker: Invoker;
  logger: Logger;
  /** The registered function of a kind, by name (case-insensitive, as Functions names are). */
  findFunction(
    kind: 'orchestrationTrigger' | 'activityTrigger' | 'entityTrigger',
    name: string,
  ): { fn: RegisteredFunction; triggerName: string } | undefined;
  /** Sends an event to an instance's control queue and wakes the dispatcher. */
  sendToInstance(instanceId: string, executionId: string, event: HistoryEvent, messageId: string): Promise<void>;
  /** Sends an activity work item and wakes the activity pump. */
  sendWorkItem(instanceId: string, executionId: string, event: HistoryEvent, messageId: string): Promise<void>;
  timers: {
    schedule(instanceId: string, executionId: string, timerId: number, fireAt: string): void;
    cancel(instanceId: string, executionId: string, timerId: number): void;
  };
  settings: {
    maximumShortTimerDuration: string;
    longRunningTimerIntervalDuration: string;
    defaultHttpAsyncRequestSleepTimeMillseconds: number;
  };
}

/** The value an invocation returned, as the extension sees it. */
export function returnedValue(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json);
  if (data.int !== undefined && data.int !== null) return Number(data.int);
  if (data.double !== undefined && data.double !== null) return Number(data.double);
  if (data.bytes) return Buffer.from(data.bytes).toString('base64');
  return undefined;
}

/** A JSON text value as the SDK expects to find it: parsed, or the raw string when it is not JSON. */
export function parseJsonText(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
