/**
 * What the delivery jobs reach the outside through. Each job's factory takes a Pick of these naming only
 * what it uses, so a unit test hands it in-memory fakes; `deliveryWiring.ts` plugs in the real adapters.
 * Store operations are typed as the adapters' own functions, whose comments are the contract a fake keeps.
 */
import type { Directory } from '../../core/directory.js';
import type { SendOutcome } from '../../core/delivery.js';
import type { QueueHop } from '../../core/hops.js';
import type { EmailRenderInput, RenderedEmail } from '../../adapters/rendering/emailRenderer.js';
import type { ClickLink } from '../../adapters/runtime/clickLinks.js';
import type { RateLimiter } from '../../adapters/runtime/rateLimiter.js';
import type { OutgoingEmail, StatusOutcome, SubmitOutcome } from '../../adapters/services/acsEmailSender.js';
import type { TeamsNotification } from '../../adapters/services/teamsNotifier.js';
import type { BatchItem } from '../../adapters/stores/counterStore.js';
import type * as deliveryControlStore from '../../adapters/stores/deliveryControlStore.js';
import type * as deliveryStore from '../../adapters/stores/deliveryStore.js';
import type { MessageStore } from '../../adapters/stores/messageStore.js';
import type { TenantSettings } from '../../adapters/stores/tenantSettingsStore.js';

/** Occurrences, batch snapshots and their outcomes. `commitBatch` throws LostBatchLease when the batch moved. */
export type DeliveryRecords = Pick<
  typeof deliveryStore,
  'startOccurrence' | 'getOccurrence' | 'updateOccurrence' | 'writeBatch' | 'readBatch' | 'commitBatch' | 'batchSummary' | 'batchSummaries'
>;

/** Sends `body` to the hop's queue, invisible for `delayMs`. */
export type Enqueue = <T>(hop: QueueHop<T>, body: T, delayMs?: number) => Promise<void>;

export interface Clock {
  /** The app's time (devhost's test clock under test): what records and reports say. */
  now(): number;
  /**
   * Real time: a lease is about a worker being alive, and providers' pauses and queue delays run in real
   * time whatever the app clock says.
   */
  realNow(): number;
}

export interface Counters {
  /** Brings the message's counters level with a batch's absolute sent and failed (counted once per batch). */
  count(tenantId: string, messageId: string, item: BatchItem): Promise<boolean>;
}

export type TenantSettingsOf = (tenantId: string) => Promise<TenantSettings>;

/** What the batch worker uses (Teams, email and push batches alike). */
export interface BatchWorkerPorts {
  deliveries: Pick<DeliveryRecords, 'readBatch' | 'commitBatch' | 'getOccurrence' | 'batchSummary'>;
  enqueue: Enqueue;
  counters: Counters;
  /** For the day counters count in. */
  tenantSettings: TenantSettingsOf;
  clock: Clock;
  /**
   * How long a worker's hold on a batch lasts without renewal (real ms): renewed every third of it while
   * the worker runs, so after a crash another copy of the queue message may take the batch that soon.
   */
  leaseMs(): number;
  /** The list of batches held right now, which a restarted host resumes from (`jobs/delivery/resumeHeld.ts`). */
  held: Pick<typeof deliveryControlStore, 'markHeld' | 'clearHeld'>;
}

/** Everything the message delivery jobs use: resolution, the Teams and email batches, occurrences and progress. */
export interface DeliveryPorts extends BatchWorkerPorts {
  deliveries: DeliveryRecords;
  messages: Pick<MessageStore, 'get' | 'setOccurrence' | 'dueOccurrences'>;
  /** A cancel accepted but perhaps not yet applied by the lifecycle: senders stop on it. */
  stops: Pick<typeof deliveryControlStore, 'stopRequested'>;
  directory: Pick<Directory, 'groupMembers' | 'allUsers' | 'usage'>;
  /** Users whose latest click on the message (any channel, any occurrence) is later than `since` (epoch ms). */
  clickedRecipients(tenantId: string, messageId: string, since: number): Promise<Set<string>>;
  /** Paces provider calls per channel and tenant in this process. */
  limiter: Pick<RateLimiter, 'acquire' | 'pause'>;
  clickUrl(link: ClickLink): Promise<string>;
  renderEmail(input: EmailRenderInput): RenderedEmail;
  /** Posts an email under its `operationId` (accepted, or refused as a SendOutcome), without waiting for its end. */
  submitEmail(tenantId: string, email: OutgoingEmail): Promise<SubmitOutcome>;
  /** How the email sent under `operationId` stands: ended, running, or unknown to ACS. */
  emailStatus(tenantId: string, operationId: string): Promise<StatusOutcome>;
  /** Waits (real ms) between status rounds of sends still running. */
  sleep(ms: number): Promise<void>;
  sendTeamsBulk(tenantId: string, userIds: string[], notification: TeamsNotification): Promise<SendOutcome>;
}
