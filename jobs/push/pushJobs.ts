/**
 * The custom notification jobs, built from the ports they need (`createPushJobs`), so a unit test runs
 * them on fakes and the app on the real adapters (`pushWiring.ts`): sending, resolving into device
 * batches, and the batches themselves on the shared batch worker with the push sender.
 */
import type { Directory } from '../../core/directory.js';
import type { BatchMessage } from '../../core/hops.js';
import type { PushContent, PushOutcome, PushTarget } from '../../adapters/services/pushProviders.js';
import type * as deviceStore from '../../adapters/stores/deviceStore.js';
import type * as notificationStore from '../../adapters/stores/notificationStore.js';
import type { admitSend } from '../../adapters/stores/sendLimitStore.js';
import { batchRef, createBatchWorker } from '../delivery/deliverBatch.js';
import type { BatchWorkerPorts, DeliveryRecords } from '../delivery/deliveryPorts.js';
import { createNotificationSends } from './notificationSends.js';
import { createPushSender } from './pushSender.js';
import { createNotificationResolution } from './resolveNotification.js';

export interface PushPorts extends BatchWorkerPorts {
  deliveries: Pick<
    DeliveryRecords,
    'startOccurrence' | 'updateOccurrence' | 'writeBatch' | 'readBatch' | 'commitBatch' | 'getOccurrence' | 'batchSummary'
  >;
  notifications: Pick<
    typeof notificationStore,
    'getNotification' | 'createNotification' | 'setIdRanges' | 'setRangeBatches' | 'setBatches'
  >;
  devices: Pick<typeof deviceStore, 'getDevice' | 'pushableDevicesIn' | 'markStale'>;
  directory: Pick<Directory, 'groupMembers'>;
  /** The hourly send limits (adapters/stores/sendLimitStore). */
  admitSend: typeof admitSend;
  /** FCM and APNs at once: one outcome per target id, `dead` for a token that will never work again. */
  sendPush(content: PushContent, targets: readonly PushTarget[]): Promise<Map<string, PushOutcome>>;
}

type Log = (message: string) => void;

export function createPushJobs(ports: PushPorts) {
  const worker = createBatchWorker(ports);
  const pushSender = createPushSender(ports);
  return {
    ...createNotificationSends(ports),
    ...createNotificationResolution(ports),
    deliverBatch: (job: BatchMessage, log: Log) => worker.deliverBatch(job, pushSender(batchRef(job)), log),
    failBatch: (job: BatchMessage, reason: string, log: Log) => worker.failBatch('push', job, reason, log),
  };
}
