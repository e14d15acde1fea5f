/** The retention job on the real adapters: the one place it is wired, for the nightly timer. */
import { sweepExports } from '../adapters/stores/exportStore.js';
import { messageStore } from '../adapters/stores/messageStore.js';
import { clicks, counterEvents, deliveryBatches, interactionMarkers, interactionSummaries } from '../adapters/stores/retentionRows.js';
import { getTenantSettings } from '../adapters/stores/tenantSettingsStore.js';
import { createRetentionJob } from './retentionPurge.js';

export const retentionJob = createRetentionJob({
  tenantSettings: getTenantSettings,
  // Looked up at each call: the store reads its connection setting, which need not be set when this loads.
  messages: { get: (tenant, id) => messageStore().get(tenant, id) },
  interactionMarkers,
  interactionSummaries,
  clicks,
  counterEvents,
  deliveries: deliveryBatches,
  sweepExports,
});
