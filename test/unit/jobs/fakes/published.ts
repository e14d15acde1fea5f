/** A message whose occurrence 0 is resolved into batches of the given sizes, written through the store's own API. */
import type { BatchMessage } from '../../../../core/hops.js';
import type { DraftInput } from '../../../../core/message.js';
import { type Recipient } from '../../../../core/delivery.js';
import { message, TENANT } from './records.js';
import type { deliveryWorld } from './worlds.js';

export const recipient = (i: number): Recipient => ({
  userId: `u${i}`,
  upn: `u${i}@contoso.test`,
  name: `User ${i}`,
  mail: `u${i}@contoso.test`,
});

export async function published(
  world: ReturnType<typeof deliveryWorld>,
  channel: 'teams' | 'email',
  sizes: number[],
  draft: DraftInput = {},
  recipientOf = recipient,
) {
  const m = message({ location: channel, content: { title: 'Security training', body: 'Take the course by Friday.' }, ...draft });
  world.messages.put(TENANT, m);
  const { deliveries, clock } = world;
  await deliveries.startOccurrence(TENANT, m.id, 0, channel, clock.now());
  let next = 0;
  for (const [batch, size] of sizes.entries())
    await deliveries.writeBatch(
      { tenantId: TENANT, messageId: m.id, occurrence: 0, batch },
      channel,
      Array.from({ length: size }, () => recipientOf(next++)),
      clock.now(),
    );
  await deliveries.updateOccurrence(TENANT, m.id, 0, {
    state: 'resolved',
    recipients: next,
    batches: sizes.length,
    batchesWritten: sizes.length,
  });
  const job = (batch: number): BatchMessage => ({ tenantId: TENANT, messageId: m.id, occurrence: 0, batch });
  return { message: m, job };
}
