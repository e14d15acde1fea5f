/**
 * Frequency resends: every five minutes, Active push-channel messages whose next occurrence is due start
 * it (the occurrence in force now; rounds missed while nothing ran are not sent late one by one).
 * Resolution skips recipients who clicked, so a resend only reaches those who have not acted.
 */
import { app } from '@azure/functions';
import { nextOccurrence, occurrenceAt } from '../../core/schedule.js';
import { now } from '../../adapters/runtime/clock.js';
import { messageStore } from '../../adapters/stores/messageStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { startPushOccurrence } from '../../jobs/delivery/occurrences.js';

app.timer('frequencyResends', {
  schedule: '0 */5 * * * *',
  handler: async (_timer, context) => {
    const at = now();
    const store = messageStore();
    for await (const due of store.dueOccurrences(new Date(at).toISOString())) {
      const message = await store.get(due.tenant, due.id);
      const schedule = message?.draft.schedule;
      if (!message || message.status !== 'Active' || !schedule?.start || !schedule.end) continue;
      const { timeZone } = await getTenantSettings(due.tenant);
      const plan = schedule as Parameters<typeof occurrenceAt>[0];
      const occurrence = occurrenceAt(plan, at, timeZone);
      if (!occurrence || occurrence.index <= due.occurrence) {
        // Nothing new in force (the schedule ended, or this round was started): just move the marker on.
        await store.setOccurrence(due.tenant, due.id, due.occurrence, nextOccurrence(plan, at, timeZone)?.start);
        continue;
      }
      await startPushOccurrence(message, due.tenant, occurrence.index, at);
      context.log(`message ${due.id} (tenant ${due.tenant}): resend, occurrence ${occurrence.index}`);
    }
  },
});
