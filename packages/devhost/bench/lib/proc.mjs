// Small Linux helpers for the benchmarks: CPU seconds a process has used (to tell who the bottleneck
// is) and finding the Azurite a connection string points at (to check it is gone afterwards).
// Everything degrades to "unknown" where /proc or pgrep is unavailable.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ; 100 on every Linux we run on

/** user+system CPU seconds used so far by `pid` (itself, not its children), or NaN. */
export function cpuSeconds(pid) {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime (fields 14 and 15)
  } catch {
    return NaN;
  }
}

/**
 * Seconds the main thread of `pid` has spent runnable but waiting for a CPU (/proc/<pid>/schedstat),
 * or NaN. High values mean the machine was short of cores, not that the process was idle.
 */
export function waitSeconds(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return NaN;
  }
}

/**
 * Samples several processes at once; `.since()` returns, for each, the CPU seconds used (`used`) and
 * the seconds its main thread waited for a free core (`waited`) since the meter started.
 */
export function cpuMeter(pids) {
  const entries = Object.entries(pids);
  const start = Object.fromEntries(entries.map(([name, pid]) => [name, [cpuSeconds(pid), waitSeconds(pid)]]));
  const t0 = performance.now();
  return {
    since() {
      const wall = (performance.now() - t0) / 1000;
      const used = Object.fromEntries(entries.map(([name, pid]) => [name, cpuSeconds(pid) - start[name][0]]));
      const waited = Object.fromEntries(entries.map(([name, pid]) => [name, waitSeconds(pid) - start[name][1]]));
      return { wall, used, waited };
    },
  };
}

/** Pids of processes whose command line mentions `--queuePort <port>` of this connection string. */
export function azuritePids(connectionString) {
  const port = /QueueEndpoint=http:\/\/[^:;]+:(\d+)/.exec(connectionString ?? '')?.[1];
  if (!port) return [];
  try {
    return execFileSync('pgrep', ['-f', `queuePort ${port} `], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((pid) => pid !== process.pid);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Warns (without failing the run) if a process we started is still there. */
export async function checkGone(what, pids, graceMs = 3000) {
  const alive = (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + graceMs;
  let left = pids.filter(alive);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = left.filter(alive);
  }
  if (left.length) console.warn(`warning: ${what} still running after the benchmark: pid ${left.join(', ')}`);
  else console.log(`cleanup: ${what} stopped`);
}
