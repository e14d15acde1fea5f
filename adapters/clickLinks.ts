// Placeholder: signed click-tracking links are being written (issue #5).
import type { Channel } from '../core/delivery.js';

export interface ClickLink {
  tenantId: string;
  messageId: string;
  occurrence: number;
  userId: string;
  channel: Channel;
  /** Where the click goes (the message's call to action). */
  url: string;
}

/** An absolute URL of Herald's click redirect that records the click and forwards to `link.url`. */
export async function clickUrl(_link: ClickLink): Promise<string> {
  throw new Error('click links are not built yet');
}
