/**
 * The approval cards on the real adapters: Herald's own provider registration, the card's action URLs (the
 * action links of adapters/runtime/actionLinks.ts, bound to the message, the approver and the action), and
 * the approval email through ACS. Shared by the lifecycle's approver notice and the approval-card endpoint.
 */
import { actionableEmail } from '../adapters/rendering/actionableEmail.js';
import { actionToken, readActionToken, type ActionLink } from '../adapters/runtime/actionLinks.js';
import { publicBaseUrl } from '../adapters/runtime/clickLinks.js';
import { emailSettings } from '../adapters/runtime/settings.js';
import { sendEmail } from '../adapters/services/acsEmailSender.js';
import { directory } from '../adapters/services/graphDirectory.js';
import { providerStore } from '../adapters/stores/providerStore.js';
import { isStatus } from '../adapters/stores/storageClients.js';
import { getTenantSettings } from '../adapters/stores/tenantSettingsStore.js';
import type { ApprovalCardUrls } from '../core/approvalCard.js';
import type { AdaptiveCard } from '../core/actionableCard.js';
import { createApprovalCardEmail, createProviderCardEmail, type ApprovalCardAction } from './approvalCard.js';
import { createHeraldProvider } from './approvalCardProvider.js';

export const APPROVAL_CARD_ROUTE = 'approval-cards';
// What an approval-card token's `url` holds: no provider URL, so the relay never takes one for its own.
const ACTION_PREFIX = 'herald:approval:';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The Entra app Outlook's tokens for Herald's cards are issued to (their `aud`): ACTIONABLE_APP_ID, else
 * Herald's own app when AUTH_AUDIENCE is its client id (as infra/ sets it).
 */
export function heraldAppId(env: NodeJS.ProcessEnv = process.env): string {
  const id = env.ACTIONABLE_APP_ID || env.AUTH_AUDIENCE;
  if (!id || !GUID.test(id))
    throw new Error(
      "ACTIONABLE_APP_ID is not set (and AUTH_AUDIENCE is no app id): set it to the Entra application id of Herald's approval cards",
    );
  return id.toLowerCase();
}

export const approvalCardTarget = () => `${publicBaseUrl()}/api/${APPROVAL_CARD_ROUTE}`;

export const ensureHeraldProvider = createHeraldProvider({
  store: providerStore,
  registration: () => ({ sender: emailSettings().senderAddress, targetUrl: approvalCardTarget(), entraAppId: heraldAppId() }),
  isConflict: (error) => isStatus(error, 409),
});

/** What a card decides on: a message, or an Organization provider waiting for the tenant's admins. */
export type ApprovalSubject = 'message' | 'provider';

/** One button's URL: the approval-card endpoint with a token for this message (or provider), approver and action. */
export function approvalCardUrl(
  tenantId: string,
  id: string,
  recipient: string,
  action: ApprovalCardAction,
  subject: ApprovalSubject = 'message',
): string {
  const link: ActionLink = {
    tenantId,
    sendId: id,
    recipient,
    url: `${ACTION_PREFIX}${subject === 'provider' ? 'provider:' : ''}${action}`,
    method: 'POST',
    kind: action === 'refresh' ? 'refresh' : 'click',
  };
  return `${approvalCardTarget()}/${actionToken(link)}`;
}

export function approvalCardUrls(tenantId: string, messageId: string, recipient: string): ApprovalCardUrls {
  return {
    approve: approvalCardUrl(tenantId, messageId, recipient, 'approve'),
    reject: approvalCardUrl(tenantId, messageId, recipient, 'reject'),
    refresh: approvalCardUrl(tenantId, messageId, recipient, 'refresh'),
    open: `${publicBaseUrl()}/api/messages/${messageId}`,
  };
}

export function providerCardUrls(tenantId: string, providerId: string, recipient: string): ApprovalCardUrls {
  return {
    approve: approvalCardUrl(tenantId, providerId, recipient, 'approve', 'provider'),
    reject: approvalCardUrl(tenantId, providerId, recipient, 'reject', 'provider'),
    refresh: approvalCardUrl(tenantId, providerId, recipient, 'refresh', 'provider'),
    open: `${publicBaseUrl()}/api/providers/${providerId}`,
  };
}

export interface ApprovalCardToken {
  tenantId: string;
  subject: ApprovalSubject;
  /** The message's or the provider's id. */
  id: string;
  recipient: string;
  action: ApprovalCardAction;
}

/** What an approval-card token stands for; throws when it is not one (a relay token included). */
export function readApprovalCardToken(token: string): ApprovalCardToken {
  const link = readActionToken(token);
  const rest = link.url.startsWith(ACTION_PREFIX) ? link.url.slice(ACTION_PREFIX.length) : '';
  const subject: ApprovalSubject = rest.startsWith('provider:') ? 'provider' : 'message';
  const action = subject === 'provider' ? rest.slice('provider:'.length) : rest;
  if (action !== 'approve' && action !== 'reject' && action !== 'refresh') throw new Error('not an approval-card token');
  return { tenantId: link.tenantId, subject, id: link.sendId, recipient: link.recipient, action };
}

export const emailApprovers = createApprovalCardEmail({
  approversGroup: async (tenantId) => (await getTenantSettings(tenantId)).approversGroup,
  groupMembers: (tenantId, groupId) => directory().groupMembers(tenantId, groupId),
  heraldProvider: ensureHeraldProvider,
  urls: approvalCardUrls,
  // The card is Herald's own, checked by its tests: the provider gate is for cards others send.
  render: (html, card) => actionableEmail(html, card as AdaptiveCard | undefined),
  sendEmail,
});

export const emailProviderApprovers = createProviderCardEmail({
  approversGroup: async (tenantId) => (await getTenantSettings(tenantId)).providerApproversGroup,
  groupMembers: (tenantId, groupId) => directory().groupMembers(tenantId, groupId),
  heraldProvider: ensureHeraldProvider,
  urls: providerCardUrls,
  render: (html, card) => actionableEmail(html, card as AdaptiveCard | undefined),
  sendEmail,
});
