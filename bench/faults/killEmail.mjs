// kill -9 of the host while an email message is being sent to everyone: ACS drops a repeated Operation-Id,
// so every person gets exactly one email — no duplicates, no misses, nothing left unconfirmed.
import { messageKill } from '../lib/faults.mjs';

export default {
  name: 'kill-email',
  title: 'kill -9 mid-send: email',
  run: (ctx) => messageKill({ ...ctx, name: 'kill-email', channel: 'email', env: { EMAIL_SENDS_PER_SECOND: ctx.short ? '40' : '150' } }),
};
