/**
 * Frequency resends: every five minutes, Active push-channel messages whose next occurrence is due start
 * it (jobs/delivery/occurrenceStarts.ts `startDueResends`). Resolution skips recipients who clicked, so a
 * resend only reaches those who have not acted.
 */
import { app } from '@azure/functions';
import { now } from '../../adapters/runtime/clock.js';
import { deliveryJobs } from '../../jobs/delivery/deliveryWiring.js';

app.timer('frequencyResends', {
  schedule: '0 */5 * * * *',
  handler: (_timer, context) => deliveryJobs.startDueResends(now(), (line) => context.log(line)),
});
