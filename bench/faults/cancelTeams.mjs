// A cancel while a Teams message is being sent stops it before the next bulk request.
import { messageCancel } from '../lib/faults.mjs';

export default {
  name: 'cancel-teams',
  title: 'cancel mid-send: Teams',
  run: (ctx) => messageCancel({ ...ctx, name: 'cancel-teams', channel: 'teams', env: {} }),
};
