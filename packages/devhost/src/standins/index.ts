import type { StandIn, StandInContext } from './standin.js';
import { createGraphStandIn } from './graph/index.js';
import { createAcsEmailStandIn } from './acsEmail.js';
import { createPushStandIn } from './push.js';

/** Every stand-in devhost serves, in the order they are asked about a request. */
export async function createStandIns(ctx: StandInContext): Promise<StandIn[]> {
  return [await createGraphStandIn(ctx), await createAcsEmailStandIn(ctx), await createPushStandIn(ctx)];
}
