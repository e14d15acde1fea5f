/**
 * Every hour (at :07): the reconciler (jobs/lifecycleReconcile.ts) marks messages whose lifecycle
 * orchestration ended under them and writes again report copies a crash left behind, and logs what it did.
 */
import * as df from 'durable-functions';
import { reconciler } from '../../jobs/reconcileWiring.js';
import { endedLifecycle } from '../../workflows/lifecycleClient.js';

/**
 * Crash leftovers pile up in real time, so the reconciler paces itself on real time too: a test clock that
 * skips days fires the schedule hundreds of times, and each run reads every message under way. Hourly, not
 * more: a cancel or a decision finds an ended orchestration at once by itself (functions/http/messageActions.ts).
 */
const MIN_REAL_GAP_MS = 4 * 60_000;
let lastRealRun = -Infinity;

df.app.client.timer('reconcile', {
  schedule: '0 7 * * * *',
  handler: async (_timer, client, context) => {
    if (Date.now() - lastRealRun < MIN_REAL_GAP_MS) return;
    lastRealRun = Date.now();
    const repairs = await reconciler.reconcile(
      (instanceId, at) => endedLifecycle(client, instanceId, at),
      (line) => context.log(line),
    );
    for (const error of repairs.errors) context.warn(`reconciler: not checked: ${error}`);
    context.log(
      `reconciler: ${repairs.checked} message(s) checked; ${repairs.stranded.length} marked as having lost their lifecycle, ` +
        `${repairs.reports.length} report copies written again`,
    );
  },
});
