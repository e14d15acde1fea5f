/** The approver notice on the real adapters: the tenant's setting, Graph's group members, Teams. */
import { publicBaseUrl } from '../adapters/runtime/clickLinks.js';
import { directory } from '../adapters/services/graphDirectory.js';
import { sendTeamsBulk } from '../adapters/services/teamsNotifier.js';
import { getTenantSettings } from '../adapters/stores/tenantSettingsStore.js';
import { createApproverNotice } from './approverNotice.js';

export const notifyApprovers = createApproverNotice({
  approversGroup: async (tenantId) => (await getTenantSettings(tenantId)).approversGroup,
  groupMembers: (tenantId, groupId) => directory().groupMembers(tenantId, groupId),
  sendTeams: sendTeamsBulk,
  messageUrl: (messageId) => `${publicBaseUrl()}/api/messages/${messageId}`,
});
