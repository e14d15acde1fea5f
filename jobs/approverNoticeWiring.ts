/**
 * The approver notice on the real adapters: the Teams activity notice to the tenant's approvers group
 * (its setting, Graph's group members) and, beside it, the approval email with its actionable card
 * (jobs/approvalCardWiring.ts). Each is best effort on its own: one failing does not keep the other back.
 */
import { publicBaseUrl } from '../adapters/runtime/clickLinks.js';
import { directory } from '../adapters/services/graphDirectory.js';
import { sendTeamsBulk } from '../adapters/services/teamsNotifier.js';
import { getTenantSettings } from '../adapters/stores/tenantSettingsStore.js';
import type { MessageRecord } from '../core/records.js';
import { emailApprovers } from './approvalCardWiring.js';
import { createApproverNotice } from './approverNotice.js';

const teamsNotice = createApproverNotice({
  approversGroup: async (tenantId) => (await getTenantSettings(tenantId)).approversGroup,
  groupMembers: (tenantId, groupId) => directory().groupMembers(tenantId, groupId),
  sendTeams: sendTeamsBulk,
  messageUrl: (messageId) => `${publicBaseUrl()}/api/messages/${messageId}`,
});

const failed = (what: string) => (error: unknown) => ({ reason: `${what} failed: ${(error as Error).message}` });

export async function notifyApprovers(tenantId: string, message: MessageRecord): Promise<{ notified: number; reason?: string }> {
  const [teams, email] = await Promise.all([
    teamsNotice(tenantId, message).catch(failed('the Teams notice')),
    emailApprovers(tenantId, message).catch(failed('the approval email')),
  ]);
  const reasons = [teams.reason, email.reason && `email: ${email.reason}`].filter(Boolean);
  return { notified: 'notified' in teams ? teams.notified : 0, ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
}
