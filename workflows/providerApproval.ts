/**
 * An Organization provider's approval, as a Durable orchestration (docs/actionable.md): the tenant's
 * provider approvers are told at once and reminded every day until one of them approves or rejects it
 * through the API (which changes the provider itself, against the status machine, and raises
 * `providerDecided`), or its owner withdraws it. After the last reminder the provider still waits;
 * nobody is told again.
 */
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { PROVIDER_APPROVAL, PROVIDER_DECIDED, REMIND_PROVIDER_APPROVERS, type ProviderApprovalInput } from '../core/hops.js';
import { publicBaseUrl } from '../adapters/runtime/clickLinks.js';
import { directory } from '../adapters/services/graphDirectory.js';
import { sendTeamsBulk } from '../adapters/services/teamsNotifier.js';
import { providerStore } from '../adapters/stores/providerStore.js';
import { getTenantSettings } from '../adapters/stores/tenantSettingsStore.js';
import { emailProviderApprovers } from '../jobs/approvalCardWiring.js';
import { callActivity, registerActivity, registerOrchestration, waitForEvent } from './durableHops.js';
import { createProviderApprovalActivities } from './providerApprovalActivities.js';

/** How long approvers have between reminders. */
export const PROVIDER_REMINDER_MS = 24 * 60 * 60 * 1000;
/** Reminders after the first notice: a week of them. */
export const PROVIDER_REMINDERS = 7;

export const providerApproval: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const input = ctx.df.getInput() as ProviderApprovalInput;
  for (let reminder = 0; ; reminder++) {
    const told = (yield callActivity(ctx, REMIND_PROVIDER_APPROVERS, {
      tenantId: input.tenantId,
      providerId: input.providerId,
      reminder,
    })) as {
      waiting: boolean;
    };
    if (!told.waiting) return undefined;
    const decided = waitForEvent(ctx, PROVIDER_DECIDED);
    if (reminder === PROVIDER_REMINDERS) {
      yield decided;
      return (decided.result as { status: string }).status;
    }
    const timer = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + PROVIDER_REMINDER_MS));
    const first = yield ctx.df.Task.any([decided, timer]);
    if (first === decided) {
      timer.cancel();
      return (decided.result as { status: string }).status;
    }
  }
};

registerOrchestration(PROVIDER_APPROVAL, providerApproval);

const activities = createProviderApprovalActivities({
  getProvider: (tenantId, providerId) => providerStore().get(tenantId, providerId),
  approversGroup: async (tenantId) => (await getTenantSettings(tenantId)).providerApproversGroup,
  groupMembers: (tenantId, groupId) => directory().groupMembers(tenantId, groupId),
  sendTeams: sendTeamsBulk,
  providerUrl: (providerId) => `${publicBaseUrl()}/api/providers/${providerId}`,
});
registerActivity(REMIND_PROVIDER_APPROVERS, async (input, context) => {
  const told = await activities.remindApprovers(input, (line) => context.log(line));
  // The first notice also goes by email with an actionable card (jobs/approvalCard.ts); reminders stay in Teams.
  if (told.waiting && input.reminder === 0) {
    const provider = await providerStore().get(input.tenantId, input.providerId);
    const mailed = provider
      ? await emailProviderApprovers(input.tenantId, provider).catch((error: unknown) => ({ emailed: 0, reason: (error as Error).message }))
      : undefined;
    if (mailed)
      context.log(`provider ${input.providerId}: ${mailed.emailed} approval card(s) emailed${mailed.reason ? `; ${mailed.reason}` : ''}`);
  }
  return told;
});
