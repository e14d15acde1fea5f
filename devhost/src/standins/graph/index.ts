// Placeholder: the Microsoft Graph stand-in is being written (issue #5).
import type { StandIn, StandInContext } from '../standin.js';

export async function createGraphStandIn(_ctx: StandInContext): Promise<StandIn> {
  return { name: 'graph', handle: () => false };
}
