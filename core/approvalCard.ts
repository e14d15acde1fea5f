/**
 * The card an approver gets by email when a custom message waits for approval (an Outlook actionable
 * message): the message's title, body and audience, Approve, and Reject with a required comment. Adaptive
 * Card version 1.0, the only version at which Outlook shows `Action.Http` buttons. Once the message has
 * moved on, the same card answers with its current state instead (approved or rejected, and by whom; rejected
 * automatically at its end date; withdrawn; cancelled), on a press or when the mail is opened
 * (`autoInvokeAction`). An Organization provider waiting for the tenant's admins gets the same kind of card
 * (`providerApprovalCard`). Pure: the URLs, the provider id and the decision come in as values.
 */
import type { TransitionRecord } from './lifecycle.js';
import type { Provider } from './provider.js';
import type { MessageRecord } from './records.js';

export type Card = Record<string, unknown>;

/** The most a rejection's comment may hold: what `POST /api/messages/{id}/reject` takes. */
export const MAX_COMMENT = 1000;

export interface ApprovalCardUrls {
  /** Each action's URL carries its own limited-purpose token, bound to the message and the recipient. */
  approve: string;
  reject: string;
  refresh: string;
  /** Where the approver opens the message in Herald (the card's deep link). */
  open: string;
}

export interface ApprovalCardInput {
  message: MessageRecord;
  /** Herald's provider id: the card's `originator`. */
  originator: string;
  urls: ApprovalCardUrls;
  /** Names for the audience's group ids, when the directory gave them. */
  groupNames?: ReadonlyMap<string, string>;
}

/** A decision as the card tells it: who decided, and the comment of a rejection. */
export interface CardDecision {
  approve: boolean;
  by: { name: string; upn: string };
  comment?: string;
}

/**
 * TextBlock text is Markdown in Outlook: the message's own words are shown as written, not as formatting.
 * HTML is shown as text anyway.
 */
