// host.json maxConcurrentActivityFunctions: 2 — never more than two activities at once, while several
// orchestration instances progress side by side. Fixture: durable/concurrency (activities of 150 ms that
// record when they ran; GET /api/stats reports them).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

let host: TestHost;

beforeAll(async () => {
  host = await startHost({ app: 'test/fixtures/durable/concurrency' });
});

afterAll(async () => {
  await host?.stop();
});

type Run = { instance: string; step: number; start: number; end: number; concurrent: number };

/** The most intervals open at one moment (an interval ending at t does not overlap one starting at t). */
function maxOverlap(runs: Run[]): number {
  const points = runs.flatMap((r) => [
    { t: r.start, d: 1 },
    { t: r.end, d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let max = 0;
  for (const p of points) max = Math.max(max, (open += p.d));
  return max;
}

test('at most two activities run at once while four instances progress in parallel', async () => {
  await host.fetch('/api/stats', { method: 'DELETE' });
  const ids = ['conc-a', 'conc-b', 'conc-c', 'conc-d'];
  await Promise.all(
    ids.map(async (id) =>
      expect((await host.fetch(`/runtime/webhooks/durabletask/orchestrators/batch/${id}`, { method: 'POST' })).status).toBe(202),
    ),
  );
  await host.idle();

  for (const id of ids) {
    const status = (await (await host.fetch(`/runtime/webhooks/durabletask/instances/${id}`)).json()) as {
      runtimeStatus: string;
      output: unknown;
    };
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: [0, 1, 2, 3].map((s) => `${id}/${s}`) });
  }
  const stats = (await (await host.fetch('/api/stats')).json()) as { running: number; maxRunning: number; runs: Run[] };
  expect(stats.runs).toHaveLength(16);
  expect(stats.running).toBe(0);
  // The limit is reached (there is always work for two) and never passed.
  expect(stats.maxRunning).toBe(2);
  expect(maxOverlap(stats.runs)).toBe(2);
  // Sixteen activities of 150 ms, two at a time: at least eight rounds.
  const first = Math.min(...stats.runs.map((r) => r.start));
  const last = Math.max(...stats.runs.map((r) => r.end));
  expect(last - first).toBeGreaterThanOrEqual(8 * 150 - 20);
  // Side by side: every instance had started work before the first one to finish was done.
  const finished = Math.min(...ids.map((id) => Math.max(...stats.runs.filter((r) => r.instance === id).map((r) => r.end))));
  for (const id of ids) expect(Math.min(...stats.runs.filter((r) => r.instance === id).map((r) => r.start))).toBeLessThan(finished);
});

test('one instance fanning out eight wide is held to the limit at every moment', async () => {
  await host.fetch('/api/stats', { method: 'DELETE' });
  const res = await host.fetch('/runtime/webhooks/durabletask/orchestrators/wide/wide-8', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '8',
  });
  expect(res.status).toBe(202);
  // Look while it runs, too.
  const seen: number[] = [];
  const deadline = Date.now() + 20_000;
  for (;;) {
    const stats = (await (await host.fetch('/api/stats')).json()) as { running: number; runs: Run[] };
    seen.push(stats.running);
    if (stats.runs.length === 8) break;
    expect(Date.now()).toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(Math.max(...seen)).toBeLessThanOrEqual(2);
  await host.idle();
  const status = (await (await host.fetch('/runtime/webhooks/durabletask/instances/wide-8')).json()) as { output: unknown };
  expect(status.output).toEqual(Array.from({ length: 8 }, (_, s) => `wide-8/${s}`));
  const stats = (await (await host.fetch('/api/stats')).json()) as { maxRunning: number; runs: Run[] };
  expect(stats.maxRunning).toBe(2);
  expect(maxOverlap(stats.runs)).toBe(2);
  expect(Math.max(...stats.runs.map((r) => r.end)) - Math.min(...stats.runs.map((r) => r.start))).toBeGreaterThanOrEqual(4 * 150 - 20);
});
