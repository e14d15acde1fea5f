/**
 * A message's status machine (DESIGN.md §3). Pure: which transition may happen from which status, and
 * where it leads. Who may ask for it is `roles.ts`; when it happens is the lifecycle orchestration.
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

export const TRANSITIONS = [
  'submit',
  'approve',
  'reject',
  'autoReject',
  'withdraw',
  'start',
  'end',
  'deliver',
  'cancel',
  'sendUrgent',
] as const;
export type Transition = (typeof TRANSITIONS)[number];

export interface TransitionContext {
  /** Pre-made (template) messages need no approval. */
  premade: boolean;
  urgent: boolean;
}

export type TransitionResult = { ok: true; status: MessageStatus } | { ok: false; reason: string };

const TERMINAL: ReadonlySet<MessageStatus> = new Set(['Delivered', 'Expired', 'Cancelled']);

export const isTerminal = (s: MessageStatus) => TERMINAL.has(s);

/** Where `transition` takes a message in `status`, or why it cannot. */
export function transition(status: MessageStatus, t: Transition, ctx: TransitionContext): TransitionResult {
  const to = (next: MessageStatus): TransitionResult => ({ ok: true, status: next });
  const no = (why: string): TransitionResult => ({ ok: false, reason: why });
  switch (t) {
    case 'submit':
      if (status !== 'Draft') return no(`only a Draft can be submitted; the message is ${status}`);
      if (ctx.urgent) return no('an urgent message is sent, not submitted');
      return to(ctx.premade ? 'Scheduled' : 'PendingApproval');
    case 'sendUrgent':
      if (status !== 'Draft') return no(`only a Draft can be sent; the message is ${status}`);
      if (!ctx.urgent) return no('only an urgent message can be sent at once; submit it instead');
      return to('Active');
    case 'approve':
    case 'reject':
    case 'autoReject':
      if (status !== 'PendingApproval')
        return no(`only a message pending approval can be ${t === 'approve' ? 'approved' : 'rejected'}; the message is ${status}`);
      return to(t === 'approve' ? 'Scheduled' : 'Rejected');
    case 'withdraw':
      if (status !== 'Rejected') return no(`only a Rejected message can be withdrawn; the message is ${status}`);
      return to('Draft');
    case 'start':
      if (status !== 'Scheduled') return no(`only a Scheduled message can start; the message is ${status}`);
      return to('Active');
    case 'end':
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

/** Drafts are the only messages whose content may change. */
export const isEditable = (s: MessageStatus) => s === 'Draft';
/** An Active message is being delivered: it must be cancelled before it can be deleted. */
export const isDeletable = (s: MessageStatus) => s !== 'Active';