export const markdownText = (text: string): string => text.replace(/([\\`*_{}[\]()#+\-.!|>~])/g, '\\$1');

/** Who the message goes to, in words: its groups (by name when known) and each filter. */
export function audienceText(message: MessageRecord, groupNames: ReadonlyMap<string, string> = new Map()): string {
  const a = message.draft.audience ?? {};
  const parts: string[] = [];
  const groups = a.groups ?? [];
  if (groups.length) parts.push(`Groups: ${groups.map((g) => groupNames.get(g) ?? g).join(', ')}`);
  if (a.companies?.length) parts.push(`Companies: ${a.companies.join(', ')}`);
  if (a.departments?.length) parts.push(`Departments: ${a.departments.join(', ')}`);
  if (a.locations?.length) parts.push(`Locations: ${a.locations.join(', ')}`);
  if (a.segments?.length) parts.push(`Usage segments: ${a.segments.join(', ')}`);
  if (a.usage?.length) parts.push(`Inactive in: ${a.usage.map((u) => `${u.product} for ${u.inactiveDays} days`).join(', ')}`);
  return parts.length ? parts.join('; ') : 'No audience yet';
}

const text = (value: string, extra: Card = {}): Card => ({ type: 'TextBlock', text: value, wrap: true, ...extra });

function header(message: MessageRecord, groupNames?: ReadonlyMap<string, string>): Card[] {
  const content = message.draft.content ?? {};
  const author = message.author.name || message.author.upn;
  return [
    text(`${message.draft.urgent ? 'Urgent: ' : ''}Approval needed: ${markdownText(message.draft.name ?? 'a message')}`, {
      size: 'Medium',
      weight: 'Bolder',
    }),
    text(`From ${markdownText(author)}, for ${markdownText(message.draft.location ?? 'no location yet')}`, { isSubtle: true }),
    text(`**${markdownText(content.title ?? '(no title)')}**`),
    text(markdownText(content.body ?? '(no body)')),
    {
      type: 'FactSet',
      facts: [
        { title: 'Audience', value: audienceText(message, groupNames) },
        ...(message.draft.schedule ? [{ title: 'Runs', value: `${message.draft.schedule.start} to ${message.draft.schedule.end}` }] : []),
      ],
    },
  ];
}

/** The card each approver gets while the message waits for approval. */
export function approvalCard({ message, originator, urls, groupNames }: ApprovalCardInput): Card {
  return decisionCard(originator, `${message.id}-v${message.version}`, urls, header(message, groupNames));
}

/** A card with `body` above Approve, Reject (with a required comment) and the link to Herald, refreshed on open. */
function decisionCard(originator: string, correlationId: string, urls: ApprovalCardUrls, body: Card[], whoSees = 'The author'): Card {
  const headers = [{ name: 'Content-Type', value: 'application/json' }];
  return {
    type: 'AdaptiveCard',
    version: '1.0',
    originator,
    correlationId,
    // Opened after another approver decided, the card shows that decision instead of buttons.
    autoInvokeAction: { type: 'Action.Http', method: 'POST', url: urls.refresh, body: '' },
    body,
    actions: [
      { type: 'Action.Http', id: 'approve', title: 'Approve', method: 'POST', url: urls.approve, headers, body: '{}' },
      {
        type: 'Action.ShowCard',
        id: 'showReject',
        title: 'Reject',
        card: {
          type: 'AdaptiveCard',
          body: [
            text(`Why is it rejected? ${whoSees} sees your comment.`),
            // isRequired: clients that know it refuse an empty comment; Herald refuses one in any case (rejectComment).
            {
              type: 'Input.Text',
              id: 'comment',
              isMultiline: true,
              isRequired: true,
              maxLength: MAX_COMMENT,
              placeholder: 'A comment is required',
            },
          ],
          actions: [
            {
              type: 'Action.Http',
              id: 'reject',
              title: 'Reject',
              method: 'POST',
              url: urls.reject,
              headers,
              // Outlook inserts the comment as typed, unescaped: rejectComment reads it back defensively.
              body: '{"comment":"{{comment.value}}"}',
            },
          ],
        },
      },
      { type: 'Action.OpenUrl', title: 'Open in Herald', url: urls.open },
    ],
  };
}

/** The message's state in one sentence, for an approver whose card is no longer the one to act on. */
export function stateText(message: MessageRecord, decision: CardDecision | undefined): string {
  const by = (d: CardDecision) => markdownText(d.by.name || d.by.upn);
  const last: TransitionRecord | undefined = message.lastAction;
  if (last === 'autoRejected') return 'Rejected automatically: nobody reviewed it before its end date.';
  if (message.status === 'Cancelled')
    return `Cancelled by ${markdownText(message.lastActor?.name || message.lastActor?.upn || 'its author')}.`;
  if (message.status === 'Draft') return 'Withdrawn: the author is changing it and may submit it again.';
  if (decision && !decision.approve)
    return `Rejected by ${by(decision)}${decision.comment ? `: "${markdownText(decision.comment)}"` : '.'}`;
  if (decision?.approve) return `Approved by ${by(decision)}. It is now ${message.status}.`;
  return `It is now ${message.status}.`;
}

/**
 * The card for the message as it is now: the approval card while it waits (and no decision is recorded),
 * else its state with only the link to Herald left.
 */
export function currentCard(input: ApprovalCardInput & { decision: CardDecision | undefined }): Card {
  const { message, decision } = input;
  if (message.status === 'PendingApproval' && !decision) return approvalCard(input);
  return {
    type: 'AdaptiveCard',
    version: '1.0',
    originator: input.originator,
    body: [...header(message, input.groupNames), text(`**${stateText(message, decision)}**`)],
    actions: [{ type: 'Action.OpenUrl', title: 'Open in Herald', url: input.urls.open }],
  };
}

/** What Outlook shows in the card after a press (CARD-ACTION-STATUS): never the actor's name or the time. */
export const APPROVAL_STATUS = {
  approved: 'The message was approved.',
  rejected: 'The message was rejected.',
  alreadyDecided: 'Another approver decided on this message first.',
  notPending: 'This message no longer waits for approval.',
  ownMessage: 'You cannot approve or reject your own message.',
  notApprover: 'Only the tenant’s approvers can decide on this message.',
  commentRequired: `Please enter a comment (at most ${MAX_COMMENT} characters).`,
} as const;

/** The comment of a reject press: its body is JSON as the card wrote it, the comment inserted as typed. */
export function rejectComment(body: string): { ok: true; comment: string } | { ok: false } {
  const typed = /^\s*\{\s*"comment"\s*:\s*"([\s\S]*)"\s*\}\s*$/.exec(body)?.[1];
  if (typed === undefined) return { ok: false };
  let comment = typed;
  try {
    // A comment without quotes or backslashes parses as JSON; one with them was inserted raw and is kept as typed.
    comment = JSON.parse(`"${typed}"`) as string;
  } catch {
    // kept as typed
  }
  comment = comment.trim();
  return comment.length > 0 && comment.length <= MAX_COMMENT ? { ok: true, comment } : { ok: false };
}

/** What a provider card needs: the provider as registered, its decision once made. */
export interface ProviderCardInput {
  provider: Provider;
  /** Herald's provider id in the provider's tenant: the card's `originator`. */
  originator: string;
  urls: ApprovalCardUrls;
}

function providerHeader(provider: Provider): Card[] {
  const by = provider.submittedBy ?? provider.createdBy;
  return [
    text(`Provider approval needed: ${markdownText(provider.friendlyName)}`, { size: 'Medium', weight: 'Bolder' }),
    text(`Submitted by ${markdownText(by.name || by.upn)} for your organisation (Organization scope)`, { isSubtle: true }),
    {
      type: 'FactSet',
      facts: [
        { title: 'Sender addresses', value: provider.senderAddresses.join(', ') },
        { title: 'Target URLs', value: provider.targetUrls.join(', ') },
        { title: 'Entra app', value: provider.entraAppId },
        { title: 'Signed cards', value: provider.publicKey ? 'yes (a public key is registered)' : 'no' },
      ],
    },
  ];
}

/** An Organization provider's card for the tenant's provider approvers: Approve, and Reject with a required comment. */
export function providerApprovalCard({ provider, originator, urls }: ProviderCardInput): Card {
  return decisionCard(originator, `${provider.id}-v${provider.version}`, urls, providerHeader(provider), 'Its owner');
}

/** The provider's state in one sentence, once it no longer waits. */
export function providerStateText(provider: Provider): string {
  const who = markdownText(provider.lastActor?.name || provider.lastActor?.upn || 'someone');
  switch (provider.status) {
    case 'Approved':
      return `Approved by ${who}.`;
    case 'Rejected':
      return `Rejected by ${who}${provider.comment ? `: "${markdownText(provider.comment)}"` : '.'}`;
    case 'Suspended':
      return `Approved, then suspended by ${who}.`;
    case 'Draft':
      return 'Withdrawn: its owner is changing it and may submit it again.';
    default:
      return `It is now ${provider.status}.`;
  }
}

/** The provider's card as it is now: the approval card while it waits, else its state and the link. */
export function currentProviderCard(input: ProviderCardInput): Card {
  if (input.provider.status === 'Submitted') return providerApprovalCard(input);
  return {
    type: 'AdaptiveCard',
    version: '1.0',
    originator: input.originator,
    body: [...providerHeader(input.provider), text(`**${providerStateText(input.provider)}**`)],
    actions: [{ type: 'Action.OpenUrl', title: 'Open in Herald', url: input.urls.open }],
  };
}

/** CARD-ACTION-STATUS of a provider card's press. */
export const PROVIDER_STATUS = {
  approved: 'The provider was approved.',
  rejected: 'The provider was rejected.',
  notPending: 'This provider no longer waits for approval.',
  ownProvider: 'You cannot decide on a provider you registered or submitted.',
  notApprover: 'Only the tenant’s provider approvers can decide on this provider.',
} as const;
