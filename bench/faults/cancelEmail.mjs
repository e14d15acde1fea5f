// A cancel while an email message is being sent to everyone stops it: no email starts after the slice in
// flight, and `…/delivery` counts as sent exactly what ACS received and the rest as cancelled.
import { messageCancel } from '../lib/faults.mjs';

export default {
  name: 'cancel-email',
  title: 'cancel mid-send: email',
  run: (ctx) =>
    messageCancel({ ...ctx, name: 'cancel-email', channel: 'email', env: { EMAIL_SENDS_PER_SECOND: ctx.short ? '40' : '150' } }),
};
