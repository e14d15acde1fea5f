/** The reconciler on the real stores: the one place it is wired, for its timer. */
import { now } from '../adapters/runtime/clock.js';
import { committedCounts } from '../adapters/stores/counterRows.js';
import { messageStore } from '../adapters/stores/messageStore.js';
import { repairCopy } from '../adapters/stores/reportStore.js';
import { createReconciler } from './lifecycleReconcile.js';

export const reconciler = createReconciler({
  // Looked up at each call: the store reads its connection setting, which need not be set when this loads.
  messages: {
    toReconcile: (since) => messageStore().toReconcile(since),
    markLifecycleEnded: (tenant, id, ended) => messageStore().markLifecycleEnded(tenant, id, ended),
  },
  committedCounts,
  repairCopy,
  now,
});
