/**
 * Herald's time source. On Azure it is the system clock; under devhost's test clock it is the host's
 * virtual time, which devhost publishes on a well-known global so schedules can be tested in seconds.
 */
import type { HostClock } from '@herald/devhost/clock';

// The key is spelled here, not imported: devhost is a dev dependency, and only its type reaches the app.
const HOST_CLOCK = Symbol.for('azure-functions-devhost.clock');

export function now(): number {
  const hostClock = (globalThis as Record<symbol, HostClock | undefined>)[HOST_CLOCK];
  return hostClock ? hostClock.now() : Date.now();
}
