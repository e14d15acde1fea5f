/**
 * Actionable email delivery on its queue: `deliver-actionable` sends one batch of an actionable email's
 * named recipients (the shared batch worker with the actionable sender); its poison queue records what
 * could not be sent instead of dropping it.
 */
import { DELIVER_ACTIONABLE } from '../../core/hops.js';
import { actionableJobs } from '../../jobs/actionable/actionableWiring.js';
import { onQueue } from './queueTriggers.js';

onQueue('deliverActionable', DELIVER_ACTIONABLE, async (job, log) => {
  await actionableJobs.deliverBatch(job, log);
});

onQueue(
  'deliverActionablePoison',
  DELIVER_ACTIONABLE,
  async (job, log) => {
    await actionableJobs.failBatch(job, 'delivery kept failing and was given up (poison queue)', log);
  },
  true,
);
