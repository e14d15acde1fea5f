import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { loadApp } from './appLoader.js';
import { OutputBindings } from './bindings/outputs.js';
import { installClockGlobal, RealClock, TestClock, type Clock } from './clock.js';
import {
  DevhostError,
  hostIdFor,
  readHostConfig,
  readLocalSettings,
  resolveSettingRefs,
  type HostConfig,
  type LocalSettings,
} from './config.js';
import { installCoreModule, Registry } from './coreApi.js';
import { IDENTITY_PATH, IdentityIssuer } from './identity/issuer.js';
import { createStandIns } from './standins/index.js';
import { DEFAULT_ACS_ACCESS_KEY } from './standins/acsEmail.js';
import { isPushStandIn, pushPortSetting } from './standins/push.js';
import type { StandIn } from './standins/standin.js';
import { DURABLE_INPUTS, DURABLE_TRIGGERS } from './durable/bindingTypes.js';
import { DurableEngine, WEBHOOK_PATH } from './durable/engine.js';
import { catalog, type CatalogEntry } from './functionsCatalog.js';
import { AdminApi } from './http/admin.js';
import { HttpFunctions, httpFunction } from './http/httpFunctions.js';
import { presentedKey, readKeys, type Keys } from './http/keys.js';
import type { HostState, HostView } from './hostView.js';
import { Invoker } from './invoker.js';
import { Logger } from './log.js';
import { writeRunFile } from './runFile.js';
import { startAzurite, type AzuriteInstance } from './storage/azurite.js';
import { connectionString, redirectDevelopmentStorage, StorageClients } from './storage/connections.js';
import { defaultUseMonitor, parseNcrontab } from './triggers/ncrontab.js';
import { invokeFunctionOnMessage, QueueListener } from './triggers/queueListener.js';
import { BLOB_POISON_QUEUE, BlobTrigger, blobTriggerQueueName, dispatchBlobWork } from './triggers/blobTrigger.js';
import { encodeMessage } from './bindings/queueMessages.js';
import { ListenerLock } from './triggers/listenerLock.js';
import { ScheduleStatusStore, TimerTrigger } from './triggers/timerTrigger.js';
import { expandSupplied, refersToSupplied, settingsNamingOtherPorts, suppliedSettings } from './supply.js';

/** This machine only. */
export const LOOPBACK = '127.0.0.1';

export interface HostOptions {
  app: string;
  /** 0 picks a free port. Default: local.settings.json Host.LocalHttpPort, else 7071. */
  port?: number;
  /**
   * The address to listen on. Default 127.0.0.1: this machine only, since the admin API mints tokens for any
   * tenant and the Durable HTTP API raises events. `0.0.0.0` opens it to the network.
   */
  host?: string;
  /** `memory` (default), `disk` (`<app>/.azurite`), or a storage connection string. */
  storage?: string;
  /** `real` (default), or `test` with the virtual start time. */
  clock?: { mode: 'real' } | { mode: 'test'; start: number };
  keysFile?: string;
  /** The local settings file; default `<app>/local.settings.json`, else `<app>/local.settings.sample.json`. */
  settingsFile?: string;
  verbose?: boolean;
  write?: (line: string) => void;
}

export class Host implements HostView {
  state: HostState = 'Default';
  readonly startedAt = Date.now();
  readonly appDir: string;
  readonly registry = new Registry();
  readonly clock: Clock;
  readonly logger: Logger;
  config!: HostConfig;
  settings!: LocalSettings;
  hostId!: string;
  keys: Keys | undefined;
  storage!: { connectionString: string; description: string };
  entries: CatalogEntry[] = [];
  invoker!: Invoker;
  /** Writes output bindings; the admin API uses it too when it runs a function once. */
  outputs!: OutputBindings;
  http!: HttpFunctions;
  queueListeners: QueueListener[] = [];
  timers: TimerTrigger[] = [];
  blobTriggers: BlobTrigger[] = [];
  /** Present when the app registers Durable Functions (or takes a durable client). */
  durable: DurableEngine | undefined;
  /** The stand-in Entra token issuer (discovery + JWKS on this port, tokens from the admin API). */
  identity!: IdentityIssuer;
  /** Stand-ins for cloud services (Graph, ACS Email) on this host's port. */
  standIns: StandIn[] = [];
  /** The push stand-in's own TLS port (FCM and APNs), once it listens. */
  pushPort: number | undefined;
  /** What devhost supplies to the app (`WEBSITE_HOSTNAME`, `DEVHOST_*`), once everything listens. */
  supplied: Record<string, string> = {};
  /** Settings that said UseDevelopmentStorage=true, now devhost's storage connection string. */
  developmentStorage: string[] = [];
  /** Settings that name a local port this host does not listen on (the banner warns of them). */
  otherPorts: string[] = [];
  url = '';
  #runFile: string | undefined;
  #serving = false;
  #azurite: AzuriteInstance | undefined;
  #server: Server | undefined;
  readonly #admin: AdminApi;
  #stopping: Promise<void> | undefined;
  /** Shared by appStart and appTerminate hooks only, as in the worker. */
  #appLevelHookData: Record<string, unknown> = {};

