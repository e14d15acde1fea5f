/**
 * Resumes a dead worker's batches within seconds: every five seconds, and at start, each batch listed as
 * held whose lease has lapsed is queued again (jobs/delivery/resumeHeld.ts). One small partition read when
 * nothing is being sent.
 */
import { app } from '@azure/functions';
import { heldResume } from '../../jobs/delivery/deliveryWiring.js';

app.timer('deliveryResume', {
  schedule: '*/5 * * * * *',
  runOnStartup: true,
  handler: async (_timer, context) => void (await heldResume.resumeHeld((line) => context.log(line))),
});
