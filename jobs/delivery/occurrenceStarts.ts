/**
 * Starting an occurrence (one delivery round) of a push-channel message: the lifecycle starts occurrence 0
 * when the message becomes Active; the resend timer starts the later ones. Starting means recording it on
 * the message and queuing its audience resolution — both idempotent, so a retry or a second timer run
 * starts nothing twice.
 */
import { CHANNEL_OF, isPushChannel } from '../../core/delivery.js';
import { RESOLVE_AUDIENCE, type ResolutionRef } from '../../core/hops.js';
import type { MessageRecord } from '../../core/records.js';
import { nextOccurrence, occurrenceAt, type ScheduleInput } from '../../core/schedule.js';
import type { DeliveryPorts } from './deliveryPorts.js';

export type OccurrenceStartPorts = Pick<DeliveryPorts, 'messages' | 'enqueue' | 'tenantSettings'>;

export function createOccurrenceStarts({ messages, enqueue, tenantSettings }: OccurrenceStartPorts) {
  /**
   * Queues the occurrence's resolution and records when the next one is due. False for pulled (inbox)
   * messages. `handOn`: the caller's queue output binding for resolve-audience, which the host writes when
   * the caller returns and announces to its own listener (docs/decisions/hand-offs.md); else the SDK queues it.
   */
  async function startPushOccurrence(
    message: MessageRecord,
    tenantId: string,
    occurrence: number,
    at: number,
    handOn?: (ref: ResolutionRef) => void,
  ): Promise<boolean> {
    const location = message.draft.location;
    if (!location || !isPushChannel(CHANNEL_OF[location])) return false;
    const ref = { tenantId, messageId: message.id, occurrence };
    if (handOn) handOn(ref);
    else await enqueue(RESOLVE_AUDIENCE, ref);
    const schedule = message.draft.schedule;
    let nextAt: string | undefined;
    if (!message.draft.urgent && schedule?.start && schedule.end && (schedule.frequency ?? 'once') !== 'once') {
      const { timeZone } = await tenantSettings(tenantId);
      nextAt = nextOccurrence(schedule as ScheduleInput, at, timeZone)?.start;
    }
    await messages.setOccurrence(tenantId, message.id, occurrence, nextAt);
    return true;
  }

  /**
   * Starts the occurrence in force at `at` of every Active message whose next one is due. Rounds missed
   * while nothing ran are not sent late one by one: only the one in force now goes.
   */
  async function startDueResends(at: number, log: (message: string) => void): Promise<void> {
    for await (const due of messages.dueOccurrences(new Date(at).toISOString())) {
      const message = await messages.get(due.tenant, due.id);
      const schedule = message?.draft.schedule;
      if (!message || message.status !== 'Active' || !schedule?.start || !schedule.end) continue;
      const { timeZone } = await tenantSettings(due.tenant);
      const plan = schedule as ScheduleInput;
      const occurrence = occurrenceAt(plan, at, timeZone);
      if (!occurrence || occurrence.index <= due.occurrence) {
        // Nothing new in force (the schedule ended, or this round was started): just move the marker on.
        await messages.setOccurrence(due.tenant, due.id, due.occurrence, nextOccurrence(plan, at, timeZone)?.start);
        continue;
      }
      await startPushOccurrence(message, due.tenant, occurrence.index, at);
      log(`message ${due.id} (tenant ${due.tenant}): resend, occurrence ${occurrence.index}`);
    }
  }

  return { startPushOccurrence, startDueResends };
}
