// A permanent per-recipient error is recorded at once with its reason: ACS ends an email to a suppressed or
// hard-bounced address as Failed, and that recipient shows failed on the delivery list after one attempt,
// with ACS's code, while everyone else is sent — no retry, no backoff (the test clock never moves after
// the start, so a retry waiting on its backoff would leave the occurrence unfinished).
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { as, startHerald } from './support.js';
import { delivered, emailsTo, newTenant, ORG, publish, putDirectory, resetEmails, SALES } from './deliverySupport.js';

let host: TestHost;
beforeAll(async () => {
  host = await startHerald({ clock: 'test' });
});
afterAll(async () => {
  await host?.stop();
});

test('an email ACS drops for good is failed at once with its reason, after one attempt, while the rest are sent', async () => {
  await resetEmails(host);
  const tenant = newTenant();
  const bounce = { userPrincipalName: 'bounce.bea@contoso.test', displayName: 'Bea', mail: 'bounce.bea@contoso.test' };
  await putDirectory(host, tenant, {
    users: [...ORG.users, bounce],
    groups: [
      ...ORG.groups.filter((g) => g.id !== SALES),
      { id: SALES, displayName: 'Sales', members: ['amelie@contoso.test', 'failfred@contoso.test', bounce.userPrincipalName] },
    ],
  });
  const team = {
    writer: await as(host, tenant, 'wendy@contoso.test', ['Messages.Write'], '400d'),
    approver: await as(host, tenant, 'abe@contoso.test', ['Messages.Approve'], '400d'),
  };
  const id = await publish(host, team, {
    location: 'email',
    template: { kind: 'premade', id: 'email-welcome-assistant' },
    audience: { groups: [SALES] },
  });

  expect(await delivered(team.writer, id)).toMatchObject({ recipients: 3, sent: 1, failed: 2, pending: 0 });
  const res = await team.writer(`/api/messages/${id}/delivery/recipients?status=failed`);
  expect(res.status).toBe(200);
  const { items } = (await res.json()) as { items: { upn: string; status: string; attempts: number; reason: string }[] };
  expect(items.sort((a, b) => a.upn.localeCompare(b.upn))).toEqual([
    expect.objectContaining({
      upn: 'bounce.bea@contoso.test',
      status: 'failed',
      attempts: 1,
      reason: 'EmailDroppedAllRecipientsBounced: Message dropped because a hard bounce was detected for all recipients.',
    }),
    expect.objectContaining({
      upn: 'failfred@contoso.test',
      status: 'failed',
      attempts: 1,
      reason: 'EmailDroppedAllRecipientsSuppressed: Message dropped because all recipients were suppressed.',
    }),
  ]);
  // One send each reached ACS: the failure was not retried.
  expect(await emailsTo(host, 'failfred@contoso.test')).toHaveLength(1);
  expect(await emailsTo(host, 'bounce.bea@contoso.test')).toHaveLength(1);
  expect(await emailsTo(host, 'amelie@contoso.test')).toHaveLength(1);
});
