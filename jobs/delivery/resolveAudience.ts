/**
 * Resolves an occurrence's audience into delivery batches: pages through the directory (group by group,
 * transitively, or every user), applies the rule's filters, drops duplicates, people without a mailbox
 * (email) and — on resends — people who clicked the message in the last year, and writes the snapshot in
 * partitions of ≤ 1000 recipients, queuing one delivery message per batch. Run again after a crash it
 * rewrites nothing: batches already written are skipped (the directory pages in a stable order), and a
 * re-queued batch is harmless because its delivery rows are the gate.
 *
 * A resolution runs in two invocations (docs/decisions/hand-offs.md): the first writes batch 0 and stops,
 * handing on that batch and the rest of the resolution (`from: 1`) for the caller to queue through output
 * bindings, which the host's own listeners see at once; the rest queues its batches as it writes them.
 * So the first recipients do not wait for the whole directory, nor for a queue's poll back-off.
 */
import { audienceMembers, targetsUsage, type DirectoryUser } from '../../core/audience.js';
import { BATCH_SIZE, CHANNEL_OF, isPushChannel, type Recipient } from '../../core/delivery.js';
import { DELIVER, type BatchMessage, type BatchRef, type OccurrenceRef, type QueueHop, type ResolutionRef } from '../../core/hops.js';
import { CLICK_SUPPRESSION_MS } from '../../core/eligibility.js';
import { UnknownGroup } from '../../core/directory.js';
import { Audience } from '../../core/message.js';
import type { Clock, DeliveryPorts } from './deliveryPorts.js';
import { createDeliveredCheck } from './progress.js';

const WRITES_IN_FLIGHT = 4;

type Log = (message: string) => void;

export type ResolutionPorts = Pick<
  DeliveryPorts,
  'messages' | 'deliveries' | 'directory' | 'clickedRecipients' | 'tenantSettings' | 'enqueue'
> & {
  clock: Pick<Clock, 'now'>;
};

/** What a run leaves for its caller to queue when it returns: the batches to deliver now, and the rest of the resolution. */
export interface Resolution {
  /** True when the occurrence is fully delivered (an empty audience, or a re-run). */
  delivered: boolean;
  handOn: { deliver: { hop: QueueHop<BatchMessage>; batch: BatchRef }[]; rest?: ResolutionRef };
}

const recipientOf = (u: DirectoryUser): Recipient => ({
  userId: u.id,
  upn: u.userPrincipalName,
  ...(u.displayName ? { name: u.displayName } : {}),
  ...(u.mail ? { mail: u.mail } : {}),
  ...(u.preferredLanguage ? { language: u.preferredLanguage } : {}),
});

