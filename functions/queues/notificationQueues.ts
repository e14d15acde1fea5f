/**
 * Custom notification delivery on queues: `resolve-notification` turns a notification into batches of
 * devices, `deliver-push` sends a batch through FCM and APNs (the shared batch worker with the push
 * sender), and each poison queue records what could not be done instead of dropping it.
 */
import { DELIVER_PUSH, RESOLVE_NOTIFICATION } from '../../core/hops.js';
import { batchRef, deliverBatch, failBatch } from '../../jobs/delivery/deliverBatch.js';
import { pushSender } from '../../jobs/push/pushSender.js';
import { failNotification, resolveNotification } from '../../jobs/push/resolveNotification.js';
import { onQueue } from './queueTriggers.js';

onQueue('resolveNotification', RESOLVE_NOTIFICATION, async (ref, log) => {
  await resolveNotification(ref, log);
});

onQueue(
  'resolveNotificationPoison',
  RESOLVE_NOTIFICATION,
  (ref, log) => failNotification(ref, 'the devices could not be resolved after repeated attempts (poison queue); see the logs', log),
  true,
);

onQueue('deliverPush', DELIVER_PUSH, async (job, log) => {
  await deliverBatch(job, pushSender(batchRef(job)), log);
});

onQueue(
  'deliverPushPoison',
  DELIVER_PUSH,
  async (job, log) => {
    await failBatch('push', job, 'delivery kept failing and was given up (poison queue)', log);
  },
  true,
);
