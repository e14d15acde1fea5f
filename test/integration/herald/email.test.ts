import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { emailOperationId, emailStatus, sendEmail, submitEmail, type OutgoingEmail } from '../../../adapters/services/acsEmailSender.js';
import { renderEmail } from '../../../adapters/rendering/emailRenderer.js';
import { acsConnectionString } from '@herald/devhost/testing';
import type { ReceivedEmail } from '@herald/devhost/testing';
import { freePort } from '@herald/devhost/testing';
import type { TestHost } from '@herald/devhost/testing';
import { startHerald, TENANT_A, TENANT_B } from './support.js';

let host: TestHost;
const savedEnv = { ...process.env };

beforeAll(async () => {
  host = await startHerald({ clock: 'test' });
});
afterAll(async () => {
  await host?.stop();
});
beforeEach(async () => {
  // The adapter needs only its settings and the network: point it at the host's ACS stand-in.
  process.env.ACS_EMAIL_CONNECTION_STRING = acsConnectionString(host.url);
  delete process.env.EMAIL_SENDER_ADDRESS;
  expect((await host.fetch('/devhost/acs/_control/reset', { method: 'POST' })).status).toBe(204);
});
afterEach(() => {
  process.env = { ...savedEnv };
});

const received = async (address: string) => {
  const res = await host.fetch(`/devhost/acs/_control/emails?to=${encodeURIComponent(address)}`);
  return ((await res.json()) as { emails: ReceivedEmail[] }).emails;
};
const control = (path: string, body: unknown) =>
  host.fetch(`/devhost/acs/_control/${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

const CLICK = 'https://herald.example/c/m-7?u=ann&sig=k3=';
const outgoing = (address: string, operationId = `m-7:1:${address}`): OutgoingEmail => {
  const rendered = renderEmail({ templateId: 'email-journey-inbox', language: 'fr-CA', recipientName: 'Ann Lee', clickUrl: CLICK });
  return {
    to: { address, displayName: 'Ann Lee' },
    subject: rendered.subject,
    html: rendered.html,
    plainText: rendered.plainText,
    operationId,
  };
};

describe('sendEmail through the ACS Email stand-in', () => {
  test('a rendered email is sent once, as rendered, without ACS engagement tracking', async () => {
    const email = outgoing('ann@contoso.example');
    expect(await sendEmail(TENANT_A, email)).toEqual({ status: 'sent' });

    const [got] = await received('ann@contoso.example');
    expect(got).toMatchObject({
      id: emailOperationId(TENANT_A, email.operationId),
      from: 'DoNotReply@herald.example',
      to: [{ address: 'ann@contoso.example', displayName: 'Ann Lee' }],
      subject: 'Traitez votre boîte de réception plus vite',
      html: email.html,
      plainText: email.plainText,
      userEngagementTrackingDisabled: true,
      status: 'Succeeded',
    });
    expect(got!.plainText).toContain(CLICK);
  });

  test('the same operation id sends once per tenant, however often it is retried', async () => {
    const email = outgoing('bo@contoso.example');
    expect(await sendEmail(TENANT_A, email)).toEqual({ status: 'sent' });
    expect(await sendEmail(TENANT_A, email)).toEqual({ status: 'sent' });
    expect(await received('bo@contoso.example')).toHaveLength(1);
    expect(await sendEmail(TENANT_B, email)).toEqual({ status: 'sent' });
    expect(await received('bo@contoso.example')).toHaveLength(2);
  });

  test('EMAIL_SENDER_ADDRESS names the sender', async () => {
    process.env.EMAIL_SENDER_ADDRESS = 'news@contoso.example';
    await sendEmail(TENANT_A, outgoing('cy@contoso.example'));
    expect((await received('cy@contoso.example'))[0]!.from).toBe('news@contoso.example');
  });

  const requests = async () => ((await (await host.fetch('/devhost/acs/_control/counts')).json()) as { requests: unknown }).requests;

  test('a send costs two requests when ACS has ended it by the first poll: the POST and that poll', async () => {
    expect(await sendEmail(TENANT_A, outgoing('hal@contoso.example'))).toEqual({ status: 'sent' });
    expect(await requests()).toEqual({ send: 1, poll: 1 });
  });

  test('a send ACS drops is a permanent failure with its code and message', async () => {
    // Told by the first poll: the SDK's beginSend throws then.
    expect(await sendEmail(TENANT_A, outgoing('fail.dee@contoso.example'))).toEqual({
      status: 'failed',
      reason: 'EmailDroppedAllRecipientsSuppressed: Message dropped because all recipients were suppressed.',
      permanent: true,
    });
    expect(await requests()).toEqual({ send: 1, poll: 1 });
  });

  test('when ACS is still running at the first poll, the send waits for the end, success or failure', async () => {
    expect((await control('processing', { runningPolls: 1 })).status).toBe(200);
    expect(await sendEmail(TENANT_A, outgoing('ida@contoso.example'))).toEqual({ status: 'sent' });
    expect(await sendEmail(TENANT_A, outgoing('bounce.jo@contoso.example'))).toEqual({
      status: 'failed',
      reason: 'EmailDroppedAllRecipientsBounced: Message dropped because a hard bounce was detected for all recipients.',
      permanent: true,
    });
    expect(await requests()).toEqual({ send: 2, poll: 4 });
  });

  test('over the quota the send is throttled with the service Retry-After, not retried by the SDK', async () => {
    expect((await control('quota', { perMinute: 1 })).status).toBe(200);
    expect(await sendEmail(TENANT_A, outgoing('eli@contoso.example'))).toEqual({ status: 'sent' });
    await host.clock.advance(15_000);
    const outcome = await sendEmail(TENANT_A, outgoing('fay@contoso.example'));
    expect(outcome).toMatchObject({ status: 'throttled', retryAfterMs: 45_000, reason: expect.stringMatching(/^429 TooManyRequests: /) });
    const counts = (await (await host.fetch('/devhost/acs/_control/counts')).json()) as { throttled: number };
    expect(counts.throttled).toBe(1);
  });

  test('a wrong access key fails permanently; an unreachable endpoint fails for now only', async () => {
    process.env.ACS_EMAIL_CONNECTION_STRING = acsConnectionString(host.url, Buffer.from('wrong key').toString('base64'));
    expect(await sendEmail(TENANT_A, outgoing('gus@contoso.example'))).toMatchObject({
      status: 'failed',
      permanent: true,
      reason: expect.stringMatching(/^401 Denied: /),
    });

    process.env.ACS_EMAIL_CONNECTION_STRING = acsConnectionString(`http://127.0.0.1:${await freePort()}`);
    expect(await sendEmail(TENANT_A, outgoing('gus@contoso.example'))).toMatchObject({ status: 'failed', permanent: false });
    expect(await received('gus@contoso.example')).toEqual([]);
  });
});

