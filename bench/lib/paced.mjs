// An open-loop load generator: operation i starts at t0 + i / rate whether or not earlier ones have answered,
// as devices polling on their own timers would. A closed loop (N clients, each waiting for its answer) slows
// down with the server and hides its worst latencies (coordinated omission); this one does not.
import { Agent, get } from 'node:http';

/** Nearest-rank percentile of an ascending array. */
export function percentileOf(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** p50/p95/p99/max and count of latencies (ms). */
export function latencySummary(ms) {
  const sorted = Float64Array.from(ms).sort();
  return {
    n: sorted.length,
    p50: percentileOf(sorted, 50),
    p95: percentileOf(sorted, 95),
    p99: percentileOf(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

/**
 * Starts `op(i)` `rate` times a second for `seconds`. `op` resolves to `{ ok, tag? }` (a rejection counts
 * as an error). Returns every sample (`ms` from the call to the answer, `lag` from the planned start to the
 * call: the load generator's own delay, which should stay near 0; `at` when it was sent, ms from the start), the
 * offered and achieved rates, and errors.
 */
export async function paced({ rate, seconds, op }) {
  const total = Math.max(1, Math.round(rate * seconds));
  const samples = [];
  const pending = new Set();
  const errors = new Map();
  const t0 = performance.now();
  let lastStart = t0;
  let lastEnd = t0;
  const start = (i) => {
    const planned = t0 + (1000 * i) / rate;
    const began = performance.now();
    lastStart = began;
    const done = Promise.resolve()
      .then(() => op(i))
      .then(
        (result) => {
          const end = performance.now();
          lastEnd = Math.max(lastEnd, end);
          samples.push({ at: began - t0, ms: end - began, lag: began - planned, ok: result.ok, tag: result.tag, status: result.status });
          if (!result.ok) errors.set(String(result.status), (errors.get(String(result.status)) ?? 0) + 1);
        },
        (error) => {
          lastEnd = Math.max(lastEnd, performance.now());
          samples.push({ at: began - t0, ms: performance.now() - began, lag: began - planned, ok: false });
          const key = error?.code ?? error?.message ?? String(error);
          errors.set(key, (errors.get(key) ?? 0) + 1);
        },
      )
      .finally(() => pending.delete(done));
    pending.add(done);
  };
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
    while (i < due) start(i++);
    if (i < total) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  const okCount = samples.filter((s) => s.ok).length;
  return {
    samples,
    offered: total / ((lastStart - t0) / 1000 + 1 / rate),
    achieved: okCount / ((lastEnd - t0) / 1000),
    errors: Object.fromEntries(errors),
    errorCount: samples.length - okCount,
    seconds: (lastEnd - t0) / 1000,
  };
}

/**
 * A GET over keep-alive connections that resolves when the whole body is in: `{ status, body }` (text).
 * One agent per target, with room for every request a paced run can have in flight.
 */
export function httpGetter(origin, { maxSockets = 256 } = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const base = new URL(origin);
  const fetchText = (path, headers = {}) =>
    new Promise((resolve, reject) => {
      const req = get({ agent, hostname: base.hostname, port: base.port, path, headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  return { get: fetchText, close: () => agent.destroy() };
}
