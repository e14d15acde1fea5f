// kill -9 of the host while a Teams message is being sent to everyone: after the restart nobody has a
// second notification, whoever has none is reported unconfirmed, and sending resumed within seconds.
import { messageKill } from '../lib/faults.mjs';

export default {
  name: 'kill-teams',
  title: 'kill -9 mid-send: Teams',
  // The default pace (2 requests a second, 99 people each): a send of thousands lasts long enough to be hit.
  run: (ctx) => messageKill({ ...ctx, name: 'kill-teams', channel: 'teams', env: {} }),
};
