/**
 * What a person may do to a message in its status: asked of Herald's own status machine and roles
 * (core/lifecycle.ts, core/roles.ts, pure and shared with the API), so the console offers what the API allows.
 */
import { isDeletable, isEditable, transition, transitionContext } from '../../core/lifecycle';
import { mayDecide } from '../../core/roles';
import type { Message } from './api/client';
import type { Account } from './auth/session';

export type RowAction = 'modify' | 'submit' | 'send' | 'approve' | 'reject' | 'withdraw' | 'copy' | 'cancel' | 'delete';

export const ACTION_LABEL: Record<RowAction, string> = {
  modify: 'Modify',
  submit: 'Submit',
  send: 'Send now',
  approve: 'Approve',
  reject: 'Reject',
  withdraw: 'Withdraw',
  copy: 'Copy',
  cancel: 'Cancel',
  delete: 'Delete',
};

export function rowActions(message: Message, account: Account): RowAction[] {
  const writer = account.roles.includes('Messages.Write');
  const ctx = transitionContext(message);
  const allows = (t: Parameters<typeof transition>[1]) => transition(message.status, t, ctx).ok;
  const caller = { tenantId: account.tenantId, userId: account.userId, roles: account.roles };
  const actions: RowAction[] = [];
  if (writer && isEditable(message.status)) actions.push('modify');
  if (writer && allows('submit')) actions.push('submit');
  if (writer && allows('send')) actions.push('send');
  if (allows('approve') && mayDecide(caller, message.createdBy.id)) actions.push('approve', 'reject');
  if (writer && allows('withdraw')) actions.push('withdraw');
  if (writer) actions.push('copy');
  if (writer && allows('cancel')) actions.push('cancel');
  if (writer && isDeletable(message.status)) actions.push('delete');
  return actions;
}
