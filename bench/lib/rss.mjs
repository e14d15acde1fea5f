// Resident memory of processes the benchmarks start, from /proc: sampled at an interval so a phase's own
// peak can be read (the kernel's high-water mark, VmHWM, covers the whole life of the process, set-up
// included, and is reported beside it).
import { readFileSync } from 'node:fs';

/** VmRSS and VmHWM of `pid` in MB, or NaN when /proc cannot tell (the process is gone, not Linux). */
export function memoryMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/**
 * Samples the RSS of each named process every `intervalMs` until `stop()`, which returns, per name, the
 * RSS when sampling started, the peak sampled and the kernel's lifetime high-water mark (all MB).
 */
export function rssSampler(pids, intervalMs = 200) {
  const entries = Object.entries(pids);
  const start = Object.fromEntries(entries.map(([name, pid]) => [name, memoryMb(pid).rss]));
  const peak = { ...start };
  const sample = () => {
    for (const [name, pid] of entries) {
      const { rss } = memoryMb(pid);
      if (rss > peak[name] || Number.isNaN(peak[name])) peak[name] = rss;
    }
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return Object.fromEntries(entries.map(([name, pid]) => [name, { start: start[name], peak: peak[name], hwm: memoryMb(pid).hwm }]));
    },
  };
}
