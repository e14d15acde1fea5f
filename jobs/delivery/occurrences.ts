/**
 * Starting an occurrence (one delivery round) of a push-channel message: the lifecycle starts occurrence 0
 * when the message becomes Active; the resend timer starts the later ones. Starting means recording it on
 * the message and queuing its audience resolution — both idempotent, so a retry or a second timer run
 * starts nothing twice.
 */
import { CHANNEL_OF, isPushChannel } from '../../core/delivery.js';
import { nextOccurrence } from '../../core/schedule.js';
import { RESOLVE_AUDIENCE } from '../../core/hops.js';
import type { MessageRecord } from '../../core/records.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import { enqueue } from '../../adapters/stores/storageClients.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';

/** Queues the occurrence's resolution and records when the next one is due. False for pulled (inbox) messages. */
export async function startPushOccurrence(message: MessageRecord, tenantId: string, occurrence: number, at: number): Promise<boolean> {
  const location = message.draft.location;
  if (!location || !isPushChannel(CHANNEL_OF[location])) return false;
  await enqueue(RESOLVE_AUDIENCE, { tenantId, messageId: message.id, occurrence });
  const schedule = message.draft.schedule;
  let nextAt: string | undefined;
  if (!message.draft.urgent && schedule?.start && schedule.end && (schedule.frequency ?? 'once') !== 'once') {
    const { timeZone } = await getTenantSettings(tenantId);
    nextAt = nextOccurrence(schedule as Parameters<typeof nextOccurrence>[0], at, timeZone)?.start;
  }
  await messageStore().setOccurrence(tenantId, message.id, occurrence, nextAt);
  return true;
}
