/**
 * The provider approval orchestration's activity, built from the ports it needs so a unit test can run it
 * on fakes: tell the tenant's provider approvers (tenant setting `providerApproversGroup`) in Teams that an
 * Organization provider waits for them, never its submitter. Best effort: a failure is answered, not thrown.
 */
import type { InputOf, OutputOf, REMIND_PROVIDER_APPROVERS } from '../core/hops.js';
import type { Provider } from '../core/provider.js';

export interface ProviderApprovalPorts {
  getProvider(tenantId: string, providerId: string): Promise<Provider | undefined>;
  approversGroup(tenantId: string): Promise<string | undefined>;
  groupMembers(tenantId: string, groupId: string): AsyncIterable<readonly { id: string }[]>;
  sendTeams(
    tenantId: string,
    userIds: string[],
    notice: { topic: string; previewText: string; webUrl: string; chainId: number },
  ): Promise<unknown>;
  /** Where an approver opens the provider. */
  providerUrl(providerId: string): string;
}

type Log = (line: string) => void;

const PER_REQUEST = 100;
// One chain per provider: Teams shows a reminder in place of the notice before it.
const chainOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

export function createProviderApprovalActivities(ports: ProviderApprovalPorts) {
  return {
    async remindApprovers(input: InputOf<typeof REMIND_PROVIDER_APPROVERS>, log: Log): Promise<OutputOf<typeof REMIND_PROVIDER_APPROVERS>> {
      const { tenantId, providerId, reminder } = input;
      const provider = await ports.getProvider(tenantId, providerId);
      if (!provider || provider.status !== 'Submitted')
        return { waiting: false, notified: 0, reason: 'the provider no longer waits for approval' };
      const told = await (async () => {
        const group = await ports.approversGroup(tenantId);
        if (!group) return { notified: 0, reason: 'the tenant names no provider approvers group (tenant setting providerApproversGroup)' };
        const people = new Set<string>();
        for await (const page of ports.groupMembers(tenantId, group))
          for (const u of page) if (u.id !== provider.createdBy.id && u.id !== provider.submittedBy?.id) people.add(u.id);
        const notice = {
          topic: `${reminder > 0 ? 'Reminder: ' : ''}approval needed for the actionable-message provider ${provider.friendlyName}`,
          previewText:
            `${provider.submittedBy?.name || provider.submittedBy?.upn || 'Someone'} asks you to approve "${provider.friendlyName}" for your organisation.`.slice(
              0,
              150,
            ),
          webUrl: ports.providerUrl(provider.id),
          chainId: chainOf(provider.id),
        };
        const ids = [...people];
        for (let i = 0; i < ids.length; i += PER_REQUEST) await ports.sendTeams(tenantId, ids.slice(i, i + PER_REQUEST), notice);
        return { notified: ids.length };
      })().catch((error: unknown) => ({ notified: 0, reason: `the approvers could not be notified: ${(error as Error).message}` }));
      log(
        `provider ${providerId} (tenant ${tenantId}): ${told.notified} approver(s) ${reminder > 0 ? `reminded (${reminder})` : 'notified'}${'reason' in told ? `; ${told.reason}` : ''}`,
      );
      return { waiting: true, ...told };
    },
  };
}
