import { gunzipSync, gzipSync } from 'node:zlib';
import { TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import { EVENT_TYPE_NAMES, EventType, OrchestrationStatus, STATUS_NAMES, type HistoryEvent, type RuntimeStatus } from './history.js';
import { escapeKey, hubResourceNames, partitionOf, rowKeyOf, unescapeKey } from './names.js';
import type { StorageClients } from '../storage/connections.js';

/** Table string columns hold 64 KB; DTFx moves values over 60 KB of UTF-16 (its MaxTablePropertySizeInBytes) to blobs. */
const MAX_COLUMN_UTF16_BYTES = 60 * 1024;
/** Queue messages hold 64 KB (of UTF-8, not characters); DTFx compresses payloads over 45 KB into a blob. */
const MAX_MESSAGE_BYTES = 45 * 1024;
/** History columns that may spill into a blob, named by a `<Column>BlobName` column (DTFx VariableSizeEntityProperties). */
const HISTORY_BLOB_COLUMNS = ['Name', 'Input', 'Result', 'Output', 'Reason', 'Details', 'Correlation', 'FailureDetails', 'Tags'] as const;
/** Instances columns that may spill into a blob: the column then holds the blob's URL, as DTFx writes it. */
const INSTANCE_BLOB_COLUMNS = ['Input', 'Output', 'CustomStatus'] as const;
const JSON_COLUMNS = ['OrchestrationInstance', 'ParentInstance', 'Tags', 'FailureDetails', 'ParentTraceContext'] as const;
const DATE_COLUMNS = ['FireAt', 'ScheduledStartTime'] as const;

const EVENT_CLASS: Record<number, string> = {
  [EventType.ExecutionStarted]: 'ExecutionStartedEvent',
  [EventType.ExecutionCompleted]: 'ExecutionCompletedEvent',
  [EventType.ExecutionTerminated]: 'ExecutionTerminatedEvent',
  [EventType.TaskScheduled]: 'TaskScheduledEvent',
  [EventType.TaskCompleted]: 'TaskCompletedEvent',
  [EventType.TaskFailed]: 'TaskFailedEvent',
  [EventType.SubOrchestrationInstanceCreated]: 'SubOrchestrationInstanceCreatedEvent',
  [EventType.SubOrchestrationInstanceCompleted]: 'SubOrchestrationInstanceCompletedEvent',
  [EventType.SubOrchestrationInstanceFailed]: 'SubOrchestrationInstanceFailedEvent',
  [EventType.TimerCreated]: 'TimerCreatedEvent',
  [EventType.TimerFired]: 'TimerFiredEvent',
  [EventType.EventSent]: 'EventSentEvent',
  [EventType.EventRaised]: 'EventRaisedEvent',
  [EventType.ExecutionSuspended]: 'ExecutionSuspendedEvent',
  [EventType.ExecutionResumed]: 'ExecutionResumedEvent',
};

export interface InstanceRecord {
  instanceId: string;
  name: string;
  version: string;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  runtimeStatus: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  completedTime: string | null;
  executionId: string;
  parentInstanceId: string | null;
  etag?: string;
}

/** One history row to write: the event, the message that brought it, and ids a new execution inherits. */
export interface HistoryRow {
  event: HistoryEvent;
  messageId?: string;
  inheritedMessageIds?: string[];
}

/** The Instances row of an instance that has been started but has not run yet. */
export function pendingInstance(
  instanceId: string,
  name: string,
  input: string | null,
  executionId: string,
  at: string,
  parentInstanceId: string | null,
): InstanceRecord {
  return {
    instanceId,
    name,
    version: '',
    input,
    output: null,
    customStatus: null,
    runtimeStatus: 'Pending',
    createdTime: at,
    lastUpdatedTime: at,
    completedTime: null,
    executionId,
    parentInstanceId,
  };
}

export interface StoredHistory {
  events: HistoryEvent[];
  /**
   * `events` as JSON array elements, kept from the episode that committed them: played events do not change,
   * and a long history is sent to the SDK every episode.
   */
  json?: string;
  /** Message ids already applied, so a redelivered message is recognised. */
  messageIds: Set<string>;
  executionId: string | undefined;
  etag: string | undefined;
}

/** A control or work-item queue message: DTFx `MessageData` around a `TaskMessage`. */
export interface TaskMessage {
  messageId: string;
  instanceId: string;
  executionId: string;
  event: HistoryEvent;
}

export interface ReceivedMessage extends TaskMessage {
  queue: QueueClient;
  queueMessageId: string;
  popReceipt: string;
  dequeueCount: number;
}

export interface InstanceQuery {
  createdTimeFrom?: number;
  createdTimeTo?: number;
  runtimeStatus?: RuntimeStatus[];
  instanceIdPrefix?: string;
  top?: number;
  continuationToken?: string;
  /** Leave out entities, so a page of orchestrations is as long as asked for. */
  orchestrationsOnly?: boolean;
}

function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Everything the Durable engine keeps, laid out like the Azure Storage provider so the usual tools can read it. */
export class TaskHubStore {
  readonly names: ReturnType<typeof hubResourceNames>;
  readonly history: TableClient;
  readonly instances: TableClient;
  readonly controlQueues: QueueClient[];
  readonly workItems: QueueClient;
  readonly largeMessages: ContainerClient;

  constructor(
    readonly hubName: string,
    readonly partitionCount: number,
    connectionString: string,
    clients: StorageClients,
  ) {
    this.names = hubResourceNames(hubName, partitionCount);
    const tableOptions = {
      allowInsecureConnection: connectionString.includes('http://') || /UseDevelopmentStorage=true/i.test(connectionString),
    };
    this.history = TableClient.fromConnectionString(connectionString, this.names.historyTable, tableOptions);
    this.instances = TableClient.fromConnectionString(connectionString, this.names.instancesTable, tableOptions);
    const queues = clients.queueService(connectionString);
    this.controlQueues = this.names.controlQueues.map((q) => queues.getQueueClient(q));
    this.workItems = queues.getQueueClient(this.names.workItemQueue);
    this.largeMessages = clients.blobService(connectionString).getContainerClient(this.names.largeMessages);
  }

  async create(): Promise<void> {
    await Promise.all([
      this.history.createTable(),
      this.instances.createTable(),
      this.largeMessages.createIfNotExists(),
      this.workItems.createIfNotExists(),
      ...this.controlQueues.map((q) => q.createIfNotExists()),
    ]);
  }

  controlQueueFor(instanceId: string): QueueClient {
    return this.controlQueues[partitionOf(instanceId, this.partitionCount)]!;
  }

  // ---- large values -------------------------------------------------------------------------------

  async #putBlob(name: string, text: string): Promise<void> {
    const body = gzipSync(Buffer.from(text, 'utf8'));
    await this.largeMessages
      .getBlockBlobClient(name)
      .upload(body, body.length, { blobHTTPHeaders: { blobContentEncoding: 'gzip', blobContentType: 'application/json' } });
  }

  async #getBlob(name: string): Promise<string> {
    const body = await this.largeMessages.getBlockBlobClient(name).downloadToBuffer();
    return gunzipSync(body).toString('utf8');
  }

  /**
   * Moves oversized string columns to blobs. History rows keep `<Column>BlobName` and an empty column; the
   * Instances row keeps the blob's URL in the column itself: that is where DTFx's readers look for each.
   */
  async #offload(entity: Record<string, unknown>, blobPrefix: string, as: 'blobName' | 'url'): Promise<void> {
    for (const column of as === 'url' ? INSTANCE_BLOB_COLUMNS : HISTORY_BLOB_COLUMNS) {
      const value = entity[column];
      // A JS string's length is its count of UTF-16 units, so this is DTFx's Encoding.Unicode byte count.
      if (typeof value === 'string' && value.length * 2 > MAX_COLUMN_UTF16_BYTES) {
        const name = `${blobPrefix}-${column}.json.gz`;
        await this.#putBlob(name, value);
        if (as === 'url') {
          entity[column] = this.largeMessages.getBlockBlobClient(name).url;
        } else {
          entity[column] = '';
          entity[`${column}BlobName`] = name;
        }
      }
    }
  }

  /**
   * Brings back columns held in blobs, named by `<Column>BlobName` (which DTFx also writes in a Pending
   * Instances row) or, in the Instances row, by a URL in the column.
   */
  async #reload(entity: Record<string, unknown>, as: 'blobName' | 'url'): Promise<void> {
    for (const column of as === 'url' ? INSTANCE_BLOB_COLUMNS : HISTORY_BLOB_COLUMNS) {
      const blob = entity[`${column}BlobName`];
      if (typeof blob === 'string' && blob) entity[column] = await this.#getBlob(blob);
      else if (as === 'url' && typeof entity[column] === 'string') {
        const name = this.#blobNameOfUrl(entity[column] as string);
        if (name) entity[column] = await this.#largeValue(name);
      }
    }
  }

  /** The blob a URL names when it points into this hub's large-message container (a value is never a bare URL: it is JSON). */
  #blobNameOfUrl(value: string): string | undefined {
    if (!/^https?:\/\//.test(value)) return undefined;
    const marker = `/${this.names.largeMessages}/`;
    let path: string;
    try {
      path = new URL(value).pathname;
    } catch {
      return undefined;
    }
    const at = path.indexOf(marker);
    return at < 0 ? undefined : decodeURIComponent(path.slice(at + marker.length));
  }

  /**
   * A large Instances value. A client start whose message went to a blob points its Input at that message
   * (`…-ExecutionStarted.json.gz`, a whole MessageData), as DTFx's CreateTaskOrchestrationAsync does.
   */
  async #largeValue(blobName: string): Promise<string> {
    const text = await this.#getBlob(blobName);
    if (!blobName.endsWith('ExecutionStarted.json.gz')) return text;
    const data = JSON.parse(text) as { TaskMessage?: { Event?: { Input?: string | null } } };
    return data.TaskMessage?.Event?.Input ?? 'null';
  }

  // ---- history ------------------------------------------------------------------------------------

  async #eventToEntity(
    instanceId: string,
    executionId: string,
    seq: number,
    { event, messageId, inheritedMessageIds }: HistoryRow,
  ): Promise<TableEntity> {
    const entity: Record<string, unknown> = { partitionKey: escapeKey(instanceId), rowKey: rowKeyOf(seq), ExecutionId: executionId };
    for (const [k, v] of Object.entries(event)) {
      if (v === undefined || v === null) continue;
      if (k === 'EventType') entity.EventType = EVENT_TYPE_NAMES[v as number];
      else if (k === 'Timestamp') entity._Timestamp = new Date(v as string);
      else if (k === 'OrchestrationStatus') entity.OrchestrationStatus = STATUS_NAMES[v as number];
      else if ((DATE_COLUMNS as readonly string[]).includes(k)) entity[k] = new Date(v as string);
      // Any other object (a member a DTFx client sent that devhost does not know) is JSON, as DTFx stores it.
      else if ((JSON_COLUMNS as readonly string[]).includes(k) || typeof v === 'object') entity[k] = JSON.stringify(v);
      else entity[k] = v;
    }
    if (messageId) entity.MessageId = messageId;
    if (inheritedMessageIds?.length) entity.InheritedMessageIds = JSON.stringify(inheritedMessageIds);
    await this.#offload(entity, `${escapeKey(instanceId)}/history-${rowKeyOf(seq)}-${EVENT_TYPE_NAMES[event.EventType]}`, 'blobName');
    return entity as TableEntity;
  }

  async #entityToEvent(entity: Record<string, unknown>): Promise<HistoryEvent> {
    await this.#reload(entity, 'blobName');
    const event: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entity)) {
      if (
        ['partitionKey', 'rowKey', 'etag', 'timestamp', 'ExecutionId', 'MessageId', 'InheritedMessageIds', 'odata.etag'].includes(k) ||
        k.endsWith('BlobName')
      )
        continue;
      if (k === 'EventType') event.EventType = EventType[v as keyof typeof EventType];
      else if (k === '_Timestamp') event.Timestamp = new Date(v as string).toISOString();
      else if (k === 'OrchestrationStatus') event.OrchestrationStatus = OrchestrationStatus[v as RuntimeStatus];
      else if ((JSON_COLUMNS as readonly string[]).includes(k)) event[k] = JSON.parse(v as string);
      else if ((DATE_COLUMNS as readonly string[]).includes(k)) event[k] = new Date(v as string).toISOString();
      else event[k] = v;
    }
    event.IsPlayed = true;
    return event as unknown as HistoryEvent;
  }

  /** The committed history of the current execution. Rows past the sentinel's length are an unfinished checkpoint. */
  async loadHistory(instanceId: string): Promise<StoredHistory> {
    const rows: Record<string, unknown>[] = [];
    let sentinel: Record<string, unknown> | undefined;
    for await (const row of this.history.listEntities({
      queryOptions: { filter: `PartitionKey eq ${odataString(escapeKey(instanceId))}` },
    })) {
      if (row.rowKey === 'sentinel') sentinel = row;
      else rows.push(row);
    }
    if (!sentinel) return { events: [], messageIds: new Set(), executionId: undefined, etag: undefined };
    const length = Number(sentinel.HistoryLength ?? 0);
    const committed = rows.filter((r) => parseInt(String(r.rowKey), 16) < length && r.ExecutionId === sentinel!.ExecutionId);
    committed.sort((a, b) => String(a.rowKey).localeCompare(String(b.rowKey)));
    const messageIds = new Set(committed.map((r) => r.MessageId).filter((m): m is string => typeof m === 'string'));
    for (const r of committed)
      if (typeof r.InheritedMessageIds === 'string') for (const id of JSON.parse(r.InheritedMessageIds) as string[]) messageIds.add(id);
    const events = await Promise.all(committed.map((r) => this.#entityToEvent(r)));
    return { events, messageIds, executionId: String(sentinel.ExecutionId), etag: String(sentinel.etag) };
  }

  /**
   * Writes events `from`… of an execution and moves the sentinel — the commit point, guarded by its ETag so
   * two writers cannot both commit. Up to 99 events go in one entity-group transaction with the sentinel,
   * so a checkpoint is atomic and costs one request. Returns the sentinel's new ETag.
   */
  async commitHistory(
    instanceId: string,
    executionId: string,
    from: number,
    rows: HistoryRow[],
    etag: string | undefined,
  ): Promise<string> {
    const pk = escapeKey(instanceId);
    const entities = await Promise.all(rows.map((r, i) => this.#eventToEntity(instanceId, executionId, from + i, r)));
    const sentinel = {
      partitionKey: pk,
      rowKey: 'sentinel',
      ExecutionId: executionId,
      IsCheckpointComplete: true,
      CheckpointCompletedTimestamp: new Date(),
      HistoryLength: from + rows.length,
    };
    const upserts: TransactionAction[] = entities.map((e) => ['upsert', e, 'Replace']);
    // Longer checkpoints write their first rows ahead; they stay invisible until the sentinel moves.
    while (upserts.length > 99) await this.history.submitTransaction(upserts.splice(0, 99));
    const commit: TransactionAction = etag ? ['update', sentinel, 'Replace', { etag }] : ['create', sentinel];
    const result = await this.history.submitTransaction([...upserts, commit]);
    return result.subResponses[result.subResponses.length - 1]?.etag ?? '';
  }

  async deleteHistory(instanceId: string): Promise<void> {
    const pk = escapeKey(instanceId);
    const keys: string[] = [];
    for await (const row of this.history.listEntities({
      queryOptions: { filter: `PartitionKey eq ${odataString(pk)}`, select: ['RowKey'] },
    }))
      keys.push(String(row.rowKey));
    for (let i = 0; i < keys.length; i += 100) {
      await this.history.submitTransaction(keys.slice(i, i + 100).map((rk) => ['delete', { partitionKey: pk, rowKey: rk }]));
    }
    const prefix = `${pk}/`;
    for await (const blob of this.largeMessages.listBlobsFlat({ prefix }))
      await this.largeMessages.deleteBlob(blob.name).catch(() => undefined);
  }

  // ---- instances ----------------------------------------------------------------------------------

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    try {
      const e = await this.instances.getEntity<Record<string, unknown>>(escapeKey(instanceId), '');
      return this.#toRecord(e);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async #toRecord(e: Record<string, unknown>): Promise<InstanceRecord> {
    await this.#reload(e, 'url');
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const time = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
    return {
      instanceId: unescapeKey(String(e.partitionKey)),
      name: String(e.Name ?? ''),
      version: String(e.Version ?? ''),
      input: str(e.Input),
      output: str(e.Output),
      customStatus: str(e.CustomStatus),
      runtimeStatus: (e.RuntimeStatus as RuntimeStatus) ?? 'Pending',
      createdTime: time(e.CreatedTime)!,
      lastUpdatedTime: time(e.LastUpdatedTime)!,
      completedTime: time(e.CompletedTime),
      executionId: String(e.ExecutionId ?? ''),
      parentInstanceId: str(e.ParentInstanceId),
      etag: String(e.etag),
    };
  }

  /** Writes the Instances row. With `etag` the write fails (412) if someone changed it meanwhile. */
  async putInstance(r: InstanceRecord, mode: { etag?: string; create?: boolean } = {}): Promise<string> {
    const entity: Record<string, unknown> = {
      partitionKey: escapeKey(r.instanceId),
      rowKey: '',
      Name: r.name,
      Version: r.version,
      Input: r.input ?? 'null',
      Output: r.output ?? 'null',
      CustomStatus: r.customStatus ?? 'null',
      RuntimeStatus: r.runtimeStatus,
      CreatedTime: new Date(r.createdTime),
      LastUpdatedTime: new Date(r.lastUpdatedTime),
      CompletedTime: r.completedTime ? new Date(r.completedTime) : undefined,
      ExecutionId: r.executionId,
      TaskHubName: this.hubName,
      Generation: 0,
      ParentInstanceId: r.parentInstanceId ?? undefined,
    };
    await this.#offload(entity, `${escapeKey(r.instanceId)}/instance-${Date.now().toString(36)}`, 'url');
    const result = mode.create
      ? await this.instances.createEntity(entity as TableEntity)
      : mode.etag
        ? await this.instances.updateEntity(entity as TableEntity, 'Replace', { etag: mode.etag })
        : await this.instances.upsertEntity(entity as TableEntity, 'Replace');
    return result.etag ?? '';
  }

  async deleteInstance(instanceId: string): Promise<void> {
    await this.instances.deleteEntity(escapeKey(instanceId), '').catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 404) throw e;
    });
  }

  async queryInstances(q: InstanceQuery): Promise<{ records: InstanceRecord[]; continuationToken?: string }> {
    const filters: string[] = [];
    if (q.createdTimeFrom !== undefined) filters.push(`CreatedTime ge datetime'${new Date(q.createdTimeFrom).toISOString()}'`);
    if (q.createdTimeTo !== undefined) filters.push(`CreatedTime le datetime'${new Date(q.createdTimeTo).toISOString()}'`);
    if (q.runtimeStatus?.length) filters.push(`(${q.runtimeStatus.map((s) => `RuntimeStatus eq ${odataString(s)}`).join(' or ')})`);
    if (q.instanceIdPrefix) {
      const p = escapeKey(q.instanceIdPrefix);
      const next = p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1);
      filters.push(`PartitionKey ge ${odataString(p)} and PartitionKey lt ${odataString(next)}`);
    }
    // Entities are instances named `@name@key`: keys in ['@', 'A') are exactly theirs.
    if (q.orchestrationsOnly) filters.push(`(PartitionKey lt '@' or PartitionKey ge 'A')`);
    const pageSize = Math.min(Math.max(q.top ?? 100, 1), 1000);
    const pages = this.instances
      .listEntities<Record<string, unknown>>({ queryOptions: filters.length ? { filter: filters.join(' and ') } : undefined })
      .byPage({ maxPageSize: pageSize, continuationToken: q.continuationToken });
    const page = await pages.next();
    if (page.done || !page.value) return { records: [] };
    const rows = [...page.value];
    return { records: await Promise.all(rows.map((e) => this.#toRecord(e))), continuationToken: page.value.continuationToken || undefined };
  }

  // ---- queues -------------------------------------------------------------------------------------

  #serialize(m: TaskMessage, sequence: number): string {
    return JSON.stringify({
      $type: 'DurableTask.AzureStorage.MessageData',
      ActivityId: m.messageId,
      TaskMessage: {
        $type: 'DurableTask.Core.TaskMessage',
        Event: { $type: `DurableTask.Core.History.${EVENT_CLASS[m.event.EventType] ?? 'HistoryEvent'}`, ...m.event },
        SequenceNumber: 0,
        OrchestrationInstance: { $type: 'DurableTask.Core.OrchestrationInstance', InstanceId: m.instanceId, ExecutionId: m.executionId },
      },
      CompressedBlobName: null,
      SequenceNumber: sequence,
    });
  }

  #sequence = 0;

  /** A task message as queue text; payloads too large for a queue message go to a blob it names. */
  async encode(m: TaskMessage): Promise<string> {
    let text = this.#serialize(m, this.#sequence++);
    if (Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES) {
      const blobName = `${escapeKey(m.instanceId)}/message-${m.messageId}-${EVENT_TYPE_NAMES[m.event.EventType]}.json.gz`;
      await this.#putBlob(blobName, text);
      text = JSON.stringify({
        $type: 'DurableTask.AzureStorage.MessageData',
        ActivityId: m.messageId,
        CompressedBlobName: blobName,
        SequenceNumber: this.#sequence,
      });
    }
    return text;
  }

  /** Reads a queue message; plain UTF-8 JSON, base64 tolerated (as DTFx does). */
  async parse(text: string): Promise<TaskMessage> {
    let raw = text.trim();
    if (!raw.startsWith('{')) raw = Buffer.from(raw, 'base64').toString('utf8');
    let data = JSON.parse(raw) as {
      ActivityId: string;
      CompressedBlobName?: string | null;
      TaskMessage?: { Event: Record<string, unknown>; OrchestrationInstance: { InstanceId: string; ExecutionId: string } };
    };
    if (data.CompressedBlobName) data = JSON.parse(await this.#getBlob(data.CompressedBlobName));
    const { $type: _type, ...event } = data.TaskMessage!.Event;
    return {
      messageId: data.ActivityId,
      instanceId: data.TaskMessage!.OrchestrationInstance.InstanceId,
      executionId: data.TaskMessage!.OrchestrationInstance.ExecutionId,
      event: event as unknown as HistoryEvent,
    };
  }
}
