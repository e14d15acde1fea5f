// Placeholder: the Teams activity-feed adapter is being written (issue #5).
import type { SendOutcome } from '../core/delivery.js';

export interface TeamsNotification {
  /** Same chainId for the same message occurrence: Teams replaces rather than adds a resend. */
  chainId: number;
  previewText: string;
  /** Link the notification opens (the signed click redirect). */
  webUrl: string;
  /** Topic text shown with the notification. */
  topic: string;
}

export async function sendTeamsBulk(_tenantId: string, _userIds: string[], _n: TeamsNotification): Promise<SendOutcome> {
  throw new Error('the Teams adapter is not built yet');
}
