import type { OutputBindings } from './bindings/outputs.js';
import type { Clock } from './clock.js';
import type { HostConfig, LocalSettings } from './config.js';
import type { DurableEngine } from './durable/engine.js';
import type { CatalogEntry } from './functionsCatalog.js';
import type { HttpFunctions } from './http/httpFunctions.js';
import type { Keys } from './http/keys.js';
import type { IdentityIssuer } from './identity/issuer.js';
import type { Invoker } from './invoker.js';
import type { Logger } from './log.js';
import type { BlobTrigger } from './triggers/blobTrigger.js';

export type HostState = 'Default' | 'Initialized' | 'Running' | 'Stopping' | 'Stopped';

/** What the admin API reads and drives of a running host; `Host` implements it, the admin API depends only on this. */
export interface HostView {
  readonly state: HostState;
  readonly startedAt: number;
  readonly appDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: HostConfig;
  readonly settings: LocalSettings;
  readonly hostId: string;
  readonly keys: Keys | undefined;
  readonly storage: { connectionString: string; description: string };
  readonly entries: CatalogEntry[];
  readonly invoker: Invoker;
  readonly outputs: OutputBindings;
  readonly http: HttpFunctions;
  readonly blobTriggers: BlobTrigger[];
  readonly identity: IdentityIssuer;
  readonly supplied: Record<string, string>;
  readonly developmentStorage: string[];
  readonly durable: DurableEngine | undefined;
  readonly url: string;
  idle(timeoutMs?: number): Promise<boolean>;
  skipToNextDue(): Promise<number | undefined>;
  advance(ms: number): Promise<number>;
  setTime(time: number): Promise<number>;
}