  constructor(private readonly options: HostOptions) {
    this.appDir = resolve(options.app);
    this.clock = options.clock?.mode === 'test' ? new TestClock(options.clock.start) : new RealClock();
    this.logger = new Logger({ userLevel: 'Information', functionLevels: {}, verbose: !!options.verbose, write: options.write });
    this.#admin = new AdminApi(this);
  }

  get env(): NodeJS.ProcessEnv {
    return process.env;
  }

  async start(): Promise<void> {
    const cores = availableParallelism();
    this.settings = readLocalSettings(this.appDir, this.options.settingsFile);
    // Settings from the environment win over local.settings.json, so CI can override one value. Those that refer
    // to what devhost supplies wait until it is known (every listener is up).
    const pending: { name: string; value: string; from: string }[] = [];
    for (const [name, value] of Object.entries(process.env))
      if (value !== undefined && refersToSupplied(value)) pending.push({ name, value, from: 'the environment' });
    const fromFile: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.settings.values)) {
      if (process.env[name] !== undefined) continue;
      if (refersToSupplied(value)) pending.push({ name, value, from: this.settings.file! });
      else process.env[name] = fromFile[name] = value;
    }
    // After the settings, which may override host.json (AzureFunctionsJobHost__…).
    this.config = readHostConfig(this.appDir, cores, process.env);
    this.logger.configure({ userLevel: this.config.logLevelDefault, functionLevels: this.config.logLevels });
    this.keys = this.options.keysFile ? readKeys(this.options.keysFile) : undefined;
    this.hostId = hostIdFor(this.appDir, process.env);
    // The port first: the origin it gives is in what the app is told before it loads.
    await this.#listen();
    await this.#startStorage();
    // With persisted storage the signing key persists too, so tokens minted earlier stay valid.
    this.identity = await IdentityIssuer.create(
      this.options.storage === 'disk' ? join(this.appDir, '.devhost', 'identity.json') : undefined,
    );
    installClockGlobal(this.clock);
    const standInsDir =
      process.env.DEVHOST_STANDINS_DIR ?? (this.options.storage === 'disk' ? join(this.appDir, '.devhost', 'standins') : undefined);
    this.standIns = await createStandIns({
      origin: () => this.url,
      clock: this.clock,
      identity: this.identity,
      stateDir: standInsDir,
      appDir: this.appDir,
      log: (message) => this.logger.info(message),
    });
    await this.#listenPush();
    this.#supply(pending, fromFile);
    this.#serving = true;

    installCoreModule(this.registry);
    this.registry.systemLog = (level, category, message) => this.invoker.emitLog(level, category, message);
    this.invoker = new Invoker(this.registry, this.logger, this.clock, this.config.functionTimeoutMs);
    await loadApp(this.appDir);
    const startCtx = { hookData: this.#appLevelHookData, appHookData: this.invoker.appHookData, functionAppDirectory: this.appDir };
    for (const hook of this.registry.hooks.appStart) await hook(startCtx);
    this.registry.lock();
    this.state = 'Initialized';

    const clients = new StorageClients();
    const outputs = (this.outputs = new OutputBindings(clients, process.env, this.config.queues.messageEncoding, (queue) => {
      for (const l of this.queueListeners) if (l.queueName === queue) l.poke();
    }));
    this.invoker.bindings = outputs;
    this.http = new HttpFunctions(
      this.config.routePrefix,
      { origins: this.settings.cors, credentials: this.settings.corsCredentials },
      this.keys,
      this.invoker,
      outputs,
      this.logger,
    );
    this.entries = catalog(this.registry.functions.values(), process.env);
    for (const entry of this.entries) if (entry.unsupported) this.invoker.unsupported.set(entry.fn, entry.unsupported);
    for (const entry of this.entries) {
      if (entry.disabled) continue;
      if (entry.triggerType === 'httpTrigger') this.http.add(httpFunction(entry.fn, entry.triggerName, entry.unsupported));
      if (entry.unsupported) continue;
      if (entry.triggerType === 'queueTrigger') this.queueListeners.push(this.#queueListener(entry, clients));
      if (entry.triggerType === 'timerTrigger') this.timers.push(this.#timer(entry, clients, outputs));
      if (entry.triggerType === 'blobTrigger') this.blobTriggers.push(this.#blobTrigger(entry, clients));
    }
    if (this.blobTriggers.length) this.queueListeners.push(this.#blobDispatcher(clients));
    this.durable = this.#durableEngine(clients);
    await this.durable?.start(this.url);
    await Promise.all(this.queueListeners.map((l) => l.start()));
    await Promise.all(this.timers.map((t) => t.start()));
    await Promise.all(this.blobTriggers.map((t) => t.start()));
    this.state = 'Running';
    this.#writeRunFile();
  }

  /**
   * Tells the app where this host and its stand-ins answer (devhost/README.md, "Settings devhost supplies"),
   * and expands the settings that refer to it. `WEBSITE_HOSTNAME` also keeps the Durable client's management
   * URLs on this host: getClient() rewrites them to localhost:7071 otherwise.
   */
  #supply(pending: { name: string; value: string; from: string }[], fromFile: Record<string, string>): void {
    const push = this.standIns.find(isPushStandIn)?.connection();
    this.supplied = suppliedSettings({
      url: this.url,
      acsAccessKey: process.env.DEVHOST_ACS_ACCESS_KEY || DEFAULT_ACS_ACCESS_KEY,
      push,
      environment: process.env.AZURE_FUNCTIONS_ENVIRONMENT,
    });
    Object.assign(process.env, this.supplied);
    for (const { name, value, from } of pending) {
      try {
        process.env[name] = expandSupplied(value, this.supplied, `${from}: ${name}`);
      } catch (error) {
        throw new DevhostError((error as Error).message);
      }
    }
    this.otherPorts = settingsNamingOtherPorts(fromFile, [Number(new URL(this.url).port), this.pushPort ?? 0]);
  }

  /** So CLIs find this host (runFile.ts); a host that cannot write there still runs. */
  #writeRunFile(): void {
    try {
      this.#runFile = writeRunFile({
        url: this.url,
        appDir: this.appDir,
        startedAt: new Date(this.startedAt).toISOString(),
        keysEnforced: !!this.keys,
      });
    } catch (error) {
      this.logger.warn(`could not record this host in ${this.appDir}/.devhost/hosts (CLIs will need --url): ${(error as Error).message}`);
    }
  }

  #durableEngine(clients: StorageClients): DurableEngine | undefined {
    const durableTypes = new Set<string>([...DURABLE_TRIGGERS, ...DURABLE_INPUTS]);
    const uses = this.entries.some(
      (e) => !e.unsupported && Object.values(e.fn.metadata.bindings).some((b) => durableTypes.has(String(b.type))),
    );
    if (!uses) return undefined;
    const engine = new DurableEngine(
      this.entries,
      this.config.raw,
      this.storage.connectionString,
      clients,
      this.invoker,
      this.clock,
      this.logger,
      {
        systemKey: this.keys?.systemKeys?.durabletask_extension,
      },
    );
    for (const type of DURABLE_INPUTS) this.invoker.inputProviders.set(type, () => engine.clientBinding());
    return engine;
  }

  async #startStorage(): Promise<void> {
    const storage = this.options.storage ?? 'memory';
    if (storage === 'memory' || storage === 'disk') {
      const location = storage === 'disk' ? join(this.appDir, '.azurite') : undefined;
      this.#azurite = await startAzurite({ location, log: (line) => this.logger.debug(`azurite: ${line}`) });
      this.storage = {
        connectionString: this.#azurite.connectionString,
        description: location ? `Azurite, persisted in ${location}` : 'Azurite, in memory',
      };
    } else {
      if (!/AccountName=|UseDevelopmentStorage=true|BlobEndpoint=/i.test(storage)) {
        throw new DevhostError(`--storage must be memory, disk or a storage connection string, got "${storage}"`);
      }
      this.storage = { connectionString: storage, description: 'the given connection string' };
    }
    this.developmentStorage = redirectDevelopmentStorage(process.env, this.storage.connectionString);
    process.env.AzureWebJobsStorage = this.storage.connectionString;
  }

  #queueListener(entry: CatalogEntry, clients: StorageClients): QueueListener {
    const name = entry.fn.metadata.name;
    const queueName = resolveSettingRefs(String(entry.trigger.queueName ?? ''), process.env, `${name}: queueName`).toLowerCase();
    if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(queueName)) {
      throw new DevhostError(
        `${name}: queue name "${queueName}" is not a valid Azure queue name (3-63 lowercase letters, digits and single hyphens)`,
      );
    }
    const service = clients.queueService(connectionString(entry.trigger.connection as string | undefined, process.env));
    const poison = queueName.endsWith('-poison') ? undefined : service.getQueueClient(`${queueName}-poison`);
    return new QueueListener(
      name,
      service.getQueueClient(queueName),
      poison,
      this.config.queues,
      invokeFunctionOnMessage(entry.fn, entry.triggerName, this.invoker),
      this.logger,
    );
  }

  #timer(entry: CatalogEntry, clients: StorageClients, outputs: OutputBindings): TimerTrigger {
    const name = entry.fn.metadata.name;
    const expression = resolveSettingRefs(String(entry.trigger.schedule ?? ''), process.env, `${name}: schedule`);
    let schedule;
    try {
      schedule = parseNcrontab(expression, process.env.WEBSITE_TIME_ZONE || 'UTC');
    } catch (error) {
      throw new DevhostError(`${name}: ${(error as Error).message}`);
    }
    const useMonitor =
      typeof entry.trigger.useMonitor === 'boolean' ? entry.trigger.useMonitor : defaultUseMonitor(schedule, this.clock.now());
    const hosts = clients.blobService(this.storage.connectionString).getContainerClient('azure-webjobs-hosts');
    const monitor = useMonitor ? new ScheduleStatusStore(hosts, `timers/${this.hostId}/${name}/status`) : undefined;
    return new TimerTrigger(
      entry.fn,
      entry.triggerName,
      schedule,
      entry.trigger.runOnStartup === true,
      monitor,
      this.clock,
      this.invoker,
      outputs,
      this.logger,
      new ListenerLock(hosts, `locks/${this.hostId}/${name}.Listener`, name, this.logger),
    );
  }

  #blobTrigger(entry: CatalogEntry, clients: StorageClients): BlobTrigger {
    const name = entry.fn.metadata.name;
    const path = resolveSettingRefs(String(entry.trigger.path ?? ''), process.env, `${name}: path`);
    const hostStorage = this.storage.connectionString;
    const queue = clients.queueService(hostStorage).getQueueClient(blobTriggerQueueName(this.hostId));
    const encoding = this.config.queues.messageEncoding;
    try {
      return new BlobTrigger(
        entry.fn,
        entry.triggerName,
        path,
        clients.blobService(connectionString(entry.trigger.connection as string | undefined, process.env)),
        this.hostId,
        clients.blobService(hostStorage).getContainerClient('azure-webjobs-hosts'),
        async (work) => {
          await queue.sendMessage(encodeMessage(JSON.stringify(work), encoding));
          for (const l of this.queueListeners) if (l.queueName === queue.name) l.poke();
        },
        this.invoker,
        this.logger,
      );
    } catch (error) {
      throw new DevhostError((error as Error).message);
    }
  }

  /** One queue for every blob trigger of the host, as on the real host: any instance may run any queued blob. */
  #blobDispatcher(clients: StorageClients): QueueListener {
    const service = clients.queueService(this.storage.connectionString);
    const attempts = this.config.poisonBlobThreshold;
    return new QueueListener(
      'blob triggers',
      service.getQueueClient(blobTriggerQueueName(this.hostId)),
      service.getQueueClient(BLOB_POISON_QUEUE),
      { ...this.config.queues, maxDequeueCount: attempts },
      dispatchBlobWork(this.blobTriggers, attempts, this.logger),
      this.logger,
    );
  }

  /** Where the HTTP port listens (`--host`). */
  get listenHost(): string {
    return this.options.host ?? LOOPBACK;
  }

  async #listen(): Promise<void> {
    const port = this.options.port ?? this.settings.port ?? 7071;
    const server = createServer((req, res) => void this.#handle(req, res));
    this.#server = server;
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new DevhostError(`port ${port} is in use: pass --port <n> (0 picks a free one)`) : error),
      );
      server.listen(port, this.listenHost, () => resolvePromise());
    });
    const address = server.address();
    this.url = `http://localhost:${typeof address === 'object' && address ? address.port : port}`;
  }

  /** FCM and APNs clients speak TLS to their real host names, so that stand-in needs a TLS port of its own. */
  async #listenPush(): Promise<void> {
    const push = this.standIns.find(isPushStandIn);
    if (!push) return;
    let port: number;
    try {
      port = pushPortSetting(process.env.DEVHOST_PUSH_PORT);
    } catch (error) {
      throw new DevhostError((error as Error).message);
    }
    try {
      this.pushPort = await push.listen(port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      throw new DevhostError(
        `the push stand-in's port ${port} is in use: set DEVHOST_PUSH_PORT to another, or leave it unset for a free one`,
      );
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      // The port opens before storage, the issuer and the stand-ins exist: only the host's status answers until they do.
      if (!this.#serving && url.pathname !== '/admin/host/status') return void res.writeHead(503, { 'Retry-After': '1' }).end();
      if (await this.#admin.handle(req, res, url)) return;
      if (url.pathname.startsWith(`${IDENTITY_PATH}/`) && this.identity.handle(req, res, url, this.url)) return;
      for (const standIn of this.standIns) if (await standIn.handle(req, res, url)) return;
      if (this.state !== 'Running') {
        res.writeHead(503, { 'Retry-After': '1' }).end();
        return;
      }
      if (this.durable && url.pathname.toLowerCase().startsWith(`${WEBHOOK_PATH}/`)) {
        const key = presentedKey(url, req.headers);
        if (this.keys && key !== this.keys.masterKey && key !== this.keys.systemKeys.durabletask_extension)
          return void res.writeHead(401).end();
        return await this.durable.handleWebhook(req, res, url);
      }
      if (await this.http.handle(req, res, url)) return;
      res.writeHead(404).end();
    } catch (error) {
      this.logger.error(`request ${req.method} ${req.url} failed: ${(error as Error).stack ?? error}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }

  /** True when nothing runs and nothing is due: no invocation, no visible queue message, no timer at or before now. */
  async idle(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const settled = () =>
      this.invoker.inFlight === 0 &&
      this.timers.every((t) => !t.firing) &&
      this.queueListeners.every((l) => l.quiet) &&
      this.blobTriggers.every((t) => t.quiet) &&
      (this.durable?.quiet ?? true) &&
      !(this.clock instanceof TestClock && (this.clock.nextDue() ?? Infinity) <= this.clock.now());
    // Two rounds: a poll already under way when we poked may have started before a message arrived.
    for (let round = 0; round < 2; round++) {
      this.queueListeners.forEach((l) => l.poke());
      this.blobTriggers.forEach((t) => t.poke());
      this.durable?.poke();
      await new Promise((r) => setImmediate(r));
      // Checking is a few property reads; a short interval keeps a 720-timer clock walk quick.
      while (!settled()) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    return true;
  }

  /** Test clock: moves to the next time anything waits for (after letting current work finish). */
  async skipToNextDue(): Promise<number | undefined> {
    const clock = this.#testClock();
    await this.idle();
    const next = clock.nextDue();
    if (next === undefined) return undefined;
    clock.set(next);
    await this.idle();
    return next;
  }

  /** Test clock: moves forward by `ms`, stopping at every due time on the way so each timer fires in order. */
  async advance(ms: number): Promise<number> {
    const clock = this.#testClock();
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance takes a non-negative number of milliseconds');
    const target = clock.now() + ms;
    await this.idle();
    for (let next = clock.nextDue(); next !== undefined && next <= target; next = clock.nextDue()) {
      clock.set(next);
      await this.idle();
    }
    clock.set(target);
    await this.idle();
    return clock.now();
  }

  async setTime(time: number): Promise<number> {
    const clock = this.#testClock();
    return this.advance(time - clock.now());
  }

  #testClock(): TestClock {
    if (!(this.clock instanceof TestClock)) throw new DevhostError('the clock is real; start devhost with --clock test to control time');
    return this.clock;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.state = 'Stopping';
    if (this.#runFile) rmSync(this.#runFile, { force: true });
    const closed = this.#server ? new Promise<void>((r) => this.#server!.close(() => r())) : Promise.resolve();
    this.#server?.closeIdleConnections();
    await Promise.all([
      ...this.blobTriggers.map((t) => t.stop()),
      ...this.queueListeners.map((l) => l.stop()),
      ...this.timers.map((t) => t.stop()),
      this.durable?.stop(),
    ]);
    await Promise.race([this.invoker?.drained(), new Promise((r) => setTimeout(r, 10_000))]);
    for (const hook of this.registry.hooks.appTerminate) {
      try {
        await hook({ hookData: this.#appLevelHookData, appHookData: this.invoker.appHookData });
      } catch (error) {
        this.logger.error(`appTerminate hook failed: ${(error as Error).message}`);
      }
    }
    this.#server?.closeAllConnections();
    await closed;
    for (const standIn of this.standIns) await standIn.close?.();
    await this.#azurite?.stop();
    this.state = 'Stopped';
  }
}
