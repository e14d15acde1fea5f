/** The actionable email batches on the real adapters: the one place they are wired, for the queue triggers. */
import { actionableEmail, relayedCard } from '../../adapters/rendering/actionableEmail.js';
import { actionToken, actionUrl } from '../../adapters/runtime/actionLinks.js';
import { channelLimiter } from '../../adapters/runtime/rateLimiter.js';
import { sendEmail } from '../../adapters/services/acsEmailSender.js';
import { getSend, getSendContent } from '../../adapters/stores/actionableStore.js';
import type { BatchMessage } from '../../core/hops.js';
import { batchRef, createBatchWorker } from '../delivery/deliverBatch.js';
import { batchWorkerAdapters } from '../delivery/deliveryWiring.js';
import { createActionableSender } from './actionableSender.js';

type Log = (message: string) => void;

const worker = createBatchWorker(batchWorkerAdapters);
const sender = createActionableSender({
  sends: { getSend, getSendContent },
  limiter: channelLimiter,
  relayedCard,
  render: actionableEmail,
  linkFor: (link) => actionUrl(actionToken(link)),
  sendEmail,
});

export const actionableJobs = {
  deliverBatch: (job: BatchMessage, log: Log) => worker.deliverBatch(job, sender(batchRef(job)), log),
  failBatch: (job: BatchMessage, reason: string, log: Log) => worker.failBatch('actionable', job, reason, log),
};
