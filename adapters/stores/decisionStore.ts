/**
 * Approvers' decisions as the API authorized them (docs/storage.md `decisions`): PartitionKey
 * `tenant:message`, RowKey the lifecycle instance of the submission decided on. The row is inserted, never
 * replaced, so one submission has at most one decision however many approvers ask at once; the lifecycle
 * orchestration applies a `decision` event only when it names this row's id (workflows/lifecycleActivities.ts).
 */
import type { Decision } from '../../core/hops.js';
import { messageKey } from './keys.js';
import { isStatus, table } from './storageClients.js';

const decisions = () => table('decisions');

interface DecisionRow {
  decisionId: string;
  approve: boolean;
  byId: string;
  byUpn: string;
  byName: string;
  comment?: string;
  at: string;
}

const decisionOf = (row: DecisionRow): Decision => ({
  id: row.decisionId,
  approve: row.approve,
  by: { id: row.byId, upn: row.byUpn, name: row.byName },
  ...(row.comment ? { comment: row.comment } : {}),
  at: row.at,
});

// A decision row is inserted once and never changes, so the decisions this process recorded or read (the
// lifecycle activity asks for the one its API request just recorded) are known without another read.
const KNOWN_DECISIONS = 2_000;
const known = new Map<string, Decision>();
const knownKey = (tenantId: string, messageId: string, lifecycle: string) => `${messageKey(tenantId, messageId)}/${lifecycle}`;
function remember(key: string, decision: Decision): Decision {
  known.set(key, decision);
  if (known.size > KNOWN_DECISIONS) known.delete(known.keys().next().value!);
  return decision;
}

/** The recorded decision on submission `lifecycle` of the message, if any. */
export async function getDecision(tenantId: string, messageId: string, lifecycle: string): Promise<Decision | undefined> {
  const key = knownKey(tenantId, messageId, lifecycle);
  const seen = known.get(key);
  if (seen) return seen;
  try {
    return remember(key, decisionOf(await (await decisions()).getEntity<DecisionRow>(messageKey(tenantId, messageId), lifecycle)));
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

/**
 * Records `decision` unless the submission has one already: `recorded` is true when this call wrote it,
 * and `decision` is the one that stands either way.
 */
export async function recordDecision(
  tenantId: string,
  messageId: string,
  lifecycle: string,
  decision: Decision,
): Promise<{ recorded: boolean; decision: Decision }> {
  const row: DecisionRow = {
    decisionId: decision.id,
    approve: decision.approve,
    byId: decision.by.id,
    byUpn: decision.by.upn,
    byName: decision.by.name,
    ...(decision.comment ? { comment: decision.comment } : {}),
    at: decision.at,
  };
  try {
    await (await decisions()).createEntity({ partitionKey: messageKey(tenantId, messageId), rowKey: lifecycle, ...row });
    return { recorded: true, decision: remember(knownKey(tenantId, messageId, lifecycle), decision) };
  } catch (error) {
    if (!isStatus(error, 409)) throw error;
    const standing = await getDecision(tenantId, messageId, lifecycle);
    if (!standing) throw error;
    return { recorded: false, decision: standing };
  }
}
