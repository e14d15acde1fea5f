/**
 * How an actionable email's batch is sent (the shared batch worker, jobs/delivery/deliverBatch.ts, does
 * the rest: rows as the idempotency gate, lease, retries, counters): one email per recipient through ACS
 * at the tenant's email pace, from the provider's address, with the card the gate let through for that
 * recipient — its buttons bound to them — or with the HTML body alone.
 */
import pMap from 'p-map';
import type { AdaptiveCard } from '../../core/actionableCard.js';
import type { Delivery, SendOutcome } from '../../core/delivery.js';
import type { BatchRef } from '../../core/hops.js';
import type { ActionableEmailParts } from '../../adapters/rendering/actionableEmail.js';
import type { ActionLink } from '../../adapters/runtime/actionLinks.js';
import type { RateLimiter } from '../../adapters/runtime/rateLimiter.js';
import type { OutgoingEmail } from '../../adapters/services/acsEmailSender.js';
import type * as actionableStore from '../../adapters/stores/actionableStore.js';
import type { ChunkSender, Outcomes } from '../delivery/deliverBatch.js';

/** Waiting longer than this for the pace gives the worker back, as the email channel does. */
const MAX_LIMITER_WAIT_MS = 10_000;
const CONCURRENCY = 16;

export interface ActionableSenderPorts {
  sends: Pick<typeof actionableStore, 'getSend' | 'getSendContent'>;
  limiter: Pick<RateLimiter, 'acquire' | 'pause'>;
  /** The card with its buttons through Herald, each bound to the recipient by `urlFor`. */
  relayedCard(card: AdaptiveCard, urlFor: (link: Pick<ActionLink, 'url' | 'method' | 'kind'>) => string): AdaptiveCard;
  render(html: string, card: AdaptiveCard | undefined): ActionableEmailParts;
  linkFor(link: ActionLink): string;
  sendEmail(tenantId: string, email: OutgoingEmail): Promise<SendOutcome>;
}

const failure = (error: unknown): SendOutcome => ({ status: 'failed', reason: (error as Error).message, permanent: false });

export function createActionableSender(ports: ActionableSenderPorts) {
  return function actionableSender(ref: BatchRef): ChunkSender {
    const loaded = Promise.all([ports.sends.getSend(ref.tenantId, ref.messageId), ports.sends.getSendContent(ref.tenantId, ref.messageId)]);
    return {
      channel: 'actionable',
      // ACS drops a repeat of the same Operation-Id: a recipient in doubt after a crash is simply sent again.
      resendable: true,
      async stopReason() {
        const [send, content] = await loaded;
        return send && content ? undefined : 'the actionable email is no longer stored';
      },
      async send(chunk: Delivery[]): Promise<Outcomes> {
        const [send, content] = await loaded;
        const verdicts = new Map(content!.verdicts.map((v) => [v.address, v]));
        const outcomes: Outcomes = new Map();
        const key = `email:${ref.tenantId}`;
        const each = async (d: Delivery) => {
          const wait = await ports.limiter.acquire(key, MAX_LIMITER_WAIT_MS);
          if (wait > 0) {
            outcomes.set(d.userId, { status: 'throttled', retryAfterMs: wait, reason: 'paced to the email quota' });
            return;
          }
          const enabled = verdicts.get(d.userId)?.cardEnabled && content!.card;
          const card = enabled
            ? ports.relayedCard(content!.card!, (l) =>
                ports.linkFor({ ...l, tenantId: ref.tenantId, sendId: ref.messageId, recipient: d.userId }),
              )
            : undefined;
          const mail = ports.render(content!.html, card);
          const outcome = await ports
            .sendEmail(ref.tenantId, {
              to: { address: d.mail ?? d.userId, ...(d.name ? { displayName: d.name } : {}) },
              from: send!.sender,
              subject: send!.subject,
              html: mail.html,
              plainText: mail.plainText,
              operationId: `${ref.messageId}:${ref.occurrence}:${d.userId}`,
            })
            .catch(failure);
          outcomes.set(d.userId, outcome);
          if (outcome.status === 'throttled') ports.limiter.pause(key, outcome.retryAfterMs);
        };
        await pMap(chunk, each, { concurrency: CONCURRENCY });
        return outcomes;
      },
    };
  };
}