describe('submitEmail and emailStatus: a send accepted now, its end read later', () => {
  const requests = async () => ((await (await host.fetch('/devhost/acs/_control/counts')).json()) as { requests: unknown }).requests;

  test('a send is one POST; its status is read apart, Running until ACS ends it', async () => {
    expect((await control('processing', { runningPolls: 1 })).status).toBe(200);
    const email = outgoing('kai@contoso.example');
    expect(await submitEmail(TENANT_A, email)).toEqual({ status: 'accepted' });
    expect(await requests()).toEqual({ send: 1, poll: 0 });
    expect(await emailStatus(TENANT_A, email.operationId)).toEqual({ status: 'running', retryAfterMs: 0 });
    expect(await emailStatus(TENANT_A, email.operationId)).toEqual({ status: 'sent' });
    const [got] = await received('kai@contoso.example');
    expect(got).toMatchObject({ id: emailOperationId(TENANT_A, email.operationId), userEngagementTrackingDisabled: true });
    expect(got!.html).toBe(email.html);
  });

  test('an address ACS suppresses is accepted, then ends Failed: a permanent failure with its code', async () => {
    const email = outgoing('fail.lou@contoso.example');
    expect(await submitEmail(TENANT_A, email)).toEqual({ status: 'accepted' });
    expect(await emailStatus(TENANT_A, email.operationId)).toEqual({
      status: 'failed',
      reason: 'EmailDroppedAllRecipientsSuppressed: Message dropped because all recipients were suppressed.',
      permanent: true,
    });
  });

  test('the same Operation-Id posted again is the same operation, not a second email; one never posted is unknown', async () => {
    const email = outgoing('max@contoso.example');
    expect(await submitEmail(TENANT_A, email)).toEqual({ status: 'accepted' });
    expect(await submitEmail(TENANT_A, email)).toEqual({ status: 'accepted' });
    expect(await received('max@contoso.example')).toHaveLength(1);
    expect(await emailStatus(TENANT_A, 'm-7:1:nobody')).toEqual({ status: 'unknown' });
  });

  test('over the quota a post is throttled with the Retry-After; a wrong key fails permanently', async () => {
    expect((await control('quota', { perMinute: 1 })).status).toBe(200);
    expect(await submitEmail(TENANT_A, outgoing('ned@contoso.example'))).toEqual({ status: 'accepted' });
    expect(await submitEmail(TENANT_A, outgoing('oli@contoso.example'))).toMatchObject({
      status: 'throttled',
      retryAfterMs: 60_000,
      reason: expect.stringMatching(/^429 TooManyRequests: /),
    });
    process.env.ACS_EMAIL_CONNECTION_STRING = acsConnectionString(host.url, Buffer.from('wrong key').toString('base64'));
    expect(await submitEmail(TENANT_A, outgoing('pia@contoso.example'))).toMatchObject({
      status: 'failed',
      permanent: true,
      reason: expect.stringMatching(/^401 Denied: /),
    });
    expect(await emailStatus(TENANT_A, 'm-7:1:ned@contoso.example')).toMatchObject({ status: 'failed', permanent: true });
  });
});
