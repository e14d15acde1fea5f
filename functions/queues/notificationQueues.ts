/**
 * Custom notification delivery on queues: `resolve-notification` turns a notification into batches of
 * devices, `deliver-push` sends a batch through FCM and APNs (the shared batch worker with the push
 * sender), and each poison queue records what could not be done instead of dropping it.
 */
import { app } from '@azure/functions';
import { z } from 'zod';
import { batchRef, deliverBatch, failBatch } from '../../jobs/delivery/deliverBatch.js';
import { deliverQueue } from '../../jobs/delivery/occurrences.js';
import { pushSender } from '../../jobs/push/pushSender.js';
import { failNotification, resolveNotification } from '../../jobs/push/resolveNotification.js';
import { RESOLVE_NOTIFICATION_QUEUE } from '../../jobs/push/sendNotification.js';

const Ref = z.object({ tenantId: z.string(), notificationId: z.string() });
const Batch = z.object({
  tenantId: z.string(),
  messageId: z.string(),
  occurrence: z.number().int().min(0),
  batch: z.number().int().min(0),
  notBefore: z.number().optional(),
});

app.storageQueue('resolveNotification', {
  queueName: RESOLVE_NOTIFICATION_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: async (body, context) => {
    await resolveNotification(Ref.parse(body), (m) => context.log(m));
  },
});

app.storageQueue('resolveNotificationPoison', {
  queueName: `${RESOLVE_NOTIFICATION_QUEUE}-poison`,
  connection: 'AzureWebJobsStorage',
  handler: async (body, context) => {
    await failNotification(Ref.parse(body), 'the devices could not be resolved after repeated attempts (poison queue); see the logs', (m) =>
      context.log(m),
    );
  },
});

app.storageQueue('deliverPush', {
  queueName: deliverQueue('push'),
  connection: 'AzureWebJobsStorage',
  handler: async (body, context) => {
    const job = Batch.parse(body);
    await deliverBatch(job, pushSender(batchRef(job)), (m) => context.log(m));
  },
});

app.storageQueue('deliverPushPoison', {
  queueName: `${deliverQueue('push')}-poison`,
  connection: 'AzureWebJobsStorage',
  handler: async (body, context) => {
    await failBatch('push', Batch.parse(body), 'delivery kept failing and was given up (poison queue)', (m) => context.log(m));
  },
});
