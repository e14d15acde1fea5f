/** The delivery jobs on the real adapters: the one place they are wired, for the queue and timer triggers and the lifecycle. */
import { renderEmail } from '../../adapters/rendering/emailRenderer.js';
import { clickUrl } from '../../adapters/runtime/clickLinks.js';
import { now } from '../../adapters/runtime/clock.js';
import { channelLimiter } from '../../adapters/runtime/rateLimiter.js';
import { emailStatus, submitEmail } from '../../adapters/services/acsEmailSender.js';
import { directory } from '../../adapters/services/graphDirectory.js';
import { sendTeamsBulk } from '../../adapters/services/teamsNotifier.js';
import { count } from '../../adapters/stores/counterStore.js';
import { clearHeld, listHeld, markHeld, noteResumed, stopRequested } from '../../adapters/stores/deliveryControlStore.js';
import {
  batchSummaries,
  batchSummary,
  commitBatch,
  getOccurrence,
  readBatch,
  startOccurrence,
  updateOccurrence,
  writeBatch,
} from '../../adapters/stores/deliveryStore.js';
import { clickedRecipients } from '../../adapters/stores/interactionStore.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import { enqueue } from '../../adapters/stores/storageClients.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import type { DeliveryPorts } from './deliveryPorts.js';
import { createDeliveryJobs } from './deliveryJobs.js';
import { createHeldResume } from './resumeHeld.js';

/** Read at each use: tests may change DELIVERY_LEASE_SECONDS. Renewed while a worker runs, so it can be short. */
const leaseMs = () => (Number(process.env.DELIVERY_LEASE_SECONDS) > 0 ? Number(process.env.DELIVERY_LEASE_SECONDS) : 10) * 1000;

const held = { markHeld, clearHeld, listHeld, noteResumed };

/** What every batch worker runs on, the push jobs' too (`jobs/push/pushWiring.ts`). */
export const batchWorkerAdapters = {
  deliveries: { startOccurrence, getOccurrence, updateOccurrence, writeBatch, readBatch, commitBatch, batchSummary, batchSummaries },
  enqueue,
  counters: { count },
  tenantSettings: getTenantSettings,
  clock: { now, realNow: () => Date.now() },
  leaseMs,
  held,
} satisfies Pick<DeliveryPorts, 'deliveries' | 'enqueue' | 'counters' | 'tenantSettings' | 'clock' | 'leaseMs' | 'held'>;

export const deliveryJobs = createDeliveryJobs({
  ...batchWorkerAdapters,
  // Looked up at each call: the store reads its connection setting, which need not be set when this loads.
  messages: {
    get: (tenant, id) => messageStore().get(tenant, id),
    setOccurrence: (tenant, id, occurrence, nextAt) => messageStore().setOccurrence(tenant, id, occurrence, nextAt),
    dueOccurrences: (at) => messageStore().dueOccurrences(at),
  },
  stops: { stopRequested },
  directory: directory(),
  clickedRecipients,
  limiter: channelLimiter,
  clickUrl,
  renderEmail,
  submitEmail,
  emailStatus,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  sendTeamsBulk,
});

/** For the resume sweep (`functions/timers/deliveryResumeTimer.ts`). */
export const heldResume = createHeldResume(batchWorkerAdapters);
