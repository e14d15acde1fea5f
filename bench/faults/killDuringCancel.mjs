// kill -9 of the host while a cancel of an email message is on its way: whether the cancel was recorded
// before the kill or is made again after the restart, no email starts after it (beyond the slice in flight)
// — a restarted host does not resume the send while the lifecycle catches up — and the counts match.
import { messageCancel } from '../lib/faults.mjs';

export default {
  name: 'kill-during-cancel',
  title: 'kill -9 during a cancel: email',
  run: (ctx) =>
    messageCancel({
      ...ctx,
      name: 'kill-during-cancel',
      channel: 'email',
      kill: true,
      env: { EMAIL_SENDS_PER_SECOND: ctx.short ? '40' : '150' },
    }),
};