export function createAudienceResolution(ports: ResolutionPorts) {
  const { messages, deliveries, directory, enqueue, clock } = ports;
  const { isDelivered } = createDeliveredCheck(ports);

  return {
    /** Resolves the occurrence from batch `ref.from` (0 when unset: then only batch 0, handing on the rest). */
    async resolveAudience(ref: ResolutionRef, log: Log): Promise<Resolution> {
      const { tenantId, messageId, occurrence } = ref;
      const firstBatch = ref.from ?? 0;
      const handOn: Resolution['handOn'] = { deliver: [] };
      const message = await messages.get(tenantId, messageId);
      if (!message || message.status !== 'Active') {
        log(`message ${messageId}: not resolving occurrence ${occurrence}, the message is ${message?.status ?? 'gone'}`);
        return { delivered: false, handOn };
      }
      const channel = CHANNEL_OF[message.draft.location!];
      if (!isPushChannel(channel)) return { delivered: false, handOn };
      const occ = await deliveries.startOccurrence(tenantId, messageId, occurrence, channel, clock.now());
      const occRef: OccurrenceRef = { tenantId, messageId, occurrence };
      if (occ.state === 'resolved') return { delivered: await isDelivered(occRef), handOn };

      const rule = Audience.parse(message.draft.audience ?? {});
      const settings = await ports.tenantSettings(tenantId);
      const ctx = {
        includeGuests: settings.includeGuests,
        now: clock.now(),
        ...(targetsUsage(rule) ? { usage: await directory.usage(tenantId) } : {}),
      };
      // A click keeps the message away for a year, as in the inbox; the year counts back from the occurrence's
      // start, so a re-run after a crash judges at the same instant as the first run.
      const clicked =
        occurrence > 0
          ? await ports.clickedRecipients(tenantId, messageId, Date.parse(occ.startedAt) - CLICK_SUPPRESSION_MS)
          : new Set<string>();
      let batch: Recipient[] = [];
      let index = 0;
      let total = 0;
      // Batches are numbered in directory order (so a re-run finds the same ones) and written a few at a
      // time while the next directory page is fetched.
      const inFlight: Promise<void>[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const ref: BatchRef = { tenantId, messageId, occurrence, batch: index };
        const recipients = batch;
        index++;
        total += recipients.length;
        batch = [];
        // Batches before `from` were written and queued by the first run: they are only counted.
        if (ref.batch < firstBatch) return;
        if (firstBatch === 0) {
          await deliveries.writeBatch(ref, channel, recipients, clock.now());
          handOn.deliver.push({ hop: DELIVER[channel], batch: ref });
          return;
        }
        const written = deliveries.writeBatch(ref, channel, recipients, clock.now()).then(() => enqueue(DELIVER[channel], ref));
        // Awaited below; until then a failure must not count as unhandled (which would end the process).
        written.catch(() => undefined);
        inFlight.push(written);
        if (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift();
        if (index % 10 === 0) await deliveries.updateOccurrence(tenantId, messageId, occurrence, { batchesWritten: index });
      };
      const from = { groupMembers: (g: string) => directory.groupMembers(tenantId, g), allUsers: () => directory.allUsers(tenantId) };
      try {
        for await (const user of audienceMembers(rule, ctx, from)) {
          if (clicked.has(user.id)) continue;
          if (channel === 'email' && !user.mail) continue;
          batch.push(recipientOf(user));
          if (batch.length < BATCH_SIZE) continue;
          await flush();
          if (firstBatch === 0) {
            log(`message ${messageId}: occurrence ${occurrence}: batch 0 written, handing on the rest`);
            return { delivered: false, handOn: { ...handOn, rest: { ...occRef, from: 1 } } };
          }
        }
      } catch (error) {
        // A group deleted since the message was approved: no retry will bring it back, so the occurrence
        // fails now, with why, rather than after the queue's retries. Batches already queued still go.
        if (!(error instanceof UnknownGroup)) throw error;
        await Promise.allSettled(inFlight);
        await deliveries.updateOccurrence(tenantId, messageId, occurrence, { state: 'failed', reason: error.message });
        log(`message ${messageId}: occurrence ${occurrence} failed: ${error.message}`);
        return { delivered: false, handOn };
      }
      await flush();
      await Promise.all(inFlight);
      await deliveries.updateOccurrence(tenantId, messageId, occurrence, {
        state: 'resolved',
        resolvedAt: new Date(clock.now()).toISOString(),
        recipients: total,
        batches: index,
        batchesWritten: index,
      });
      log(`message ${messageId}: occurrence ${occurrence} resolved to ${total} recipients in ${index} batches`);
      return { delivered: await isDelivered(occRef), handOn };
    },

    /** The poison queue's end of a resolution: the occurrence is recorded as failed, with why, instead of hanging. */
    async failResolution(ref: OccurrenceRef, reason: string, log: Log): Promise<void> {
      const message = await messages.get(ref.tenantId, ref.messageId);
      const location = message?.draft.location;
      if (!location) return;
      await deliveries.startOccurrence(ref.tenantId, ref.messageId, ref.occurrence, CHANNEL_OF[location], clock.now());
      await deliveries.updateOccurrence(ref.tenantId, ref.messageId, ref.occurrence, { state: 'failed', reason });
      log(`message ${ref.messageId}: occurrence ${ref.occurrence} failed: ${reason}`);
    },
  };
}
