// Helpers shared by the durable conformance suites: the Durable HTTP API, the <Hub>History table as a user
// (or Durable Functions Monitor) would read it, and a compact notation for comparing histories.
import { TableClient } from '@azure/data-tables';
import { expect } from 'vitest';
import type { TestHost } from '../../../src/testing.js';

export type Status = {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
};

export const WEBHOOK = '/runtime/webhooks/durabletask';

export const jsonInit = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: body === undefined ? undefined : JSON.stringify(body),
});

export function durableApi(host: TestHost) {
  const api = (path: string, init?: RequestInit) => host.fetch(`${WEBHOOK}/${path}`, init);
  return {
    api,
    /** Starts through the public HTTP API (POST orchestrators/{name}/{id}). */
    async start(name: string, id: string, input?: unknown): Promise<string> {
      const res = await api(`orchestrators/${name}/${id}`, jsonInit('POST', input));
      expect(res.status, await res.clone().text()).toBe(202);
      return ((await res.json()) as { id: string }).id;
    },
    async status(id: string, query = ''): Promise<Status> {
      const res = await api(`instances/${id}${query}`);
      expect([200, 202], await res.clone().text()).toContain(res.status);
      return (await res.json()) as Status;
    },
    async raise(id: string, event: string, data: unknown): Promise<void> {
      const res = await api(`instances/${id}/raiseEvent/${event}`, jsonInit('POST', data));
      expect(res.status, await res.clone().text()).toBe(202);
    },
    /** An operation of the app's durable client (fixture route `client/{op}/{id?}`). */
    async client(op: string, id: string | undefined, body: unknown = {}): Promise<unknown> {
      const res = await host.fetch(`/api/client/${op}${id ? `/${id}` : ''}`, jsonInit('POST', body));
      const json = (await res.json()) as { ok?: boolean; result?: unknown; error?: string };
      expect(json, JSON.stringify(json)).toMatchObject({ ok: true });
      return json.result;
    },
  };
}

/** Polls the status API until `done` holds (for work the host does on the real clock, e.g. a real HTTP call). */
export async function waitForStatus(host: TestHost, id: string, done: (s: Status) => boolean, timeoutMs = 20_000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await host.fetch(`${WEBHOOK}/instances/${id}`);
    if (res.status === 200 || res.status === 202) {
      const s = (await res.json()) as Status;
      if (done(s)) return s;
      if (Date.now() > deadline) throw new Error(`instance ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(s)}`);
    } else if (Date.now() > deadline) throw new Error(`instance ${id}: status ${res.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface HistoryRow {
  RowKey: string;
  EventType: string;
  EventId: number;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: Date;
  Timestamp: Date;
  Name?: string;
  Input?: string;
  Result?: string;
  Reason?: string;
  InstanceId?: string;
  OrchestrationStatus?: string;
  ExecutionId: string;
}

/** The current execution's rows of `<hub>History` for an instance, ordered by RowKey (the sequence number). */
export async function historyRows(host: TestHost, hub: string, instanceId: string): Promise<HistoryRow[]> {
  const table = TableClient.fromConnectionString(host.storage, `${hub}History`, { allowInsecureConnection: true });
  const rows: Record<string, unknown>[] = [];
  let sentinel: Record<string, unknown> | undefined;
  for await (const e of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${instanceId.replace(/'/g, "''")}'` } })) {
    if (e.rowKey === 'sentinel') sentinel = e;
    else rows.push(e);
  }
  expect(sentinel, `no sentinel row for ${instanceId}`).toBeDefined();
  return rows
    .filter((r) => r.ExecutionId === sentinel!.ExecutionId)
    .sort((a, b) => String(a.rowKey).localeCompare(String(b.rowKey)))
    .map((r) => ({
      ...(r as object),
      RowKey: String(r.rowKey),
      EventType: String(r.EventType),
      EventId: Number(r.EventId),
      Timestamp: r._Timestamp as Date,
    })) as HistoryRow[];
}

const SCHEDULING = new Set([
  'TaskScheduled',
  'TimerCreated',
  'SubOrchestrationInstanceCreated',
  'EventSent',
  'ExecutionCompleted',
  'ContinueAsNew',
]);

/**
 * One history row in the notation the suites compare with: `Type#EventId` for events that carry a task id
 * (scheduling events and ExecutionCompleted), `Type@TaskScheduledId` / `TimerFired@TimerId` for completions,
 * and the bare type for everything else — whose EventId must be -1 (checked here, so `Type` means `EventId: -1`).
 */
export function notation(row: HistoryRow): string {
  if (SCHEDULING.has(row.EventType)) return `${row.EventType}#${row.EventId}`;
  if (row.EventId !== -1) return `${row.EventType}(EventId ${row.EventId}!)`;
  if (row.EventType === 'TimerFired') return `TimerFired@${row.TimerId}`;
  if (row.TaskScheduledId !== undefined && row.TaskScheduledId !== null) return `${row.EventType}@${row.TaskScheduledId}`;
  return row.EventType;
}

export async function historyNotation(host: TestHost, hub: string, instanceId: string): Promise<string[]> {
  return (await historyRows(host, hub, instanceId)).map(notation);
}

/** Splits a notation list into episodes (each from OrchestratorStarted to OrchestratorCompleted). */
export function episodes(list: string[]): string[][] {
  const out: string[][] = [];
  for (const e of list) {
    if (e === 'OrchestratorStarted') out.push([]);
    out[out.length - 1]!.push(e);
  }
  return out;
}
