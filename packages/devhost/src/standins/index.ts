import type { StandIn, StandInContext } from './standin.js';
import { createGraphStandIn } from './graph/index.js';
import { createAcsEmailStandIn } from './acsEmail.js';
import { createOutlookStandIn } from './outlook/index.js';
import { createPushStandIn } from './push.js';

/** Every stand-in devhost serves, in the order they are asked about a request. */
export async function createStandIns(ctx: StandInContext): Promise<StandIn[]> {
  const graph = await createGraphStandIn(ctx);
  // Outlook reads the mail ACS delivers, and finds each mailbox's tenant in the directories Graph serves.
  const outlook = await createOutlookStandIn(ctx, { directory: (address) => graph.findUser(address) });
  return [graph, await createAcsEmailStandIn(ctx, outlook), outlook, await createPushStandIn(ctx)];
}
