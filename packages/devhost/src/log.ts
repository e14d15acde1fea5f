import type { RpcLogLevel } from './coreTypes.js';

const ORDER: Record<string, number> = { trace: 0, debug: 1, information: 2, warning: 3, error: 4, critical: 5, none: 6 };
const LABEL: Record<string, string> = {
  trace: 'Trace',
  debug: 'Debug',
  information: 'Information',
  warning: 'Warning',
  error: 'Error',
  critical: 'Critical',
};

export interface LogScope {
  functionName?: string;
  invocationId?: string;
  category?: string;
}

export interface LoggerOptions {
  /** Minimum level for the app's own (user) logs, from host.json `logging.logLevel`. */
  userLevel: string;
  /** Per-function overrides: host.json `logging.logLevel["Function.<name>"]`. */
  functionLevels: Record<string, string>;
  verbose: boolean;
  write?: (line: string) => void;
}

function normalise(level: string): RpcLogLevel {
  const l = level.toLowerCase();
  return (l in ORDER ? l : 'information') as RpcLogLevel;
}

/** One line per record: time, level, [function] [invocation id], message — the shape `func start` prints. */
export class Logger {
  #opts: LoggerOptions;
  #write: (line: string) => void;

  constructor(opts: LoggerOptions) {
    this.#opts = opts;
    this.#write = opts.write ?? ((line) => process.stdout.write(line + '\n'));
  }

  configure(levels: Pick<LoggerOptions, 'userLevel' | 'functionLevels'>): void {
    this.#opts = { ...this.#opts, ...levels };
  }

  get verbose(): boolean {
    return this.#opts.verbose;
  }

  #minimum(scope: LogScope, category: string): number {
    if (this.#opts.verbose) return ORDER.trace!;
    if (category === 'system') return ORDER.information!;
    const fn = scope.functionName && this.#opts.functionLevels[`Function.${scope.functionName}`];
    return ORDER[normalise(fn || this.#opts.userLevel)]!;
  }

  log(level: string, message: string, scope: LogScope = {}, category = 'system'): void {
    const l = normalise(level);
    if (l === 'none' || ORDER[l]! < this.#minimum(scope, category)) return;
    const parts = [new Date().toISOString(), LABEL[l]];
    if (scope.functionName) parts.push(scope.functionName);
    if (scope.invocationId) parts.push(scope.invocationId);
    const prefix = parts.map((p) => `[${p}]`).join(' ');
    this.#write(`${prefix} ${message}`);
  }

  info(message: string, scope?: LogScope): void {
    this.log('information', message, scope);
  }
  warn(message: string, scope?: LogScope): void {
    this.log('warning', message, scope);
  }
  error(message: string, scope?: LogScope): void {
    this.log('error', message, scope);
  }
  debug(message: string, scope?: LogScope): void {
    this.log('debug', message, scope);
  }
}
