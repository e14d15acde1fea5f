/**
 * The inbox's read of a user's interaction summaries, kept per user for as long as the tenant's messages are
 * (a few seconds): a device polls its surfaces together and again soon after, and every poll used to read
 * the same partition range. A write through `recordInteraction` here drops the user's entry, so this
 * instance's next read sees it at once; a write on another instance is seen within the TTL, as a changed
 * message is ("Changes reach the inbox within a few seconds").
 */
import type { InteractionSummary } from '../../core/eligibility.js';
import { interactionsOf, recordInteraction as record } from '../stores/interactionStore.js';
import { MAX_MEMBERS, MESSAGES_TTL_MS, SingleFlightCache } from './inboxCache.js';

export const INTERACTIONS_TTL_MS = MESSAGES_TTL_MS;

interface Read {
  from: string;
  to: string;
  summaries: ReadonlyMap<string, InteractionSummary>;
}

const reads = new SingleFlightCache<string, Read>(INTERACTIONS_TTL_MS, MAX_MEMBERS);
const keyOf = (tenantId: string, userId: string) => `${tenantId}:${userId}`;

/**
 * The user's summaries of the messages whose ids are in [`from`, `to`], at most a few seconds old. One range
 * per user is kept: callers ask for the tenant's whole candidate range, so every surface shares it.
 */
export async function interactionsIn(
  tenantId: string,
  userId: string,
  from: string,
  to: string,
): Promise<ReadonlyMap<string, InteractionSummary>> {
  const key = keyOf(tenantId, userId);
  const load = async (): Promise<Read> => ({ from, to, summaries: await interactionsOf(tenantId, userId, from, to) });
  const fits = (read: Read) => read.from === from && read.to === to;
  const cached = await reads.get(key, load);
  if (fits(cached)) return cached.summaries;
  // The tenant's messages changed since (another range): read the new one, kept unless a concurrent
  // request for yet another range took the entry meanwhile.
  reads.forget(key);
  const fresh = await reads.get(key, load);
  return fits(fresh) ? fresh.summaries : interactionsOf(tenantId, userId, from, to);
}

/** interactionStore's recordInteraction; afterwards (also when it fails part way) this instance reads the user's summaries afresh. */
export async function recordInteraction(...args: Parameters<typeof record>): ReturnType<typeof record> {
  try {
    return await record(...args);
  } finally {
    reads.forget(keyOf(args[0], args[1]));
  }
}
