// Latency figures are only worth reading on an otherwise quiet machine: these helpers wait for another
// benchmark to finish before a timed phase, and say what the load was when it started.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/**
 * Pids of processes one of whose arguments is `pattern` or a path ending in it (`bench/fanout.mjs` matches
 * `node bench/fanout.mjs …`, `vitest` matches `…/.bin/vitest`), never this process. Whole arguments, not
 * `pgrep -f`'s substring of the command line: a shell whose command merely mentions the name (say, in an
 * option of this bench) is not that program.
 */
export function running(pattern) {
  let candidates;
  try {
    candidates = execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches (and is missing on some systems: then nothing is known)
  }
  return candidates.filter((pid) => {
    if (pid === process.pid) return false;
    try {
      const [program, ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      // `flock <lock> node bench/fanout.mjs` waits for the machine's benchmark lock (perhaps held by this very
      // bench): the benchmark runs only once its own node process does. So does a wrapper of that flock
      // (`timeout 600 flock … node bench/fanout.mjs`): a flock before the name means the name is its command.
      const words = [program ?? '', ...args];
      const at = words.findIndex((arg) => arg === pattern || arg.endsWith(`/${pattern}`));
      return at > 0 && !words.slice(0, at).some((arg) => /(^|\/)flock$/.test(arg));
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** The 1-, 5- and 15-minute load averages, as text. */
export const loadText = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');

/**
 * Waits while a process matching one of `patterns` runs, up to `maxWaitMs`; returns how long it waited and
 * whether it gave up (then the figures that follow were taken beside that process).
 */
export async function waitForQuiet(patterns, { maxWaitMs, pollMs = 5000, log = console.log } = {}) {
  const t0 = Date.now();
  let announced = false;
  for (;;) {
    const busy = patterns.flatMap((p) => running(p).map((pid) => `${p} (pid ${pid})`));
    if (busy.length === 0) return { waitedMs: Date.now() - t0, gaveUp: false };
    if (Date.now() - t0 >= maxWaitMs) return { waitedMs: Date.now() - t0, gaveUp: true, busy };
    if (!announced) log(`waiting for ${busy.join(', ')} to finish before measuring (at most ${Math.round(maxWaitMs / 1000)} s)…`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
