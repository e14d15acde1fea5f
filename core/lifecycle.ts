/**
 * A message's status machine, the only place a status change is decided (docs/lifecycle.md). Pure: which
 * transition may happen from which status, where it leads, and the past-tense word the audit trail keeps
 * for it. Who may ask for it is `roles.ts`; when it happens is the lifecycle orchestration
 * (`workflows/messageLifecycle.ts`); the HTTP pre-checks and the store's conditional write both ask here.
 */

export const MESSAGE_STATUSES = [
  'Draft',
  'PendingApproval',
  'Scheduled',
  'Active',
  'Delivered',
  'Expired',
  'Rejected',
  'Cancelled',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** What is asked for (imperative); the audit trail records what happened (PAST_TENSE). */
export const TRANSITIONS = [
  'submit',
  'send',
  'approve',
  'reject',
  'autoReject',
  'withdraw',
  'start',
  'expire',
  'deliver',
  'cancel',
] as const;
export type Transition = (typeof TRANSITIONS)[number];

export const PAST_TENSE = {
  submit: 'submitted',
  send: 'sent',
  approve: 'approved',
  reject: 'rejected',
  autoReject: 'autoRejected',
  withdraw: 'withdrawn',
  start: 'started',
  expire: 'expired',
  deliver: 'delivered',
  cancel: 'cancelled',
} as const satisfies Record<Transition, string>;
/** A transition as the audit trail and `lastAction` name it. */
export type TransitionRecord = (typeof PAST_TENSE)[Transition];
export const TRANSITION_RECORDS = Object.values(PAST_TENSE) as TransitionRecord[];

export interface TransitionContext {
  /** Pre-made (template) messages need no approval. */
  premade: boolean;
  urgent: boolean;
}

/** The context a message's own draft gives its transitions. */
export const transitionContext = (draft: { template?: { kind: string }; urgent?: boolean }): TransitionContext => ({
  premade: draft.template?.kind === 'premade',
  urgent: draft.urgent ?? false,
});

export type TransitionCheck = { ok: true; status: MessageStatus } | { ok: false; reason: string };

const TERMINAL: ReadonlySet<MessageStatus> = new Set(['Delivered', 'Expired', 'Cancelled']);

export const isTerminal = (s: MessageStatus) => TERMINAL.has(s);

/** Where `transition` takes a message in `status`, or why it cannot. */
export function transition(status: MessageStatus, t: Transition, ctx: TransitionContext): TransitionCheck {
  const to = (next: MessageStatus): TransitionCheck => ({ ok: true, status: next });
  const no = (why: string): TransitionCheck => ({ ok: false, reason: why });
  switch (t) {
    case 'submit':
      if (status !== 'Draft') return no(`only a Draft can be submitted; the message is ${status}`);
      if (ctx.urgent) return no('an urgent message is sent at once, not submitted: send it instead');
      return to(ctx.premade ? 'Scheduled' : 'PendingApproval');
    case 'send':
      if (status !== 'Draft') return no(`only a Draft can be sent; the message is ${status}`);
      if (!ctx.urgent) return no('only an urgent message is sent at once; submit this one instead');
      // Urgency waives the schedule, not the review: custom words still need an approver.
      return to(ctx.premade ? 'Active' : 'PendingApproval');
    case 'approve':
    case 'reject':
    case 'autoReject':
      if (status !== 'PendingApproval')
        return no(`only a message pending approval can be ${t === 'approve' ? 'approved' : 'rejected'}; the message is ${status}`);
      if (t !== 'approve') return to('Rejected');
      return to(ctx.urgent ? 'Active' : 'Scheduled');
    case 'withdraw':
      if (status !== 'Rejected') return no(`only a Rejected message can be withdrawn; the message is ${status}`);
      return to('Draft');
    case 'start':
      if (status !== 'Scheduled') return no(`only a Scheduled message can start; the message is ${status}`);
      return to('Active');
    case 'expire':
      if (status !== 'Active') return no(`only an Active message can expire; the message is ${status}`);
      return to('Expired');
    case 'deliver':
      if (status !== 'Active') return no(`only an Active message can be delivered; the message is ${status}`);
      return to('Delivered');
    case 'cancel':
      if (status !== 'PendingApproval' && status !== 'Scheduled' && status !== 'Active') {
        return no(`only a message pending approval, scheduled or active can be cancelled; the message is ${status}`);
      }
      return to('Cancelled');
  }
}

/**
 * An urgent message has no end date to be auto-rejected at; one nobody reviews within a day is rejected
 * automatically, as past that it is no longer urgent.
 */
export const URGENT_REVIEW_MS = 24 * 60 * 60 * 1000;

/** Drafts are the only messages whose content may change. */
export const isEditable = (s: MessageStatus) => s === 'Draft';
/** An Active message is being delivered: it must be cancelled before it can be deleted. */
export const isDeletable = (s: MessageStatus) => s !== 'Active';
