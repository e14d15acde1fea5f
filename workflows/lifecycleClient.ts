/**
 * What the rest of the app asks of a message's lifecycle orchestration: start it for a submission, hand it
 * an approver's decision or a cancel, and tell it an occurrence is delivered. The HTTP handlers and the
 * delivery queue triggers call these; the orchestration is `messageLifecycle.ts`.
 */
import type { DurableClient } from 'durable-functions';
import { CHANNEL_OF } from '../core/delivery.js';
import {
  CANCEL,
  DECISION,
  LIFECYCLE_REVISION,
  MESSAGE_LIFECYCLE,
  OCCURRENCE_DELIVERED,
  type DecisionEvent,
  type LifecycleInput,
  type OccurrenceRef,
} from '../core/hops.js';
import type { Actor, LifecycleEnded, MessageRecord } from '../core/records.js';
import { transitionContext } from '../core/lifecycle.js';
import { stopRequested } from '../adapters/stores/deliveryControlStore.js';
import { raiseEvent, startOrchestration } from './durableHops.js';

/** The instance id of a submission: one orchestration per submission of a message version. */
export const lifecycleInstanceId = (tenantId: string, messageId: string, version: number) => `msg-${tenantId}-${messageId}-v${version}`;

/** Starts the orchestration of this submission of `message`; asking again for the same submission is a no-op. */
export async function startLifecycle(client: DurableClient, tenantId: string, message: MessageRecord, submittedBy: Actor): Promise<void> {
  const draft = message.draft;
  const input: LifecycleInput = {
    tenantId,
    messageId: message.id,
    ...transitionContext(draft),
    start: draft.schedule?.start,
    end: draft.schedule?.end,
    frequency: draft.schedule?.frequency ?? 'once',
    channel: CHANNEL_OF[draft.location!],
    submittedBy,
    revision: LIFECYCLE_REVISION,
  };
  const instanceId = lifecycleInstanceId(tenantId, message.id, message.version);
  try {
    await startOrchestration(client, MESSAGE_LIFECYCLE, instanceId, input);
  } catch (error) {
    // The same submission asked for again (say, after a crash before it took effect): it is under way already.
    const status = await client.getStatus(instanceId).catch(() => undefined);
    if (!status) throw error;
  }
}

/** Nudges the lifecycle to apply the decision recorded on its submission (`adapters/stores/decisionStore.ts`). */
export const sendDecision = (client: DurableClient, message: MessageRecord, decision: DecisionEvent) =>
  raiseEvent(client, message.lifecycle!, DECISION, decision);

export const sendCancel = (client: DurableClient, message: MessageRecord, by: Actor) =>
  raiseEvent(client, message.lifecycle!, CANCEL, { by });

/** Tells the message's lifecycle that every recipient of an occurrence has an outcome. */
export async function announceDelivered(
  client: DurableClient,
  message: MessageRecord | undefined,
  ref: OccurrenceRef,
  log: (line: string) => void,
): Promise<void> {
  if (!message?.lifecycle) return;
  const stopped = (await stopRequested(ref.tenantId, ref.messageId)) !== undefined;
  try {
    await raiseEvent(client, message.lifecycle, OCCURRENCE_DELIVERED, { occurrence: ref.occurrence, stopped });
  } catch (error) {
    // The lifecycle has ended (cancelled, expired): nobody waits for this any more.
    log(`message ${ref.messageId}: lifecycle ${message.lifecycle} did not take the delivered event: ${(error as Error).message}`);
  }
}

/** Runtime statuses after which the orchestration moves nothing any more. */
const ENDED = new Set(['Completed', 'Failed', 'Canceled', 'Terminated']);

/**
 * How the lifecycle `instanceId` ended, for a message still under way (pending approval, scheduled,
 * active): it was terminated, failed, or is gone, so nothing will move the message on. Undefined while it runs.
 */
export async function endedLifecycle(client: DurableClient, instanceId: string, at: number): Promise<LifecycleEnded | undefined> {
  const when = new Date(at).toISOString();
  let status: Awaited<ReturnType<DurableClient['getStatus']>>;
  try {
    status = await client.getStatus(instanceId);
  } catch (error) {
    // The SDK's only sign of an unknown instance is its message.
    if (/HTTP 404/.test((error as Error).message))
      return { runtimeStatus: 'Missing', reason: `its lifecycle orchestration ${instanceId} no longer exists`, at: when };
    throw error;
  }
  if (!ENDED.has(status.runtimeStatus)) return undefined;
  const output = typeof status.output === 'string' ? status.output : JSON.stringify(status.output ?? null);
  const detail = output && output !== 'null' ? `: ${output.slice(0, 300)}` : '';
  return {
    runtimeStatus: status.runtimeStatus,
    reason: `its lifecycle orchestration ${instanceId} was ${status.runtimeStatus.toLowerCase()}${detail}`,
    at: when,
  };
}
