// Waiting for a quiet machine without waiting on a benchmark that is itself waiting. lib/quiet.mjs
// `waitForQuiet` waits while another benchmark's process exists; two benchmarks that each wait for the other
// then both sit idle until one gives up. Here another benchmark only counts as busy while the machine's CPU,
// less what our own processes use, shows it working.
import { readFileSync } from 'node:fs';
import { cpuSeconds } from '../../packages/devhost/bench/lib/proc.mjs';
import { running } from './quiet.mjs';

const TICKS = 100; // USER_HZ

/** CPU seconds the whole machine has spent busy (not idle or iowait), from /proc/stat; NaN off Linux. */
function machineBusySeconds() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return (user + nice + system + irq + softirq + steal) / TICKS;
  } catch {
    return NaN;
  }
}

/** Starts measuring what everything but `ours` (pids) uses; `since()` answers in cores (1 = one core busy). */
export function othersMeter(ours) {
  const mine = () => ours.reduce((s, pid) => s + (cpuSeconds(pid) || 0), 0);
  const [m0, o0, t0] = [machineBusySeconds(), mine(), performance.now()];
  return { since: () => (machineBusySeconds() - m0 - (mine() - o0)) / ((performance.now() - t0) / 1000) };
}

/** Cores' worth of CPU used by everything but `ours` over the next `ms`. */
export async function othersCores(ours, ms = 3000) {
  const meter = othersMeter(ours);
  await new Promise((r) => setTimeout(r, ms));
  return meter.since();
}

/**
 * Waits, up to `maxWaitMs`, while a process matching one of `patterns` runs and the rest of the machine uses
 * more than `idleCores` (our `ours` pids excluded). Returns how long it waited, whether it gave up, what was
 * running, and the other processes' CPU (cores) when it stopped waiting.
 */
export async function waitForIdle(patterns, { ours, maxWaitMs, idleCores = 0.25, log = console.log }) {
  const t0 = Date.now();
  let announced = false;
  for (;;) {
    const busy = patterns.flatMap((p) => running(p).map((pid) => `${p} (pid ${pid})`));
    if (busy.length === 0) return { waitedMs: Date.now() - t0, gaveUp: false, busy, others: NaN };
    const others = await othersCores(ours);
    if (others <= idleCores) return { waitedMs: Date.now() - t0, gaveUp: false, busy, others };
    if (Date.now() - t0 >= maxWaitMs) return { waitedMs: Date.now() - t0, gaveUp: true, busy, others };
    if (!announced)
      log(
        `waiting for ${busy.join(', ')} (the rest of the machine uses ${others.toFixed(2)} cores) before measuring (at most ${Math.round(maxWaitMs / 1000)} s)…`,
      );
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
