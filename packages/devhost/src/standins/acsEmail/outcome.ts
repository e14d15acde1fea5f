/**
 * How a send ends, scripted by recipient address so a test can provoke ACS's failures: an email with any
 * recipient whose local part starts with `fail` is dropped as suppressed, `bounce` as hard-bounced.
 */
import type { Address, FinalStatus } from './store.js';

const SCRIPTED: { prefix: string; code: string; message: string }[] = [
  {
    prefix: 'fail',
    code: 'EmailDroppedAllRecipientsSuppressed',
    message: 'Message dropped because all recipients were suppressed.',
  },
  {
    prefix: 'bounce',
    code: 'EmailDroppedAllRecipientsBounced',
    message: 'Message dropped because a hard bounce was detected for all recipients.',
  },
];

export function outcomeFor(recipients: Address[]): { status: FinalStatus; error?: { code: string; message: string } } {
  for (const { address } of recipients) {
    const local = address.slice(0, address.lastIndexOf('@')).toLowerCase();
    const scripted = SCRIPTED.find((s) => local.startsWith(s.prefix));
    if (scripted) return { status: 'Failed', error: { code: scripted.code, message: scripted.message } };
  }
  return { status: 'Succeeded' };
}
