/**
 * Message delivery on queues (docs/delivery.md): `resolve-audience` turns an occurrence into batches;
 * `deliver-teams` and `deliver-email` each deliver one batch; their poison queues record what could not
 * be delivered as failed. When an occurrence has an outcome for every recipient, the message's lifecycle
 * hears of it.
 */
import { DELIVER_EMAIL, DELIVER_TEAMS, RESOLVE_AUDIENCE, type OccurrenceRef } from '../../core/hops.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import { deliveryJobs } from '../../jobs/delivery/deliveryWiring.js';
import { announceDelivered } from '../../workflows/lifecycleClient.js';
import type { DurableClient } from 'durable-functions';
import { onQueueWithClient } from './queueTriggers.js';

const delivered = async (client: DurableClient, ref: OccurrenceRef, log: (line: string) => void) =>
  announceDelivered(client, await messageStore().get(ref.tenantId, ref.messageId), ref, log);

// The first run's batch 0 and the rest of the resolution go through output bindings: this host's listeners
// on those queues poll at once, so the first recipients wait neither for the whole directory nor for a poll.
onQueueWithClient(
  'resolveAudience',
  RESOLVE_AUDIENCE,
  async (ref, client, log, handOn) => {
    const { delivered: done, handOn: next } = await deliveryJobs.resolveAudience(ref, log);
    for (const { hop, batch } of next.deliver) handOn(hop, batch);
    if (next.rest) handOn(RESOLVE_AUDIENCE, next.rest);
    if (done) await delivered(client, ref, log);
  },
  false,
  [DELIVER_TEAMS, DELIVER_EMAIL, RESOLVE_AUDIENCE],
);

onQueueWithClient(
  'resolveAudiencePoison',
  RESOLVE_AUDIENCE,
  (ref, _client, log) =>
    deliveryJobs.failResolution(ref, 'the audience could not be resolved after repeated attempts (poison queue); see the logs', log),
  true,
);

for (const [channel, hop, name] of [
  ['teams', DELIVER_TEAMS, 'deliverTeams'],
  ['email', DELIVER_EMAIL, 'deliverEmail'],
] as const) {
  onQueueWithClient(name, hop, async (job, client, log) => {
    const result = await deliveryJobs.deliverBatch(channel, job, log);
    if (result.occurrenceDelivered) await delivered(client, job, log);
  });
  onQueueWithClient(
    `${name}Poison`,
    hop,
    async (job, client, log) => {
      const result = await deliveryJobs.failBatch(channel, job, 'delivery kept failing and was given up (poison queue)', log);
      if (result.occurrenceDelivered) await delivered(client, job, log);
    },
    true,
  );
}
