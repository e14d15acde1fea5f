/**
 * What the registry's HTTP handlers ask of a provider's approval orchestration: start it for an
 * Organization submission, and end its wait once the provider is decided or withdrawn.
 */
import type { DurableClient } from 'durable-functions';
import { PROVIDER_APPROVAL, PROVIDER_DECIDED } from '../core/hops.js';
import type { Provider } from '../core/provider.js';
import type { Actor } from '../core/records.js';
import { raiseEvent, startOrchestration } from './durableHops.js';

/** One orchestration per submission of a provider version. */
export const providerApprovalId = (tenantId: string, providerId: string, version: number) => `prov-${tenantId}-${providerId}-v${version}`;

export async function startProviderApproval(
  client: DurableClient,
  provider: Provider,
  instanceId: string,
  submittedBy: Actor,
): Promise<void> {
  try {
    await startOrchestration(client, PROVIDER_APPROVAL, instanceId, { tenantId: provider.tenantId, providerId: provider.id, submittedBy });
  } catch (error) {
    // The same submission asked for again: it is under way already.
    if (!(await client.getStatus(instanceId).catch(() => undefined))) throw error;
  }
}

/** Ends the reminders; an orchestration that has ended already (its reminders ran out) needs nothing. */
export async function endProviderApproval(client: DurableClient, provider: Provider, log: (line: string) => void): Promise<void> {
  if (!provider.approval) return;
  await raiseEvent(client, provider.approval, PROVIDER_DECIDED, { status: provider.status }).catch((error: unknown) =>
    log(`provider ${provider.id}: approval ${provider.approval} did not take the decided event: ${(error as Error).message}`),
  );
}
