/**
 * Custom notification delivery on queues: `resolve-notification` turns a notification into batches of
 * devices, `deliver-push` sends a batch through FCM and APNs (the shared batch worker with the push
 * sender), and each poison queue records what could not be done instead of dropping it.
 */
import { DELIVER_PUSH, RESOLVE_NOTIFICATION } from '../../core/hops.js';
import { pushJobs } from '../../jobs/push/pushWiring.js';
import { onQueue } from './queueTriggers.js';

onQueue('resolveNotification', RESOLVE_NOTIFICATION, async (ref, log) => {
  await pushJobs.resolveNotification(ref, log);
});

onQueue(
  'resolveNotificationPoison',
  RESOLVE_NOTIFICATION,
  (ref, log) =>
    pushJobs.failNotification(ref, 'the devices could not be resolved after repeated attempts (poison queue); see the logs', log),
  true,
);

onQueue('deliverPush', DELIVER_PUSH, async (job, log) => {
  await pushJobs.deliverBatch(job, log);
});

onQueue(
  'deliverPushPoison',
  DELIVER_PUSH,
  async (job, log) => {
    await pushJobs.failBatch(job, 'delivery kept failing and was given up (poison queue)', log);
  },
  true,
);
