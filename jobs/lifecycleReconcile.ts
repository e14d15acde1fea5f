/**
 * The reconciler (hourly, functions/timers/reconcileTimer.ts): repairs what a crash or an
 * operator can leave behind, and says what it repaired.
 * - A message under way (pending approval, scheduled, active) whose lifecycle orchestration ended —
 *   terminated, failed, gone — would never move again: it is marked (`lifecycleEnded`, shown in the message
 *   JSON) so people see why, and cancel applies without the orchestration.
 * - A report copy behind its counters (a crash between a counter commit and its copy) is written again.
 * Messages changed in the last two days are checked too, since their counts may still be settling.
 */
import type { CommittedCounts } from '../core/counterShards.js';
import type { ReconcileEntry } from '../adapters/stores/messageStore.js';
import type { LifecycleEnded } from '../core/records.js';

const RECENT_MS = 2 * 24 * 3_600_000;
const UNDER_WAY = new Set(['PendingApproval', 'Scheduled', 'Active']);

export interface ReconcilePorts {
  messages: {
    toReconcile(since: string): AsyncIterable<ReconcileEntry>;
    markLifecycleEnded(tenant: string, id: string, ended: LifecycleEnded): Promise<void>;
  };
  /** The counters as they stand, for the report copy. */
  committedCounts(tenantId: string, messageId: string): Promise<CommittedCounts | undefined>;
  /** Writes the copy again when it is behind; true when it was. */
  repairCopy(committed: CommittedCounts): Promise<boolean>;
  now(): number;
}

/** How the lifecycle ended, or undefined while it runs (`workflows/lifecycleClient.ts` `endedLifecycle`). */
export type LifecycleProbe = (instanceId: string, at: number) => Promise<LifecycleEnded | undefined>;

export interface Repairs {
  checked: number;
  /** `tenant/message: reason` of each message marked as having lost its lifecycle. */
  stranded: string[];
  /** `tenant/message` of each report copy written again. */
  reports: string[];
  /** What could not be checked, and why; the next run tries again. */
  errors: string[];
}

type Log = (line: string) => void;

export function createReconciler(ports: ReconcilePorts) {
  async function one(entry: ReconcileEntry, probe: LifecycleProbe, repairs: Repairs, log: Log) {
    const name = `${entry.tenant}/${entry.id}`;
    if (UNDER_WAY.has(entry.status) && entry.lifecycle && !entry.lifecycleEnded) {
      const ended = await probe(entry.lifecycle, ports.now());
      if (ended) {
        await ports.messages.markLifecycleEnded(entry.tenant, entry.id, ended);
        repairs.stranded.push(`${name}: ${ended.reason}`);
        log(`reconciler: message ${name} is ${entry.status} but ${ended.reason}; marked, so it can be cancelled and deleted`);
      }
    }
    const committed = await ports.committedCounts(entry.tenant, entry.id);
    if (committed && (await ports.repairCopy(committed))) {
      repairs.reports.push(name);
      log(`reconciler: the report copy of message ${name} was behind its counters; written again`);
    }
  }

  return {
    async reconcile(probe: LifecycleProbe, log: Log): Promise<Repairs> {
      const repairs: Repairs = { checked: 0, stranded: [], reports: [], errors: [] };
      const since = new Date(ports.now() - RECENT_MS).toISOString();
      for await (const entry of ports.messages.toReconcile(since)) {
        repairs.checked++;
        // One message that cannot be checked must not stop the others.
        await one(entry, probe, repairs, log).catch((error: unknown) => {
          repairs.errors.push(`${entry.tenant}/${entry.id}: ${(error as Error).message}`);
        });
      }
      return repairs;
    },
  };
}
