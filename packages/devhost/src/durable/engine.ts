import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import type { Clock } from '../clock.js';
import { parseDuration } from '../config.js';
import type { RegisteredFunction, RpcTypedData } from '../coreTypes.js';
import type { CatalogEntry } from '../functionsCatalog.js';
import type { Invoker } from '../invoker.js';
import type { Logger } from '../log.js';
import type { StorageClients } from '../storage/connections.js';
import { ActivityRunner } from './activityRunner.js';
import { ClientOperations } from './clientOperations.js';
import { EntityRunner } from './entityRunner.js';
import { events, type HistoryEvent } from './history.js';
import { stableGuid } from './ids.js';
import { DurableHttpApi, managementPayload, type ApiUrls } from './httpApi.js';
import { partitionOf, validateHubName } from './names.js';
import { isTerminal, OrchestrationRunner } from './orchestrationRunner.js';
import { PartitionLeases } from './partitionLeases.js';
import { QueuePump, type HeldMessage } from './queuePump.js';
import type { EngineServices } from './services.js';
import { TaskHubStore, type InstanceRecord, type TaskMessage } from './taskHubStore.js';
import { DURABLE_TRIGGERS } from './bindingTypes.js';
import { TimerService } from './timerService.js';

export const WEBHOOK_PATH = '/runtime/webhooks/durabletask';
/** How often an out-of-order completion is put back (about a second apart) before it counts as an orphan. */
const MAX_OUT_OF_ORDER_DEQUEUES = 30;

export interface DurableOptions {
  hubName: string;
  partitionCount: number;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  controlQueueBatchSize: number;
  controlQueueVisibilityTimeoutMs: number;
  workItemQueueVisibilityTimeoutMs: number;
  maxQueuePollingIntervalMs: number;
  /** httpSettings.defaultAsyncRequestSleepTimeMilliseconds: how long callHttp waits between 202 polls without Retry-After. */
  defaultAsyncRequestSleepTimeMs: number;
}

/** host.json `extensions.durableTask`, with the extension's defaults (DurableTaskOptions, AzureStorageOptions). */
export function readDurableOptions(hostJson: Record<string, unknown>, env: NodeJS.ProcessEnv, cores: number): DurableOptions {
  const ext = ((hostJson.extensions as Record<string, unknown> | undefined)?.durableTask ?? {}) as Record<string, unknown>;
  const provider = (ext.storageProvider ?? {}) as Record<string, unknown>;
  const num = (v: unknown, fallback: number, field: string, min = 1, max = 100_000) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new Error(`host.json: extensions.durableTask.${field} must be a whole number from ${min} to ${max}`);
    return v;
  };
  const duration = (v: unknown, fallback: number, field: string) =>
    v === undefined ? fallback : parseDuration(v, `extensions.durableTask.${field}`);
  const rawHub =
    typeof ext.hubName === 'string'
      ? ext.hubName.replace(/%([^%]+)%/g, (_, n: string) => env[n] ?? '')
      : (env.WEBSITE_SITE_NAME ?? 'TestHubName');
  return {
    hubName: validateHubName(rawHub.replace(/[^A-Za-z0-9]/g, '')),
    partitionCount: num(provider.partitionCount, 4, 'storageProvider.partitionCount', 1, 16),
    maxConcurrentActivityFunctions: num(ext.maxConcurrentActivityFunctions, 10 * cores, 'maxConcurrentActivityFunctions'),
    maxConcurrentOrchestratorFunctions: num(ext.maxConcurrentOrchestratorFunctions, 10 * cores, 'maxConcurrentOrchestratorFunctions'),
    controlQueueBatchSize: num(provider.controlQueueBatchSize, 32, 'storageProvider.controlQueueBatchSize', 1, 32),
    controlQueueVisibilityTimeoutMs: duration(
      provider.controlQueueVisibilityTimeout,
      5 * 60_000,
      'storageProvider.controlQueueVisibilityTimeout',
    ),
    workItemQueueVisibilityTimeoutMs: duration(
      provider.workItemQueueVisibilityTimeout,
      5 * 60_000,
      'storageProvider.workItemQueueVisibilityTimeout',
    ),
    maxQueuePollingIntervalMs: duration(provider.maxQueuePollingInterval, 30_000, 'storageProvider.maxQueuePollingInterval'),
    defaultAsyncRequestSleepTimeMs: num(
      ((ext.httpSettings ?? {}) as Record<string, unknown>).defaultAsyncRequestSleepTimeMilliseconds,
      30_000,
      'httpSettings.defaultAsyncRequestSleepTimeMilliseconds',
      0,
      24 * 3600_000,
    ),
  };
}

