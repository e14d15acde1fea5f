import { hostname } from 'node:os';

/** What devhost records on a blob it leases, so a later process can tell whether the holder still runs. */
export function leaseHolder(): Record<string, string> {
  return { hostname: hostname(), pid: String(process.pid) };
}

/**
 * True when a lease's recorded holder is a process on this machine that no longer runs (killed with -9):
 * it will never renew, so a restarted host need not wait the lease out.
 */
export function holderIsGone(metadata: Record<string, string> | undefined): boolean {
  if (!metadata || metadata.hostname !== hostname() || !/^\d+$/.test(metadata.pid ?? '')) return false;
  const pid = Number(metadata.pid);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
