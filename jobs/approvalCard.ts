/**
 * The approval email: when a custom message waits for approval, each member of the tenant's approvers group
 * (tenant setting `approversGroup`) but its author gets an Outlook actionable email from Herald whose card
 * (core/approvalCard.ts) shows the message and its audience, with Approve and Reject. Its buttons call
 * Herald's approval-card endpoint (functions/http/approvalCards.ts) with limited-purpose tokens bound to the
 * message, the approver and the action. The card's originator is Herald's own provider in the tenant
 * (jobs/approvalCardProvider.ts); while that registration is not Approved the email goes without a card.
 * Best effort, like the Teams notice beside it: a failure is counted and answered, the approval never waits.
 */
import Handlebars from 'handlebars';
import { approvalCard, audienceText, providerApprovalCard, type ApprovalCardUrls, type Card } from '../core/approvalCard.js';
import type { DirectoryUser } from '../core/audience.js';
import type { SendOutcome } from '../core/delivery.js';
import type { Provider } from '../core/provider.js';
import type { MessageRecord } from '../core/records.js';

export type ApprovalCardAction = 'approve' | 'reject' | 'refresh';

export interface ApprovalEmail {
  to: { address: string; displayName?: string };
  subject: string;
  html: string;
  plainText: string;
  operationId: string;
}

export interface ApprovalCardPorts {
  approversGroup(tenantId: string): Promise<string | undefined>;
  groupMembers(tenantId: string, groupId: string): AsyncIterable<readonly DirectoryUser[]>;
  heraldProvider(tenantId: string): Promise<Provider>;
  /** The card's URLs for one approver: each action's own token. */
  urls(tenantId: string, messageId: string, recipient: string): ApprovalCardUrls;
  /** The email as sent: the HTML with the card in `<head>` (or none), and its plain text. */
  render(html: string, card: Card | undefined): { html: string; plainText: string };
  sendEmail(tenantId: string, email: ApprovalEmail): Promise<SendOutcome>;
}

const escape = (text: string) => Handlebars.Utils.escapeExpression(text);

/** What every mail client shows, card or not: the message in words and where to decide on it. */
function bodyHtml(message: MessageRecord, open: string): string {
  const content = message.draft.content ?? {};
  const name = message.draft.name ?? 'a message';
  return [
    '<html><head></head><body>',
    `<p>${escape(message.author.name || message.author.upn)} asks you to review “${escape(name)}” (${escape(message.draft.location ?? 'no location yet')}).</p>`,
    `<h2>${escape(content.title ?? '(no title)')}</h2>`,
    `<p>${escape(content.body ?? '(no body)')}</p>`,
    `<p>Audience: ${escape(audienceText(message))}</p>`,
    `<p><a href="${escape(open)}">Open it in Herald</a> to approve or reject it.</p>`,
    '</body></html>',
  ].join('');
}

export function createApprovalCardEmail(ports: ApprovalCardPorts) {
  return async function emailApprovers(tenantId: string, message: MessageRecord): Promise<{ emailed: number; reason?: string }> {
    const group = await ports.approversGroup(tenantId);
    if (!group) return { emailed: 0, reason: 'the tenant names no approvers group (tenant setting approversGroup)' };
    const provider = await ports.heraldProvider(tenantId);
    const withCard = provider.status === 'Approved';
    const people = new Map<string, DirectoryUser>();
    for await (const page of ports.groupMembers(tenantId, group))
      for (const u of page) if (u.id !== message.author.id && (u.mail || u.userPrincipalName)) people.set(u.id, u);
    const subject = `${message.draft.urgent ? 'Urgent: ' : ''}Approval needed: ${message.draft.name ?? 'a message'}`;
    let emailed = 0;
    const failed: string[] = [];
    for (const person of people.values()) {
      const address = (person.mail || person.userPrincipalName).toLowerCase();
      const urls = ports.urls(tenantId, message.id, address);
      const card = withCard ? approvalCard({ message, originator: provider.id, urls }) : undefined;
      const mail = ports.render(bodyHtml(message, urls.open), card);
      const outcome = await ports.sendEmail(tenantId, {
        to: { address, ...(person.displayName ? { displayName: person.displayName } : {}) },
        subject,
        ...mail,
        // One email per approver and submission: a retried activity does not send it twice (ACS Operation-Id).
        operationId: `approval:${message.id}:${message.lifecycle ?? message.version}:${address}`,
      });
      if (outcome.status === 'sent') emailed++;
      else failed.push(`${address}: ${outcome.reason}`);
    }
    const reasons = [...(withCard ? [] : [`Herald's provider registration is ${provider.status}: sent without a card`]), ...failed];
    return { emailed, ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
  };
}

export interface ProviderCardPorts extends Omit<ApprovalCardPorts, 'approversGroup' | 'urls'> {
  /** The tenant's provider approvers (tenant setting `providerApproversGroup`). */
  approversGroup(tenantId: string): Promise<string | undefined>;
  urls(tenantId: string, providerId: string, recipient: string): ApprovalCardUrls;
}

/**
 * The same for an Organization provider waiting for its tenant's admins: each member of the provider
 * approvers group but its registrant and submitter gets a card with the registration, Approve and Reject.
 */
export function createProviderCardEmail(ports: ProviderCardPorts) {
  return async function emailProviderApprovers(tenantId: string, provider: Provider): Promise<{ emailed: number; reason?: string }> {
    const group = await ports.approversGroup(tenantId);
    if (!group) return { emailed: 0, reason: 'the tenant names no provider approvers group (tenant setting providerApproversGroup)' };
    const herald = await ports.heraldProvider(tenantId);
    const withCard = herald.status === 'Approved';
    const people = new Map<string, DirectoryUser>();
    for await (const page of ports.groupMembers(tenantId, group))
      for (const u of page)
        if (u.id !== provider.createdBy.id && u.id !== provider.submittedBy?.id && (u.mail || u.userPrincipalName)) people.set(u.id, u);
    let emailed = 0;
    const failed: string[] = [];
    for (const person of people.values()) {
      const address = (person.mail || person.userPrincipalName).toLowerCase();
      const urls = ports.urls(tenantId, provider.id, address);
      const card = withCard ? providerApprovalCard({ provider, originator: herald.id, urls }) : undefined;
      const html = [
        '<html><head></head><body>',
        `<p>The actionable-message provider “${escape(provider.friendlyName)}” asks to send cards to your organisation.</p>`,
        `<p>Senders: ${escape(provider.senderAddresses.join(', '))}; target URLs: ${escape(provider.targetUrls.join(', '))}.</p>`,
        `<p><a href="${escape(urls.open)}">Open it in Herald</a> to approve or reject it.</p>`,
        '</body></html>',
      ].join('');
      const outcome = await ports.sendEmail(tenantId, {
        to: { address, ...(person.displayName ? { displayName: person.displayName } : {}) },
        subject: `Provider approval needed: ${provider.friendlyName}`,
        ...ports.render(html, card),
        operationId: `provider-approval:${provider.id}:${provider.submittedAt ?? provider.version}:${address}`,
      });
      if (outcome.status === 'sent') emailed++;
      else failed.push(`${address}: ${outcome.reason}`);
    }
    const reasons = [...(withCard ? [] : [`Herald's provider registration is ${herald.status}: sent without a card`]), ...failed];
    return { emailed, ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
  };
}
