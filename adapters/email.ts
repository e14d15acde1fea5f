// Placeholder: the ACS email adapter is being written (issue #5).
import type { SendOutcome } from '../core/delivery.js';

export interface OutgoingEmail {
  to: { address: string; displayName?: string };
  subject: string;
  html: string;
  plainText: string;
  /** Idempotency key: the same id never sends twice (ACS Operation-Id). */
  operationId: string;
}

export async function sendEmail(_tenantId: string, _email: OutgoingEmail): Promise<SendOutcome> {
  throw new Error('the email adapter is not built yet');
}
