import { EVENT_TYPE_NAMES, EventType, STATUS_NAMES, type HistoryEvent } from './history.js';
import { parseJsonText } from './services.js';
import type { InstanceRecord } from './taskHubStore.js';

/** Times in status payloads: .NET `ToString("s") + "Z"`, to the second. */
export const statusTime = (iso: string) => `${iso.slice(0, 19)}Z`;

export interface StatusOptions {
  showInput: boolean;
  showHistory: boolean;
  showHistoryOutput: boolean;
}

/**
 * `historyEvents` as DurableClient.GetDurableOrchestrationStatusAsync shapes them: names not numbers,
 * scheduling rows folded into their completions (FunctionName, ScheduledTime, Input), ids dropped.
 */
export function historyForStatus(history: HistoryEvent[], opts: StatusOptions): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  const out: Record<string, unknown>[] = [];
  for (const e of history) {
    const type = e.EventType;
    if (type === EventType.OrchestratorStarted || type === EventType.OrchestratorCompleted) continue;
    if (type === EventType.TaskScheduled || type === EventType.SubOrchestrationInstanceCreated) {
      scheduled.set(e.EventId, e);
      continue;
    }
    const row: Record<string, unknown> = { EventType: EVENT_TYPE_NAMES[type] };
    if (type === EventType.ExecutionStarted) {
      row.FunctionName = e.Name;
      if (opts.showInput) row.Input = parseJsonText(e.Input);
    } else if (
      type === EventType.TaskCompleted ||
      type === EventType.TaskFailed ||
      type === EventType.SubOrchestrationInstanceCompleted ||
      type === EventType.SubOrchestrationInstanceFailed
    ) {
      const s = scheduled.get(e.TaskScheduledId!);
      row.FunctionName = s?.Name;
      row.ScheduledTime = s?.Timestamp;
      if (opts.showInput && s) row.Input = parseJsonText(s.Input);
      if (opts.showHistoryOutput && e.Result !== undefined) row.Result = parseJsonText(e.Result);
      if (e.Reason) row.Reason = e.Reason;
      if (e.Details) row.Details = e.Details;
    } else if (type === EventType.ExecutionCompleted || type === EventType.ContinueAsNew) {
      row.OrchestrationStatus = STATUS_NAMES[e.OrchestrationStatus ?? 1];
      if (opts.showHistoryOutput) row.Result = parseJsonText(e.Result);
    } else {
      for (const k of ['Name', 'FireAt', 'Reason', 'InstanceId'] as const) if (e[k] !== undefined && e[k] !== null) row[k] = e[k];
      if (opts.showInput && e.Input !== undefined) row.Input = parseJsonText(e.Input);
    }
    row.Timestamp = e.Timestamp;
    out.push(row);
  }
  return out;
}

export function statusPayload(r: InstanceRecord, opts: StatusOptions, history?: HistoryEvent[]): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: r.name,
    instanceId: r.instanceId,
    runtimeStatus: r.runtimeStatus,
    input: opts.showInput ? parseJsonText(r.input) : null,
    customStatus: parseJsonText(r.customStatus),
    output: parseJsonText(r.output),
    createdTime: statusTime(r.createdTime),
    lastUpdatedTime: statusTime(r.lastUpdatedTime),
  };
  if (history) body.historyEvents = historyForStatus(history, opts);
  return body;
}
