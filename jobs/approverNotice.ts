/**
 * Tells a tenant's approvers that a message waits for them, the moment it does: a Teams activity
 * notification to the members of the tenant's approvers group (tenant setting `approversGroup`), never to
 * the message's author. An urgent message says so in its topic. Best effort: a failure is logged and
 * answered, and the approval itself never waits on it.
 */
import type { MessageRecord } from '../core/records.js';

export interface ApproverNoticePorts {
  approversGroup(tenantId: string): Promise<string | undefined>;
  /** The group's members, transitively, page by page (Graph ids). */
  groupMembers(tenantId: string, groupId: string): AsyncIterable<readonly { id: string }[]>;
  /** One Teams activity notification to ≤ 100 people. */
  sendTeams(
    tenantId: string,
    userIds: string[],
    notice: { topic: string; previewText: string; webUrl: string; chainId: number },
  ): Promise<unknown>;
  /** Where an approver opens the message. */
  messageUrl(messageId: string): string;
}

const PER_REQUEST = 100;
// The chainId a message's approval notice takes (Teams replaces a repeat rather than adding one).
const chainOf = (id: string) => parseInt(id.slice(0, 12), 16);

export function createApproverNotice(ports: ApproverNoticePorts) {
  return async function notifyApprovers(tenantId: string, message: MessageRecord): Promise<{ notified: number; reason?: string }> {
    const group = await ports.approversGroup(tenantId);
    if (!group) return { notified: 0, reason: 'the tenant names no approvers group (tenant setting approversGroup)' };
    const people = new Set<string>();
    for await (const page of ports.groupMembers(tenantId, group)) for (const u of page) if (u.id !== message.author.id) people.add(u.id);
    const name = message.draft.name ?? 'a message';
    const notice = {
      topic: `${message.draft.urgent ? 'Urgent: ' : ''}approval needed for ${name}`,
      previewText: `${message.author.name || message.author.upn} asks you to review "${name}".`.slice(0, 150),
      webUrl: ports.messageUrl(message.id),
      chainId: chainOf(message.id),
    };
    const ids = [...people];
    for (let i = 0; i < ids.length; i += PER_REQUEST) await ports.sendTeams(tenantId, ids.slice(i, i + PER_REQUEST), notice);
    return { notified: ids.length };
  };
}
