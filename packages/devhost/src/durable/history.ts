/**
 * Durable Task history events, in the shape the durable-functions SDK reads (DTFx `HistoryEvent` classes
 * serialized with Newtonsoft defaults: integer `EventType`, PascalCase members, nulls kept).
 */

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export type EventTypeName = keyof typeof EventType;
export const EVENT_TYPE_NAMES = Object.fromEntries(Object.entries(EventType).map(([k, v]) => [v, k])) as Record<number, EventTypeName>;

export const OrchestrationStatus = {
  Running: 0,
  Completed: 1,
  ContinuedAsNew: 2,
  Failed: 3,
  Canceled: 4,
  Terminated: 5,
  Pending: 6,
  Suspended: 7,
} as const;
export type RuntimeStatus = keyof typeof OrchestrationStatus;
export const STATUS_NAMES = Object.fromEntries(Object.entries(OrchestrationStatus).map(([k, v]) => [v, k])) as Record<
  number,
  RuntimeStatus
>;

export interface OrchestrationInstance {
  InstanceId: string;
  ExecutionId: string;
}

export interface ParentInstance {
  Name: string | null;
  Version: string | null;
  TaskScheduleId: number;
  OrchestrationInstance: OrchestrationInstance;
}

/** One history event. Fields beyond the common four depend on `EventType` (see the reference, §2b). */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string | null;
  Version?: string | null;
  Input?: string | null;
  Result?: string | null;
  Reason?: string | null;
  Details?: string | null;
  FailureDetails?: unknown;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationStatus?: number;
  OrchestrationInstance?: OrchestrationInstance;
  ParentInstance?: ParentInstance | null;
  Tags?: Record<string, string> | null;
  Correlation?: string | null;
  ScheduledStartTime?: string | null;
  Generation?: number;
}

const base = (type: number, at: string, eventId = -1): HistoryEvent => ({
  EventType: type,
  EventId: eventId,
  IsPlayed: false,
  Timestamp: at,
});

export const events = {
  orchestratorStarted: (at: string) => base(EventType.OrchestratorStarted, at),
  orchestratorCompleted: (at: string) => base(EventType.OrchestratorCompleted, at),
  executionStarted: (
    at: string,
    o: { name: string; instance: OrchestrationInstance; input: string | null; parent: ParentInstance | null; version?: string | null },
  ) => ({
    ...base(EventType.ExecutionStarted, at),
    OrchestrationInstance: o.instance,
    ParentInstance: o.parent,
    Name: o.name,
    Version: o.version ?? '',
    Input: o.input,
    Tags: null,
    Correlation: null,
    ScheduledStartTime: null,
    Generation: 0,
  }),
  executionCompleted: (at: string, id: number, status: number, result: string | null) => ({
    ...base(EventType.ExecutionCompleted, at, id),
    OrchestrationStatus: status,
    Result: result,
    FailureDetails: null,
  }),
  continueAsNew: (at: string, id: number, result: string | null) => ({
    ...base(EventType.ContinueAsNew, at, id),
    OrchestrationStatus: OrchestrationStatus.ContinuedAsNew,
    Result: result,
    FailureDetails: null,
  }),
  executionTerminated: (at: string, reason: string | null) => ({ ...base(EventType.ExecutionTerminated, at), Input: reason }),
  executionSuspended: (at: string, reason: string | null) => ({ ...base(EventType.ExecutionSuspended, at), Reason: reason }),
  executionResumed: (at: string, reason: string | null) => ({ ...base(EventType.ExecutionResumed, at), Reason: reason }),
  taskScheduled: (at: string, id: number, name: string, input: string | null) => ({
    ...base(EventType.TaskScheduled, at, id),
    Name: name,
    Version: '',
    Input: input,
  }),
  taskCompleted: (at: string, scheduledId: number, result: string | null) => ({
    ...base(EventType.TaskCompleted, at),
    TaskScheduledId: scheduledId,
    Result: result,
  }),
  taskFailed: (at: string, scheduledId: number, reason: string, details: string) => ({
    ...base(EventType.TaskFailed, at),
    TaskScheduledId: scheduledId,
    Reason: reason,
    Details: details,
    FailureDetails: null,
  }),
  subOrchestrationCreated: (at: string, id: number, name: string, instanceId: string, input: string | null) => ({
    ...base(EventType.SubOrchestrationInstanceCreated, at, id),
    Name: name,
    Version: '',
    InstanceId: instanceId,
    Input: input,
  }),
  subOrchestrationCompleted: (at: string, scheduledId: number, result: string | null) => ({
    ...base(EventType.SubOrchestrationInstanceCompleted, at),
    TaskScheduledId: scheduledId,
    Result: result,
  }),
  subOrchestrationFailed: (at: string, scheduledId: number, reason: string, details: string) => ({
    ...base(EventType.SubOrchestrationInstanceFailed, at),
    TaskScheduledId: scheduledId,
    Reason: reason,
    Details: details,
    FailureDetails: null,
  }),
  timerCreated: (at: string, id: number, fireAt: string) => ({ ...base(EventType.TimerCreated, at, id), FireAt: fireAt }),
  timerFired: (at: string, timerId: number, fireAt: string) => ({ ...base(EventType.TimerFired, at), TimerId: timerId, FireAt: fireAt }),
  eventSent: (at: string, id: number, instanceId: string, name: string, input: string | null) => ({
    ...base(EventType.EventSent, at, id),
    InstanceId: instanceId,
    Name: name,
    Input: input,
  }),
  eventRaised: (at: string, name: string, input: string | null) => ({ ...base(EventType.EventRaised, at), Name: name, Input: input }),
} satisfies Record<string, (...args: never[]) => HistoryEvent>;

/** Times as .NET writes them in history: ISO 8601 UTC. */
export const isoTime = (ms: number) => new Date(ms).toISOString();

export const RUNTIME_STATUSES = Object.keys(OrchestrationStatus) as RuntimeStatus[];