interface Pending {
  held: HeldMessage;
  message: TaskMessage;
  /** An activity's result, held as its work item until the orchestration commits it. */
  workItem?: boolean;
}

interface Session {
  pending: Pending[];
  running: boolean;
}

/**
 * Runs Durable Functions for the app over Azure Storage (Azurite): orchestrations, activities and entities
 * through the real durable-functions SDK, the durableClient binding, and the Durable HTTP API.
 */
export class DurableEngine {
  readonly options: DurableOptions;
  readonly store: TaskHubStore;
  #functions = new Map<string, { fn: RegisteredFunction; triggerName: string }>();
  #services: EngineServices;
  #orchestrations: OrchestrationRunner;
  #activities: ActivityRunner;
  #entities: EntityRunner;
  #timers: TimerService;
  #ops: ClientOperations;
  #api: DurableHttpApi;
  #controlPumps: QueuePump[] = [];
  /** Partitions whose control queue this instance serves: the ones it holds the lease of. */
  #partitions = new Set<number>();
  #leases: PartitionLeases;
  /** Instances this process has run episodes for, so handing a partition over can forget their caches. */
  #touched = new Set<string>();
  #workPump: QueuePump;
  #sessions = new Map<string, Session>();
  #ready: string[] = [];
  #activeEpisodes = 0;
  /** Episodes not settled yet (their Instances row or message deletes still under way), by instance id. */
  #settling = new Map<Promise<void>, string>();
  #rpc: Server | undefined;
  #rpcBaseUrl = '';
  #hostUrl = '';

