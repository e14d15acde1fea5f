/**
 * The clock devhost shares with the app it hosts: `globalThis[Symbol.for(HOST_CLOCK_KEY)]`. An app reads its
 * time there when it is set (virtual time under `--clock test`) and from `Date.now()` otherwise, so the app
 * needs no runtime dependency on devhost, only this shape.
 */
export const HOST_CLOCK_KEY = 'azure-functions-devhost.clock';

export interface HostClock {
  readonly mode: 'real' | 'test';
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
}
