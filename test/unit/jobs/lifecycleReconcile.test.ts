// The reconciler on in-memory ports: what it marks, what it writes again, what it leaves alone, and that
// one message it cannot check does not stop the rest.
import { expect, test } from 'vitest';
import type { ReconcileEntry } from '../../../adapters/stores/messageStore.js';
import type { CommittedCounts } from '../../../core/counterShards.js';
import type { LifecycleEnded } from '../../../core/records.js';
import { emptyCounts } from '../../../core/reportMath.js';
import { createReconciler } from '../../../jobs/lifecycleReconcile.js';

const NOW = Date.parse('2030-01-10T00:00:00Z');
const ended = (instance: string): LifecycleEnded => ({
  runtimeStatus: 'Terminated',
  reason: `its lifecycle orchestration ${instance} was terminated`,
  at: new Date(NOW).toISOString(),
});

function world(entries: ReconcileEntry[], behind: string[]) {
  const marked: [string, LifecycleEnded][] = [];
  const asked: string[] = [];
  let since = '';
  const reconciler = createReconciler({
    messages: {
      async *toReconcile(from) {
        since = from;
        yield* entries;
      },
      markLifecycleEnded: async (_tenant, id, e) => void marked.push([id, e]),
    },
    committedCounts: async (tenantId, messageId): Promise<CommittedCounts | undefined> => {
      if (messageId === 'broken') throw new Error('storage hiccup');
      return { tenantId, messageId, totals: { counts: emptyCounts(), versions: { w: 3 } }, months: new Map() };
    },
    repairCopy: async (c) => behind.includes(c.messageId),
    now: () => NOW,
  });
  const probe = async (instance: string) => {
    asked.push(instance);
    return instance.startsWith('dead') ? ended(instance) : undefined;
  };
  return { reconciler, probe, marked, asked, since: () => since };
}

test('marks messages under way whose lifecycle ended, writes behind copies again, and says what it did', async () => {
  const w = world(
    [
      { tenant: 't1', id: 'm1', status: 'Active', lifecycle: 'dead-1', lifecycleEnded: false },
      { tenant: 't1', id: 'm2', status: 'Scheduled', lifecycle: 'live-2', lifecycleEnded: false },
      // Marked before: not asked again.
      { tenant: 't1', id: 'm3', status: 'PendingApproval', lifecycle: 'dead-3', lifecycleEnded: true },
      // Finished: its lifecycle is not asked about, its copy still is.
      { tenant: 't2', id: 'm4', status: 'Delivered', lifecycle: 'dead-4', lifecycleEnded: false },
    ],
    ['m2', 'm4'],
  );
  const lines: string[] = [];
  const repairs = await w.reconciler.reconcile(w.probe, (line) => lines.push(line));

  expect(repairs).toEqual({
    checked: 4,
    stranded: ['t1/m1: its lifecycle orchestration dead-1 was terminated'],
    reports: ['t1/m2', 't2/m4'],
    errors: [],
  });
  expect(w.marked).toEqual([['m1', ended('dead-1')]]);
  expect(w.asked).toEqual(['dead-1', 'live-2']);
  expect(w.since()).toBe('2030-01-08T00:00:00.000Z');
  expect(lines[0]).toBe(
    'reconciler: message t1/m1 is Active but its lifecycle orchestration dead-1 was terminated; marked, so it can be cancelled and deleted',
  );
});

test('a message that cannot be checked is reported and the others are still checked', async () => {
  const w = world(
    [
      { tenant: 't1', id: 'broken', status: 'Active', lifecycle: 'live-1', lifecycleEnded: false },
      { tenant: 't1', id: 'm2', status: 'Active', lifecycle: 'dead-2', lifecycleEnded: false },
    ],
    [],
  );
  const repairs = await w.reconciler.reconcile(w.probe, () => undefined);
  expect(repairs.errors).toEqual(['t1/broken: storage hiccup']);
  expect(repairs.stranded).toHaveLength(1);
});
