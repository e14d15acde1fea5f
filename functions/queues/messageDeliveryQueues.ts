/**
 * Delivery queues (DESIGN §4): `resolve-audience` turns an occurrence into batches; `deliver-teams` and
 * `deliver-email` each deliver one batch; their poison queues record what could not be delivered as
 * failed. When an occurrence has an outcome for every recipient, the message's lifecycle hears of it.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { messageStore } from '../../adapters/stores/messageStore.js';
import { batchRef, deliverBatch, failBatch, messageSender, type PushChannel } from '../../jobs/delivery/deliverBatch.js';
import { deliverQueue, RESOLVE_QUEUE, type OccurrenceRef } from '../../jobs/delivery/occurrences.js';
import { failResolution, resolveAudience } from '../../jobs/delivery/resolveAudience.js';
import { OCCURRENCE_DELIVERED_EVENT } from '../../workflows/messageLifecycle.js';

const Ref = z.object({
  tenantId: z.string().min(1),
  messageId: z.string().min(1),
  occurrence: z.number().int().min(0),
});
const Batch = Ref.extend({ batch: z.number().int().min(0), notBefore: z.number().optional() });

async function announceDelivered(client: df.DurableClient, ref: OccurrenceRef, context: InvocationContext) {
  const message = await messageStore().get(ref.tenantId, ref.messageId);
  if (!message?.lifecycle) return;
  try {
    await client.raiseEvent(message.lifecycle, OCCURRENCE_DELIVERED_EVENT, { occurrence: ref.occurrence });
  } catch (error) {
    // The lifecycle has ended (cancelled, expired): nobody waits for this any more.
    context.log(`message ${ref.messageId}: lifecycle ${message.lifecycle} did not take the delivered event: ${(error as Error).message}`);
  }
}

df.app.client.storageQueue('resolveAudience', {
  queueName: RESOLVE_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: async (body: unknown, client, context) => {
    const ref = Ref.parse(body);
    if (await resolveAudience(ref, (m) => context.log(m))) await announceDelivered(client, ref, context);
  },
});

df.app.client.storageQueue('resolveAudiencePoison', {
  queueName: `${RESOLVE_QUEUE}-poison`,
  connection: 'AzureWebJobsStorage',
  handler: async (body: unknown, _client, context) => {
    const ref = Ref.parse(body);
    await failResolution(ref, 'the audience could not be resolved after repeated attempts (poison queue); see the logs', (m) =>
      context.log(m),
    );
  },
});

for (const channel of ['teams', 'email'] as const satisfies PushChannel[]) {
  df.app.client.storageQueue(`deliver${channel === 'teams' ? 'Teams' : 'Email'}`, {
    queueName: deliverQueue(channel),
    connection: 'AzureWebJobsStorage',
    handler: async (body: unknown, client, context) => {
      const job = Batch.parse(body);
      const result = await deliverBatch(job, messageSender(channel, batchRef(job)), (m) => context.log(m));
      if (result.occurrenceDelivered) await announceDelivered(client, job, context);
    },
  });
  df.app.client.storageQueue(`deliver${channel === 'teams' ? 'Teams' : 'Email'}Poison`, {
    queueName: `${deliverQueue(channel)}-poison`,
    connection: 'AzureWebJobsStorage',
    handler: async (body: unknown, client, context) => {
      const job = Batch.parse(body);
      const result = await failBatch(channel, job, 'delivery kept failing and was given up (poison queue)', (m) => context.log(m));
      if (result.occurrenceDelivered) await announceDelivered(client, job, context);
    },
  });
}
