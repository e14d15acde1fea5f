/**
 * Every five minutes: the reconciler (jobs/lifecycleReconcile.ts) marks messages whose lifecycle
 * orchestration ended under them and writes again report copies a crash left behind, and logs what it did.
 */
import * as df from 'durable-functions';
import { reconciler } from '../../jobs/reconcileWiring.js';
import { endedLifecycle } from '../../workflows/lifecycleClient.js';

df.app.client.timer('reconcile', {
  schedule: '0 */5 * * * *',
  handler: async (_timer, client, context) => {
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
