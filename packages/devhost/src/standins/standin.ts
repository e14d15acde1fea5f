import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import type { IdentityIssuer } from '../identity/issuer.js';

/** What a stand-in gets from the host it runs in. */
export interface StandInContext {
  /** The host's own origin, e.g. http://localhost:7071 (known once the host listens). */
  origin: () => string;
  clock: Clock;
  identity: IdentityIssuer;
  /**
   * Where a stand-in keeps what must outlive the process (what it received, the directory it serves), or
   * undefined to keep everything in memory. `DEVHOST_STANDINS_DIR`, else `<app>/.devhost/standins` with disk
   * storage.
   */
  stateDir: string | undefined;
  /** The directory of the app the host runs: where files an app ships for a stand-in are found. */
  appDir: string;
  log: (message: string) => void;
}

/**
 * A local stand-in for a cloud service that cannot be reached here. It speaks that service's HTTP API on
 * the host's port, so the service's real SDK runs unchanged against it.
 */
export interface StandIn {
  readonly name: string;
  /** Answers the request and returns true when it is this stand-in's; false leaves it to the host. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> | boolean;
  close?(): Promise<void> | void;
}
