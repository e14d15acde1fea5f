import Module from 'node:module';
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  ProgrammingModel,
  RegisteredFunction,
  RpcLogCategory,
  RpcLogLevel,
} from './coreTypes.js';

/** Worker version we claim; new enough that the library enables log hooks and `coreApi.log`. */
export const WORKER_VERSION = '3.12.0';
export const HOST_VERSION = '4.1040.0';

class Disposable {
  #dispose: (() => unknown) | undefined;
  constructor(callOnDispose: () => unknown) {
    this.#dispose = callOnDispose;
  }
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  dispose(): unknown {
    const d = this.#dispose;
    this.#dispose = undefined;
    return d?.();
  }
}

/** What an app registered while it loaded: its functions, hooks and programming model. */
export class Registry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks: Record<HookName, HookCallback[]> = {
    preInvocation: [],
    postInvocation: [],
    appStart: [],
    appTerminate: [],
    log: [],
  };
  programmingModel: ProgrammingModel | undefined;
  #locked = false;
  /** Where `coreApi.log` (logging outside any invocation) goes. */
  systemLog: (level: RpcLogLevel, category: RpcLogCategory, message: string) => void = () => {};

  lock(): void {
    this.#locked = true;
  }

  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (this.#locked) throw new Error('A function can only be registered during app startup.');
    const id = metadata.functionId || metadata.name;
    if (this.functions.has(id)) throw new Error(`A function with id "${id}" has already been registered.`);
    this.functions.set(id, { id, metadata: { ...metadata, functionId: id }, callback });
    return new Disposable(() => {
      if (this.#locked) throw new Error('A function can only be disposed during app startup.');
      this.functions.delete(id);
    });
  }

  registerHook(name: string, callback: HookCallback): Disposable {
    const list = (this.hooks as Record<string, HookCallback[] | undefined>)[name];
    if (!list) {
      const error = new RangeError(`Unrecognized hook "${name}"`) as RangeError & { isAzureFunctionsSystemError?: boolean };
      error.isAzureFunctionsSystemError = true;
      throw error;
    }
    list.push(callback);
    return new Disposable(() => {
      const i = list.indexOf(callback);
      if (i >= 0) list.splice(i, 1);
    });
  }

  /** The object `require('@azure/functions-core')` returns inside the app. */
  coreModule(): Record<string, unknown> {
    return {
      version: WORKER_VERSION,
      hostVersion: HOST_VERSION,
      registerFunction: (m: FunctionMetadata, cb: FunctionCallback) => this.registerFunction(m, cb),
      registerHook: (n: string, cb: HookCallback) => this.registerHook(n, cb),
      setProgrammingModel: (pm: ProgrammingModel) => {
        this.programmingModel = pm;
      },
      getProgrammingModel: () => this.programmingModel,
      log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => this.systemLog(level, category, message),
      Disposable,
    };
  }
}

/**
 * The Node worker provides `@azure/functions-core` by intercepting `require`, not as a package; we do
 * the same so the real `@azure/functions` library (a CJS bundle, also when the app is ESM) finds it.
 */
export function installCoreModule(registry: Registry): void {
  const core = registry.coreModule();
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  const original = proto.require;
  proto.require = function (this: unknown, id: string) {
    if (id === '@azure/functions-core') return core;
    // eslint-disable-next-line prefer-rest-params
    return original.apply(this, arguments as unknown as [string]);
  };
}
