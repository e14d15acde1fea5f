// Placeholder: the ACS Email stand-in is being written (issue #5).
import type { StandIn, StandInContext } from './standin.js';

export async function createAcsEmailStandIn(_ctx: StandInContext): Promise<StandIn> {
  return { name: 'acs-email', handle: () => false };
}
