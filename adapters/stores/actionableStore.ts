/**
 * Actionable emails as Herald accepted them, and what their actions have done (docs/storage.md):
 *
 * - `actionableSends` (PartitionKey tenant, RowKey send id): who sent what to whom, when;
 * - blob `actionable/<tenant>/<send>.json`: the HTML, the card as the provider sent it and the gate's
 *   verdict per recipient (the debugger view) — HTML runs to 100 KB, more than a table property holds;
 * - `actionTokens` (PartitionKey the hash of a limited-purpose token): a token's first use and the answer it
 *   got, written by a conditional insert, so a token acts once and a second use gets the same answer;
 * - `actionRequests` (PartitionKey the hash of an `Action-Request-Id`): a request Outlook repeats is not
 *   relayed again.
 */
import { createHash } from 'node:crypto';
import type { AdaptiveCard, CardVerdict, RecipientKind } from '../../core/actionableCard.js';
import { container, findEntity, isStatus, table } from './storageClients.js';
import { messageId, tenantKey } from './keys.js';

export interface ActionableRecipient {
  address: string;
  kind: RecipientKind;
  /** The recipient's tenant: the sending provider's unless the send named another. */
  tenantId: string;
  name?: string;
}

export interface ActionableSend {
  id: string;
  tenantId: string;
  providerId: string;
  /** The provider's Entra app that called. */
  appId: string;
  sender: string;
  subject: string;
  recipients: ActionableRecipient[];
  createdAt: string;
}

export interface SendContent {
  html: string;
  /** The card as the provider sent it (its own action URLs), when one was found and parsed. */
  card?: AdaptiveCard;
  verdicts: CardVerdict[];
}

/** What an action got: replayed to a second use of the same token or request. */
export interface ActionAnswer {
  status: number;
  cardActionStatus?: string;
  /** The refresh card (JSON text) when the answer replaced the card. */
  card?: string;
  at: string;
}

const sends = () => table('actionableSends');
const tokens = () => table('actionTokens');
const requests = () => table('actionRequests');
const blobs = () => container('actionable');

const hashed = (value: string) => createHash('sha256').update(value).digest('base64url');
const blobName = (tenantId: string, id: string) => `${tenantKey(tenantId)}/${id}.json`;

export async function createSend(s: Omit<ActionableSend, 'id' | 'createdAt'>, content: SendContent, at: number): Promise<ActionableSend> {
  const record: ActionableSend = { ...s, id: messageId(at), createdAt: new Date(at).toISOString() };
  const body = JSON.stringify(content);
  // Content first: a send row always has its content.
  await (await blobs()).getBlockBlobClient(blobName(s.tenantId, record.id)).upload(body, Buffer.byteLength(body), {
    blobHTTPHeaders: { blobContentType: 'application/json' },
  });
  await (
    await sends()
  ).createEntity({
    partitionKey: tenantKey(s.tenantId),
    rowKey: record.id,
    providerId: record.providerId,
    appId: record.appId,
    sender: record.sender,
    subject: record.subject,
    recipients: JSON.stringify(record.recipients),
    createdAt: record.createdAt,
  });
  return record;
}

export async function getSend(tenantId: string, id: string): Promise<ActionableSend | undefined> {
  if (!/^[0-9a-f]{21}$/.test(id)) return undefined;
  const e = await findEntity(await sends(), tenantKey(tenantId), id);
  if (!e) return undefined;
  return {
    id,
    tenantId,
    providerId: String(e.providerId),
    appId: String(e.appId),
    sender: String(e.sender),
    subject: String(e.subject),
    recipients: JSON.parse(String(e.recipients)) as ActionableRecipient[],
    createdAt: String(e.createdAt),
  };
}

export async function getSendContent(tenantId: string, id: string): Promise<SendContent | undefined> {
  try {
    const buffer = await (await blobs()).getBlockBlobClient(blobName(tenantId, id)).downloadToBuffer();
    return JSON.parse(buffer.toString('utf8')) as SendContent;
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

/**
 * Claims the first use of a limited-purpose token. True: this call is the first and must do the action,
 * then `answerToken`. False: it was used before; `tokenAnswer` says what it got.
 */
export async function claimToken(token: string, at: number): Promise<boolean> {
  try {
    await (await tokens()).createEntity({ partitionKey: hashed(token), rowKey: '', claimedAt: new Date(at).toISOString() });
    return true;
  } catch (error) {
    if (isStatus(error, 409)) return false;
    throw error;
  }
}

/** Forgets a claim whose action never reached the provider, so the user may try again. */
export async function releaseToken(token: string): Promise<void> {
  await (await tokens()).deleteEntity(hashed(token), '').catch((error: unknown) => {
    if (!isStatus(error, 404)) throw error;
  });
}

const answerFields = (a: ActionAnswer) => ({
  status: a.status,
  at: a.at,
  ...(a.cardActionStatus !== undefined ? { cardActionStatus: a.cardActionStatus } : {}),
  ...(a.card !== undefined ? { card: a.card } : {}),
});
const answerOf = (e: Record<string, unknown> | undefined): ActionAnswer | undefined =>
  e?.status === undefined
    ? undefined
    : {
        status: Number(e.status),
        at: String(e.at),
        ...(typeof e.cardActionStatus === 'string' ? { cardActionStatus: e.cardActionStatus } : {}),
        ...(typeof e.card === 'string' ? { card: e.card } : {}),
      };

export async function answerToken(token: string, answer: ActionAnswer): Promise<void> {
  await (await tokens()).upsertEntity({ partitionKey: hashed(token), rowKey: '', ...answerFields(answer) }, 'Merge');
}

export async function tokenAnswer(token: string): Promise<ActionAnswer | undefined> {
  return answerOf(await findEntity(await tokens(), hashed(token), ''));
}

/** Records an `Action-Request-Id`; false when it was seen before (Outlook or a retry sent it twice). */
export async function claimRequest(requestId: string, at: number): Promise<boolean> {
  try {
    await (await requests()).createEntity({ partitionKey: hashed(requestId), rowKey: '', claimedAt: new Date(at).toISOString() });
    return true;
  } catch (error) {
    if (isStatus(error, 409)) return false;
    throw error;
  }
}

export async function answerRequest(requestId: string, answer: ActionAnswer): Promise<void> {
  await (await requests()).upsertEntity({ partitionKey: hashed(requestId), rowKey: '', ...answerFields(answer) }, 'Merge');
}

export async function requestAnswer(requestId: string): Promise<ActionAnswer | undefined> {
  return answerOf(await findEntity(await requests(), hashed(requestId), ''));
}
