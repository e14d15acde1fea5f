/**
 * The lifecycle orchestration's activities, built from the ports they need (`createLifecycleActivities`),
 * so a unit test can run them on fakes and the app runs them on the real stores. Registered beside the
 * orchestration in `messageLifecycle.ts`.
 */
import type {
  APPLY_DECISION,
  APPLY_TRANSITION,
  Decision,
  DELIVER_MESSAGE,
  InputOf,
  NOTIFY_APPROVERS,
  OutputOf,
  ResolutionRef,
} from '../core/hops.js';
import type { AppliedTransition, MessageRecord, TransitionRequest } from '../core/records.js';

export interface LifecyclePorts {
  /** The store's conditional status change (`MessageStore.transition`). */
  transition(tenantId: string, messageId: string, change: TransitionRequest): Promise<AppliedTransition>;
  getMessage(tenantId: string, messageId: string): Promise<MessageRecord | undefined>;
  /** The decision the API recorded on this submission (`adapters/stores/decisionStore.ts`). */
  getDecision(tenantId: string, messageId: string, lifecycle: string): Promise<Decision | undefined>;
  /** Tells waiting HTTP requests in this process that the message changed. */
  announce(tenantId: string, message: MessageRecord): void;
  /**
   * Queues the occurrence's delivery (push channels) through `handOn`, the activity's output binding; false
   * when the message is pulled by devices.
   */
  startOccurrence(
    message: MessageRecord,
    tenantId: string,
    occurrence: number,
    at: number,
    handOn: HandOn<ResolutionRef>,
  ): Promise<boolean>;
  /** Tells the tenant's approvers the message waits for them; answers how many were told (or why none). */
  notifyApprovers(tenantId: string, message: MessageRecord): Promise<{ notified: number; reason?: string }>;
  now(): number;
}

type Log = (line: string) => void;
/** Queues one message through the activity's output binding (written when it returns). */
export type HandOn<T> = (message: T) => void;

export function createLifecycleActivities(ports: LifecyclePorts) {
  // The approval never waits on this: a failure is logged and answered, not thrown into the lifecycle.
  async function tellApprovers(tenantId: string, message: MessageRecord, log: Log): Promise<{ notified: number; reason?: string }> {
    const result = await ports.notifyApprovers(tenantId, message).catch((error: unknown) => ({
      notified: 0,
      reason: `the approvers could not be notified: ${(error as Error).message}`,
    }));
    log(`message ${message.id} (tenant ${tenantId}): ${result.notified} approver(s) notified${result.reason ? `; ${result.reason}` : ''}`);
    return result;
  }

  async function applyTransition(input: InputOf<typeof APPLY_TRANSITION>, log: Log): Promise<OutputOf<typeof APPLY_TRANSITION>> {
    const { tenantId, messageId, tellApprovers: tell, ...change } = input;
    const result = await ports.transition(tenantId, messageId, change);
    if (result.ok) ports.announce(tenantId, result.message);
    log(
      `message ${messageId} (tenant ${tenantId}): ${change.transition} by ${change.by.upn}` +
        (result.ok ? ` → ${result.message.status}` : `; not applied: ${result.reason}`),
    );
    // Told from the row just written, after the announcement, so the request waiting for the change does
    // not wait for the notice as well; a separate activity would cost another episode and a read of the row.
    if (tell && result.ok && result.message.status === 'PendingApproval') await tellApprovers(tenantId, result.message, log);
    return result;
  }

  return {
    applyTransition,

    // The event is only a nudge: the decision applied is the one the API authorized and recorded, so an
    // event raised straight through the Durable API, naming no recorded decision, changes nothing.
    async applyDecision(input: InputOf<typeof APPLY_DECISION>, log: Log): Promise<OutputOf<typeof APPLY_DECISION>> {
      const { tenantId, messageId, lifecycle, decisionId } = input;
      const decision = await ports.getDecision(tenantId, messageId, lifecycle);
      if (!decision || decision.id !== decisionId) {
        const ignored = decision
          ? `it names decision ${String(JSON.stringify(decisionId)).slice(0, 80)}, but the recorded one is ${decision.id}`
          : `no decision was recorded for ${lifecycle}`;
        log(`message ${messageId} (tenant ${tenantId}): a decision event was ignored: ${ignored}`);
        return { ignored };
      }
      const transition = decision.approve ? 'approve' : 'reject';
      const change = { transition, by: decision.by, ...(decision.comment ? { comment: decision.comment } : {}), lifecycle } as const;
      return { applied: await applyTransition({ tenantId, messageId, ...change }, log) };
    },

    // Instances started before revision 2 only: run a while after the transition, so the row is read again.
    async notifyApprovers(input: InputOf<typeof NOTIFY_APPROVERS>, log: Log): Promise<OutputOf<typeof NOTIFY_APPROVERS>> {
      const message = await ports.getMessage(input.tenantId, input.messageId);
      if (!message || message.status !== 'PendingApproval') return { notified: 0, reason: 'the message no longer waits for approval' };
      return tellApprovers(input.tenantId, message, log);
    },

    // Push channels: starts occurrence 0 (audience resolution, then batches on the delivery queues). Pulled
    // (inbox) messages need nothing: devices ask for them while they are Active.
    async deliverMessage(
      input: InputOf<typeof DELIVER_MESSAGE>,
      log: Log,
      handOn: HandOn<ResolutionRef>,
    ): Promise<OutputOf<typeof DELIVER_MESSAGE>> {
      const message = await ports.getMessage(input.tenantId, input.messageId);
      if (!message || message.status !== 'Active') return { started: false };
      const started = await ports.startOccurrence(message, input.tenantId, 0, ports.now(), handOn);
      if (started) log(`message ${input.messageId} (tenant ${input.tenantId}): delivery of occurrence 0 queued`);
      return { started };
    },
  };
}
