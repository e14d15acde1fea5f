/**
 * The message delivery jobs, built from the ports they need (`createDeliveryJobs`), so a unit test runs
 * them on fakes and the app on the real adapters (`deliveryWiring.ts`): audience resolution, Teams and
 * email batches and their poison ends, occurrence starts and resends, and progress.
 */
import type { BatchMessage } from '../../core/hops.js';
import { batchRef, createBatchWorker } from './deliverBatch.js';
import type { DeliveryPorts } from './deliveryPorts.js';
import { createMessageSenders } from './messageSenders.js';
import { createOccurrenceStarts } from './occurrenceStarts.js';
import { createProgress } from './progress.js';
import { createAudienceResolution } from './resolveAudience.js';

type Log = (message: string) => void;

export function createDeliveryJobs(ports: DeliveryPorts) {
  const worker = createBatchWorker(ports);
  const { messageSender } = createMessageSenders(ports);
  return {
    ...createAudienceResolution(ports),
    ...createOccurrenceStarts(ports),
    ...createProgress(ports),
    deliverBatch: (channel: 'teams' | 'email', job: BatchMessage, log: Log) =>
      worker.deliverBatch(job, messageSender(channel, batchRef(job)), log),
    failBatch: (channel: 'teams' | 'email', job: BatchMessage, reason: string, log: Log) => worker.failBatch(channel, job, reason, log),
  };
}
