// Frequency resends: the five-minute timer starts each due occurrence of an Active push message, and the
// resend reaches only the recipients who have not clicked — across simulated days on the test clock.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '../../../devhost/src/testing.js';
import { as, startHerald } from './support.js';
import { DAY, delivered, delivery, emailsTo, HOUR, newTenant, publish, putDirectory, resetEmails, status } from './deliverySupport.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHerald({ clock: 'test', env: { AzureWebJobs_frequencyResends_Disabled: 'false' } });
});
afterAll(async () => {
  await host?.stop();
});

const MINUTE = 60_000;
const linkIn = (html: string) => /href="([^"]*\/api\/r\/[^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');

test('a daily email is resent the next day to those who have not clicked, and stops at the end', async () => {
  await resetEmails(host);
  const tenant = newTenant();
  await putDirectory(host, tenant);
  const t = {
    writer: await as(host, tenant, 'wendy@contoso.test', ['Messages.Write'], '400d'),
    approver: await as(host, tenant, 'abe@contoso.test', ['Messages.Approve'], '400d'),
  };
  const now = (await host.clock.now()).getTime();
  const start = now + HOUR;
  const id = await publish(host, t, {
    location: 'email',
    template: { kind: 'premade', id: 'email-welcome-assistant' },
    audience: { companies: ['Contoso Ltd'] },
    schedule: { start: new Date(start).toISOString(), end: new Date(start + DAY + HOUR).toISOString(), frequency: 'daily' },
  });
  expect(await delivered(t.writer, id, 0)).toMatchObject({ recipients: 2, sent: 2 });
  expect(await status(t.writer, id)).toBe('Active');

  // Sally clicks the link in her first email; Erin ignores hers.
  const [sallys] = await emailsTo(host, 'sally@contoso.test');
  expect((await fetch(linkIn(sallys!.html!)!, { redirect: 'manual' })).status).toBe(302);

  await host.clock.set(start + DAY + 6 * MINUTE);
  expect(await delivered(t.writer, id, 1)).toMatchObject({ recipients: 1, sent: 1 });
  expect(await emailsTo(host, 'erin@contoso.test')).toHaveLength(2);
  expect(await emailsTo(host, 'sally@contoso.test')).toHaveLength(1);

  // Past the end: expired, and the timer sends nothing more.
  await host.clock.set(start + 2 * DAY + 6 * MINUTE);
  await host.idle();
  expect(await status(t.writer, id)).toBe('Expired');
  expect((await delivery(t.writer, id)).occurrences.map((o) => o.occurrence)).toEqual([0, 1]);
  expect(await emailsTo(host, 'erin@contoso.test')).toHaveLength(2);
});
