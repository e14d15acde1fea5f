// Frequency resends: the five-minute timer starts each due occurrence of an Active push message, and the
// resend reaches only the recipients who have not clicked in the last year — across simulated days and
// months on the test clock.
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
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

describe('a year after a click', () => {
  // Months pass here: a five-minute timer would make each jump thousands of steps, so the timers stay off
  // (retention too, which would purge the clicks) and the resend job is run by hand when a month is due.
  let yearHost: TestHost;
  beforeAll(async () => {
    yearHost = await startHerald({ clock: 'test', env: { AzureWebJobs_retentionPurge_Disabled: 'true' } });
  });
  afterAll(async () => {
    await yearHost?.stop();
  });

  const resendsAt = async (time: number) => {
    await yearHost.clock.set(time);
    const res = await yearHost.adminFetch('/admin/functions/frequencyResends', { method: 'POST', body: '{}' });
    expect(res.status).toBe(202);
    await yearHost.idle();
  };

  test('"If the user does select the message, the message doesn’t reappear again for a year as long as it isn’t expired": a monthly email reaches again who clicked 13 months ago, not who clicked 11 months ago', async () => {
    const tenant = newTenant();
    await putDirectory(yearHost, tenant);
    const t = {
      writer: await as(yearHost, tenant, 'wendy@contoso.test', ['Messages.Write'], '600d'),
      approver: await as(yearHost, tenant, 'abe@contoso.test', ['Messages.Approve'], '600d'),
    };
    const start = (await yearHost.clock.now()).getTime() + HOUR;
    const month = (n: number) => DateTime.fromMillis(start, { zone: 'UTC' }).plus({ months: n }).toMillis();
    const id = await publish(yearHost, t, {
      location: 'email',
      template: { kind: 'premade', id: 'email-welcome-assistant' },
      audience: { companies: ['Contoso Ltd'] },
      schedule: { start: new Date(start).toISOString(), end: new Date(month(14)).toISOString(), frequency: 'monthly' },
    });
    expect(await delivered(t.writer, id, 0)).toMatchObject({ recipients: 2, sent: 2 });

    // Sally clicks in the first month's email; Erin ignores hers until the third month's.
    const [sallys] = await emailsTo(yearHost, 'sally@contoso.test');
    expect((await fetch(linkIn(sallys!.html!)!, { redirect: 'manual' })).status).toBe(302);
    await resendsAt(month(2) + MINUTE);
    expect(await delivered(t.writer, id, 2)).toMatchObject({ recipients: 1, sent: 1 });
    const erins = await emailsTo(yearHost, 'erin@contoso.test');
    expect(erins).toHaveLength(2);
    expect((await fetch(linkIn(erins[1]!.html!)!, { redirect: 'manual' })).status).toBe(302);

    await resendsAt(month(13) + MINUTE);
    expect(await delivered(t.writer, id, 13)).toMatchObject({ recipients: 1, sent: 1 });
    expect(await emailsTo(yearHost, 'sally@contoso.test')).toHaveLength(2);
    expect(await emailsTo(yearHost, 'erin@contoso.test')).toHaveLength(2);
    expect(await status(t.writer, id)).toBe('Active');
  });
});
