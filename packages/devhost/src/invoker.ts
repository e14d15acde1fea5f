import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import type { Registry } from './coreApi.js';
import type {
  CoreInvocationContext,
  RegisteredFunction,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
  RpcBindingInfo,
  RpcRetryOptions,
  RpcTypedData,
} from './coreTypes.js';
import { bindingData, responseBindingData, type BindingData } from './bindings/blobs.js';
import type { Logger } from './log.js';

/** What the invoker needs of the storage bindings (bindings/outputs.ts). */
export interface StorageBindings {
  apply(fn: RegisteredFunction, response: RpcInvocationResponse): Promise<void>;
  readInput(binding: RpcBindingInfo, data: BindingData, what: string): Promise<RpcTypedData>;
}

export type InvocationResult =
  { ok: true; invocationId: string; response: RpcInvocationResponse } | { ok: false; invocationId: string; error: Error };

export interface InvocationInput {
  inputData: RpcInvocationRequest['inputData'];
  triggerMetadata?: RpcInvocationRequest['triggerMetadata'];
  retryContext?: RpcInvocationRequest['retryContext'];
}

const blobUsers = new WeakMap<RegisteredFunction, boolean>();
/** Whether any of a function's bindings other than its trigger is a blob. */
function usesBlobs(fn: RegisteredFunction): boolean {
  let uses = blobUsers.get(fn);
  if (uses === undefined) {
    uses = Object.values(fn.metadata.bindings).some((b) => b.type?.toLowerCase() === 'blob');
    blobUsers.set(fn, uses);
  }
  return uses;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

function seconds(d: { seconds?: number | string; nanos?: number } | undefined): number {
  return d ? Number(d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1e6 : 0;
}

/** Delay before retry number `attempt` (1-based) of a function-level retry policy. */
export function retryDelayMs(options: RpcRetryOptions, attempt: number): number {
  if (options.retryStrategy === 'exponentialBackoff') {
    const min = seconds(options.minimumInterval);
    const max = seconds(options.maximumInterval) || Number.MAX_SAFE_INTEGER;
    return Math.min(max, min * 2 ** (attempt - 1));
  }
  return seconds(options.delayInterval);
}

/**
 * Runs one invocation through the app's programming model exactly as the Node worker does:
 * getArguments → preInvocation hooks → invokeFunction → postInvocation hooks → getResponse.
 * Tracks what is in flight so the host can tell when it is idle and drain on shutdown.
 */
export class Invoker {
  readonly appHookData: Record<string, unknown> = {};
  #inFlight = 0;
  #waiters: (() => void)[] = [];

  constructor(
    private readonly registry: Registry,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly timeoutMs: number | undefined,
  ) {}

  /**
   * Why a function cannot run here (a binding devhost does not implement), by function. Its invocations fail with
   * that reason whoever starts them (a trigger, the Durable engine, the admin API), so nothing it would have read
   * or written is silently missing.
   */
  readonly unsupported = new Map<RegisteredFunction, string>();

  /** The storage bindings (the host sets them once storage is up): blob inputs are read before each invocation. */
  bindings: StorageBindings | undefined;

  /** Writes an invocation's output bindings, for callers that do not write them themselves: the Durable engine's activities. */
  writeOutputs(fn: RegisteredFunction, response: RpcInvocationResponse): Promise<void> {
    return this.bindings ? this.bindings.apply(fn, response) : Promise.resolve();
  }

  /**
   * Invokes `fn` and writes its output bindings, as a trigger does with each message or blob: the error of
   * either step, or undefined when both went through. A failed write is logged with the invocation it follows.
   */
  async invokeAndWrite(fn: RegisteredFunction, input: InvocationInput): Promise<Error | undefined> {
    const result = await this.invoke(fn, input);
    if (!result.ok) return result.error;
    try {
      await this.writeOutputs(fn, result.response);
      return undefined;
    } catch (error) {
      this.logger.error(`writing output bindings failed: ${(error as Error).message}`, {
        functionName: fn.metadata.name,
        invocationId: result.invocationId,
      });
      return error as Error;
    }
  }

  /** Blob input bindings, read from storage with the invocation's binding data. */
  async #blobInputs(fn: RegisteredFunction, data: BindingData): Promise<NonNullable<InvocationInput['inputData']>> {
    const blobs = Object.entries(fn.metadata.bindings).filter(([, b]) => b.direction === 'in' && b.type?.toLowerCase() === 'blob');
    if (blobs.length === 0 || !this.bindings) return [];
    return Promise.all(
      blobs.map(async ([name, b]) => ({ name, data: await this.bindings!.readInput(b, data, `${fn.metadata.name}: blob input ${name}`) })),
    );
  }

  /** Values of input bindings by type (the `durableClient` binding, say), added to every invocation that declares one. */
  readonly inputProviders = new Map<string, () => RpcTypedData>();

  #inputs(fn: RegisteredFunction, input: InvocationInput): InvocationInput {
    if (this.inputProviders.size === 0) return input;
    const extra = Object.entries(fn.metadata.bindings)
      .filter(([, b]) => b.direction === 'in' && !/trigger$/i.test(b.type ?? '') && this.inputProviders.has(b.type ?? ''))
      .map(([name, b]) => ({ name, data: this.inputProviders.get(b.type!)!() }));
    return extra.length ? { ...input, inputData: [...(input.inputData ?? []), ...extra] } : input;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves when nothing is running. */
  drained(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Counts `work` as in flight, so `drained()` and the host's idle check wait for it too. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await work();
    } finally {
      if (--this.#inFlight === 0) this.#waiters.splice(0).forEach((w) => w());
    }
  }

  /** Emits a log record through the app's log hooks, then to the host log. */
  emitLog(
    level: RpcLogLevel,
    category: RpcLogCategory,
    message: string,
    fn?: string,
    invocationId?: string,
    invocationContext?: unknown,
  ): void {
    const hookCtx: Record<string, unknown> = { hookData: {}, level, category, message, invocationContext };
    for (const hook of this.registry.hooks.log) {
      try {
        hook(hookCtx);
      } catch (error) {
        this.logger.error(`log hook failed: ${asError(error).message}`);
      }
    }
    this.logger.log(String(hookCtx.level), String(hookCtx.message), { functionName: fn, invocationId }, category);
  }

  async invoke(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationResult> {
    const invocationId = randomUUID();
    const name = fn.metadata.name;
    this.#inFlight++;
    const started = performance.now();
    let invocationContext: unknown;
    const coreCtx: CoreInvocationContext = {
      invocationId,
      request: { invocationId, functionId: fn.id, ...this.#inputs(fn, input) },
      metadata: fn.metadata,
      log: (level, category, message) => this.emitLog(level, category, message, name, invocationId, invocationContext),
    };
    const reason = input.retryContext ? ` (retry ${input.retryContext.retryCount} of ${input.retryContext.maxRetryCount})` : '';
    this.logger.debug(`Executing '${name}'${reason}`, { functionName: name, invocationId });
    try {
      const unsupported = this.unsupported.get(fn);
      if (unsupported) throw new Error(`${unsupported}: the invocation fails rather than run without it`);
      // Only blob paths read binding data; building it parses the trigger's JSON, which for an orchestration is its history.
      let data: BindingData | undefined;
      if (usesBlobs(fn)) {
        const [triggerName, trigger] = Object.entries(fn.metadata.bindings).find(([, b]) => /trigger$/i.test(b.type ?? '')) ?? [];
        data = bindingData(String(trigger?.type ?? ''), input.inputData?.find((d) => d.name === triggerName)?.data, input.triggerMetadata);
        const blobs = await this.#blobInputs(fn, data);
        if (blobs.length) coreCtx.request.inputData = [...(coreCtx.request.inputData ?? []), ...blobs];
      }
      const model = this.registry.programmingModel;
      if (!model) throw new Error('the app never set a programming model (is "@azure/functions" installed in the app?)');
      const invocationModel = await model.getInvocationModel(coreCtx);
      const { context, inputs } = await invocationModel.getArguments();
      invocationContext = context;
      const hookData: Record<string, unknown> = {};
      coreCtx.state = 'preInvocationHooks';
      const pre: Record<string, unknown> = {
        hookData,
        appHookData: this.appHookData,
        invocationContext: context,
        inputs,
        functionCallback: fn.callback,
      };
      for (const hook of this.registry.hooks.preInvocation) await hook(pre);
      coreCtx.state = 'invocation';
      let result: unknown;
      let error: unknown;
      try {
        result = await this.#withTimeout(
          invocationModel.invokeFunction(context, pre.inputs as unknown[], pre.functionCallback as RegisteredFunction['callback']),
          name,
        );
      } catch (e) {
        error = e;
      }
      coreCtx.state = 'postInvocationHooks';
      const post: Record<string, unknown> = {
        hookData,
        appHookData: this.appHookData,
        invocationContext: context,
        inputs: pre.inputs,
        result,
        error,
      };
      for (const hook of this.registry.hooks.postInvocation) await hook(post);
      coreCtx.state = undefined;
      if (post.error !== undefined && post.error !== null) throw post.error;
      const response = await invocationModel.getResponse(context, post.result);
      if (data) responseBindingData.set(response, data);
      this.logger.debug(`Executed '${name}' (Succeeded, Duration=${Math.round(performance.now() - started)}ms)`, {
        functionName: name,
        invocationId,
      });
      return { ok: true, invocationId, response };
    } catch (e) {
      const error = asError(e);
      this.logger.error(
        `Executed '${name}' (Failed, Duration=${Math.round(performance.now() - started)}ms)\n${error.stack ?? error.message}`,
        {
          functionName: name,
          invocationId,
        },
      );
      return { ok: false, invocationId, error };
    } finally {
      coreCtx.state = undefined;
      if (--this.#inFlight === 0) this.#waiters.splice(0).forEach((w) => w());
    }
  }

  /**
   * Honours a function-level retry policy (`retryOptions`), passing `retryContext` like the host does.
   * `onDelay` hears when a retry delay starts and ends: a caller waiting out a delay is not busy.
   */
  async invokeWithRetry(
    fn: RegisteredFunction,
    build: () => InvocationInput,
    signal?: AbortSignal,
    onDelay?: (waiting: boolean) => void,
  ): Promise<InvocationResult> {
    const options = fn.metadata.retryOptions;
    let result = await this.invoke(fn, build());
    if (!options) return result;
    const max = Number(options.maxRetryCount ?? 0);
    for (let attempt = 1; !result.ok && (max < 0 || attempt <= max) && !signal?.aborted; attempt++) {
      onDelay?.(true);
      try {
        await this.clock.sleepUntil(this.clock.now() + retryDelayMs(options, attempt), signal);
      } finally {
        onDelay?.(false);
      }
      if (signal?.aborted) break;
      const exception = { message: result.error.message, stackTrace: result.error.stack ?? '', source: fn.metadata.name };
      result = await this.invoke(fn, { ...build(), retryContext: { retryCount: attempt, maxRetryCount: max, exception } });
    }
    return result;
  }

  #withTimeout<T>(work: Promise<T>, name: string): Promise<T> {
    if (!this.timeoutMs) return work;
    const ms = this.timeoutMs;
    let handle: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      handle = setTimeout(
        () => reject(new Error(`Timeout value of ${ms} ms (host.json functionTimeout) was exceeded by function '${name}'`)),
        ms,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(handle));
  }
}