  constructor(
    entries: CatalogEntry[],
    hostJson: Record<string, unknown>,
    connectionString: string,
    clients: StorageClients,
    private readonly invoker: Invoker,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly keys: { systemKey?: string } = {},
  ) {
    this.options = readDurableOptions(hostJson, process.env, availableParallelism());
    for (const e of entries) {
      if (!e.disabled && (DURABLE_TRIGGERS as readonly string[]).includes(e.triggerType)) {
        this.#functions.set(`${e.triggerType}:${e.fn.metadata.name.toLowerCase()}`, { fn: e.fn, triggerName: e.triggerName });
      }
    }
    this.store = new TaskHubStore(this.options.hubName, this.options.partitionCount, connectionString, clients);
    this.#timers = new TimerService(clock, logger, (id, exec, event, messageId) => this.#sendToInstance(id, exec, event, messageId));
    this.#services = {
      store: this.store,
      clock,
      invoker,
      logger,
      findFunction: (kind, name) => this.#functions.get(`${kind}:${name.toLowerCase()}`),
      sendToInstance: (id, exec, event, messageId) => this.#sendToInstance(id, exec, event, messageId),
      sendWorkItem: async (id, exec, event, messageId) => {
        await this.#workPump.sendLocal(await this.store.encode({ messageId, instanceId: id, executionId: exec, event }));
      },
      timers: this.#timers,
      settings: {
        // A very long maximum keeps the SDK from splitting timers: Azurite has no 7-day visibility limit to work around.
        maximumShortTimerDuration: '36500.00:00:00',
        longRunningTimerIntervalDuration: '3.00:00:00',
        defaultHttpAsyncRequestSleepTimeMillseconds: this.options.defaultAsyncRequestSleepTimeMs,
      },
    };
    this.#orchestrations = new OrchestrationRunner(this.#services);
    this.#activities = new ActivityRunner(this.#services);
    this.#entities = new EntityRunner(this.#services);
    this.#ops = new ClientOperations(
      this.#services,
      (id) => this.#orchestrations.forget(id),
      (id) => this.#orchestrations.cachedInstance(id),
    );
    this.#api = new DurableHttpApi(
      this.#ops,
      this.store,
      () => this.#urls(),
      (id, timeout, poll) => this.#waitForCompletion(id, timeout, poll),
    );
    const pumpOptions = { batchSize: this.options.controlQueueBatchSize, maxPollingIntervalMs: this.options.maxQueuePollingIntervalMs };
    this.#controlPumps = this.store.controlQueues.map(
      (q) =>
        new QueuePump(
          q,
          { ...pumpOptions, concurrency: 1000, visibilityTimeoutMs: this.options.controlQueueVisibilityTimeoutMs },
          (m) => this.#onControl(m),
          logger,
        ),
    );
    this.#workPump = new QueuePump(
      this.store.workItems,
      {
        ...pumpOptions,
        concurrency: this.options.maxConcurrentActivityFunctions,
        visibilityTimeoutMs: this.options.workItemQueueVisibilityTimeoutMs,
      },
      (m) => this.#onWorkItem(m),
      logger,
    );
    this.#leases = new PartitionLeases(
      clients.blobService(connectionString).getContainerClient(`${this.options.hubName.toLowerCase()}-leases`),
      this.store.names.controlQueues,
      { acquired: (p) => this.#startPartition(p), released: (p, why) => this.#stopPartition(p, why) },
      logger,
    );
  }

  get hubName(): string {
    return this.options.hubName;
  }

  async start(hostUrl: string): Promise<void> {
    this.#hostUrl = hostUrl;
    await this.store.create();
    await this.#startRpc();
    await this.#leases.start();
    this.#workPump.start();
  }

  async stop(): Promise<void> {
    this.#timers.stop();
    await this.#leases.stop();
    await this.#workPump.stop();
    await new Promise<void>((r) => (this.#rpc ? this.#rpc.close(() => r()) : r()));
  }

  get quiet(): boolean {
    return this.#activeEpisodes === 0 && this.#pumps().every((p) => p.quiet);
  }

  /**
   * Someone waits for idle (host.idle: a test walking its clock): polls go out now, and so do Instances rows
   * waiting to be joined, whose messages would otherwise hold the engine busy for up to 100 ms an episode.
   */
  poke(): void {
    for (const p of this.#pumps()) p.poke();
    this.#orchestrations.flushRows();
  }

  /** The control partitions this instance owns now. */
  get partitions(): number[] {
    return [...this.#partitions].sort((a, b) => a - b);
  }

  #pumps(): QueuePump[] {
    return [...[...this.#partitions].map((p) => this.#controlPumps[p]!), this.#workPump];
  }

  /** A partition's lease was taken: its instances' timers and lost starts first, then its queue. */
  async #startPartition(partition: number): Promise<void> {
    this.#partitions.add(partition);
    await this.#recoverTimers(partition);
    this.#controlPumps[partition]!.start();
  }

  /**
   * A partition goes to another instance (or this one stops): no more polling; episodes under way finish
   * (their writes are guarded by the sentinel ETag anyway); what is still held becomes visible for the new
   * owner; the cached histories and the timers of its instances are forgotten, as the new owner has them.
   */
  async #stopPartition(partition: number, why: 'release' | 'lost' | 'stop'): Promise<void> {
    this.#partitions.delete(partition);
    const pump = this.#controlPumps[partition]!;
    if (why === 'stop') return pump.stop();
    await pump.stopPolling();
    const mine = (id: string) => partitionOf(id, this.options.partitionCount) === partition;
    while ([...this.#sessions].some(([id, session]) => session.running && mine(id))) await new Promise((r) => setTimeout(r, 50));
    await Promise.all([...this.#settling].filter(([, id]) => mine(id)).map(([p]) => p));
    for (const [id, session] of this.#sessions) {
      if (session.running || !mine(id)) continue;
      this.#sessions.delete(id);
      await Promise.all(session.pending.map((p) => this.#elsewhere(p)));
    }
    await pump.abandon();
    for (const id of this.#touched) {
      if (!mine(id)) continue;
      this.#touched.delete(id);
      this.#orchestrations.forget(id);
    }
    this.#timers.forget((id) => mine(id));
  }

  /**
   * A message for an instance another process owns: an activity result is sent to that instance's control
   * queue, then its work item is done; a control message is made visible for the owner to take.
   */
  async #elsewhere(p: Pending): Promise<void> {
    if (!p.workItem) return p.held.abandon();
    await this.store.controlQueueFor(p.message.instanceId).sendMessage(await this.store.encode(p.message));
    await p.held.complete();
  }

  #owns(instanceId: string): boolean {
    return this.#partitions.has(partitionOf(instanceId, this.options.partitionCount));
  }

  /** The `durableClient` input binding's value (BindingHelper.DurableOrchestrationClientToString). */
  clientBinding(): RpcTypedData {
    const urls = this.#urls();
    const code = urls.requiredQuery ? `&${urls.requiredQuery}` : '';
    const management = managementPayload(urls, 'INSTANCEID');
    return {
      string: JSON.stringify({
        taskHubName: this.hubName,
        connectionName: null,
        creationUrls: {
          createNewInstancePostUri: `${urls.baseUrl}/orchestrators/{functionName}[/{instanceId}]?${urls.requiredQuery}`,
          createAndWaitOnNewInstancePostUri: `${urls.baseUrl}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}${code}`,
        },
        managementUrls: management,
        baseUrl: urls.baseUrl,
        requiredQueryStringParameters: urls.requiredQuery,
        rpcBaseUrl: this.#rpcBaseUrl,
        httpBaseUrl: null,
      }),
    };
  }

  /** Serves `/runtime/webhooks/durabletask/...` on the host's port. */
  async handleWebhook(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    await this.#api.handle(req, res, url, url.pathname.slice(WEBHOOK_PATH.length));
  }

  #urls(): ApiUrls {
    return {
      baseUrl: `${this.#hostUrl}${WEBHOOK_PATH}`,
      hubName: this.hubName,
      requiredQuery: this.keys.systemKey ? `code=${encodeURIComponent(this.keys.systemKey)}` : '',
    };
  }

  /** The extension's local RPC listener, which the SDK's client calls (unauthenticated, loopback only). */
  async #startRpc(): Promise<void> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      if (!url.pathname.startsWith('/durabletask/')) return void res.writeHead(404).end();
      this.#api.handle(req, res, url, url.pathname.slice('/durabletask'.length)).catch((error: Error) => {
        this.logger.error(`durable RPC ${req.method} ${req.url}: ${error.stack ?? error.message}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ Message: 'Something went wrong while processing your request' }));
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    this.#rpc = server;
    this.#rpcBaseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/durabletask/`;
  }

  /**
   * Re-arms timers created and not fired. Pending counts too: a host that died between an instance's first
   * checkpoint and its Instances row update leaves the row Pending with a committed TimerCreated, and the
   * redelivered start message is then recognised as a duplicate without re-running anything.
   */
  async #recoverTimers(partition: number): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.store.queryInstances({
        runtimeStatus: ['Running', 'Suspended', 'Pending'],
        orchestrationsOnly: true,
        continuationToken: token,
        top: 1000,
      });
      for (const r of page.records) {
        if (partitionOf(r.instanceId, this.options.partitionCount) !== partition) continue;
        const history = await this.store.loadHistory(r.instanceId);
        if (history.executionId) this.#timers.recover(r.instanceId, history.executionId, history.events);
        else if (r.runtimeStatus === 'Pending' && !r.parentInstanceId) await this.#restart(r);
      }
      token = page.continuationToken;
    } while (token);
  }

  /**
   * A client start writes the Pending row, then sends the start message: a host killed between the two
   * leaves a row nothing will ever run. Send the start again — its message id is derived, so if the first
   * one did go out, the runner drops the second.
   */
  async #restart(r: InstanceRecord): Promise<void> {
    const at = new Date(this.clock.now()).toISOString();
    const instance = { InstanceId: r.instanceId, ExecutionId: r.executionId };
    const start = events.executionStarted(at, { name: r.name, instance, input: r.input, parent: null });
    await this.#sendToInstance(r.instanceId, r.executionId, start, stableGuid(r.instanceId, r.executionId, 'start'));
  }

  async #sendToInstance(instanceId: string, executionId: string, event: HistoryEvent, messageId: string): Promise<void> {
    const text = await this.store.encode({ messageId, instanceId, executionId, event });
    // Only a partition this process owns takes the in-memory short cut; another's owner polls for it.
    const partition = partitionOf(instanceId, this.options.partitionCount);
    if (this.#partitions.has(partition)) await this.#controlPumps[partition]!.sendLocal(text);
    else await this.store.controlQueues[partition]!.sendMessage(text);
  }

  async #waitForCompletion(id: string, timeoutMs: number, pollMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.store.getInstance(id);
      if (r && isTerminal(r.runtimeStatus)) return true;
      if (Date.now() + pollMs > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.max(50, pollMs)));
    }
  }

  async #onWorkItem(held: HeldMessage): Promise<void> {
    let message: TaskMessage;
    try {
      message = await this.store.parse(held.item.messageText);
    } catch (error) {
      this.logger.error(`dropping an unreadable work item: ${(error as Error).message}`);
      return held.complete();
    }
    const result = await this.#activities.process(message);
    // The result goes to its orchestration in memory. The work item stays leased until the orchestration has
    // committed the result, and is its durable record meanwhile: if we die first, the activity runs again
    // (at least once, as on Azure). This halves the queue traffic per activity.
    this.#toSession(result, held, true);
  }

  async #onControl(held: HeldMessage): Promise<void> {
    let message: TaskMessage;
    try {
      message = await this.store.parse(held.item.messageText);
    } catch (error) {
      this.logger.error(`dropping an unreadable control message: ${(error as Error).message}`);
      return held.complete();
    }
    this.#toSession(message, held);
  }

  #toSession(message: TaskMessage, held: HeldMessage, workItem = false): void {
    if (!this.#owns(message.instanceId)) {
      void this.#elsewhere({ held, message, workItem }).catch((e: Error) =>
        this.logger.warn(`instance '${message.instanceId}': handing a message to its owner: ${e.message}`),
      );
      return;
    }
    let session = this.#sessions.get(message.instanceId);
    if (!session) {
      session = { pending: [], running: false };
      this.#sessions.set(message.instanceId, session);
    }
    session.pending.push({ held, message, workItem });
    if (!session.running && !this.#ready.includes(message.instanceId)) this.#ready.push(message.instanceId);
    // Let the rest of this poll's messages join the batch before the episode starts.
    setImmediate(() => this.#drain());
  }

  /** Starts episodes for instances with pending messages, one at a time per instance, up to the concurrency limit. */
  #drain(): void {
    while (this.#ready.length > 0 && this.#activeEpisodes < this.options.maxConcurrentOrchestratorFunctions) {
      const instanceId = this.#ready.shift()!;
      const session = this.#sessions.get(instanceId);
      if (!session || session.running || session.pending.length === 0) continue;
      if (!this.#owns(instanceId)) {
        this.#sessions.delete(instanceId);
        for (const p of session.pending.splice(0)) void this.#elsewhere(p).catch(() => undefined);
        continue;
      }
      this.#touched.add(instanceId);
      session.running = true;
      this.#activeEpisodes++;
      const batch = session.pending.splice(0);
      let ended = false;
      const episodeEnded = () => {
        if (ended) return;
        ended = true;
        session.running = false;
        this.#activeEpisodes--;
        if (session.pending.length > 0) this.#ready.push(instanceId);
        else if (this.#sessions.get(instanceId) === session) this.#sessions.delete(instanceId);
        this.#drain();
      };
      const settled = this.#runSession(instanceId, batch, episodeEnded).finally(() => {
        episodeEnded();
        this.#settling.delete(settled);
      });
      this.#settling.set(settled, instanceId);
    }
  }

  /**
   * Returns an out-of-order completion to the queue. One that still has no scheduling event after many tries
   * belongs to an episode that was never committed and was redone differently: the redone episode sends its
   * own tasks again, so the orphan is dropped.
   */
  async #putBack(instanceId: string, b: { held: HeldMessage; message: TaskMessage }): Promise<void> {
    if (b.held.item.dequeueCount < MAX_OUT_OF_ORDER_DEQUEUES) return b.held.release(1000);
    this.logger.warn(
      `instance '${instanceId}': dropping a completion for a task that was never scheduled (message ${b.message.messageId})`,
    );
    await b.held.complete();
  }

  /**
   * One episode and the settling of its messages. `episodeEnded` is called once history is committed: the
   * instance's next episode may start while this one's Instances row is written and its messages deleted.
   */
  async #runSession(instanceId: string, batch: { held: HeldMessage; message: TaskMessage }[], episodeEnded: () => void): Promise<void> {
    const messages = batch.map((b) => b.message);
    try {
      if (instanceId.startsWith('@')) {
        await this.invoker.track(() => this.#entities.process(instanceId, messages));
        await Promise.all(batch.map((b) => b.held.complete()));
        return;
      }
      const { outcome, rowWritten } = await this.invoker.track(() => this.#orchestrations.process(instanceId, messages));
      episodeEnded();
      // The messages outlive the episode until the Instances row is written: if we die first, they come
      // back and the row is repaired from history. Tracked as the episode was, so a host stopping waits for it.
      await this.invoker.track(() => rowWritten);
      if (outcome === 'defer') await Promise.all(batch.map((b) => b.held.release(1000)));
      else if (outcome === 'done') await Promise.all(batch.map((b) => b.held.complete()));
      else
        await Promise.all(batch.map((b) => (outcome.deferred.has(b.message.messageId) ? this.#putBack(instanceId, b) : b.held.complete())));
    } catch (error) {
      // Storage trouble mid-checkpoint: forget what we cached and let the messages come back.
      this.#orchestrations.forget(instanceId);
      this.logger.error(`instance '${instanceId}': ${(error as Error).stack ?? error}`);
      await Promise.all(batch.map((b) => b.held.release(1000)));
    }
  }
}
