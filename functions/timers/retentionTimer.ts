/**
 * Retention: every night at 02:30 (UTC, or the app's WEBSITE_TIME_ZONE), per-recipient records older than
 * each tenant's `retentionDays` are purged; the daily counters stay (jobs/retentionPurge.ts). A run cut
 * short is finished by the next one.
 */
import { app } from '@azure/functions';
import { now } from '../../adapters/runtime/clock.js';
import { retentionJob } from '../../jobs/retentionWiring.js';

app.timer('retentionPurge', {
  schedule: '0 30 2 * * *',
  handler: async (_timer, context) => {
    const at = now();
    const deleted = await retentionJob.purgeExpired(at, (message) => context.warn(`retention: ${message}`));
    const parts = Object.entries(deleted).map(([name, count]) => `${name} ${count}`);
    context.log(`retention as of ${new Date(at).toISOString()}: deleted ${parts.join(', ')}`);
  },
});
