import { createHash, createHmac, randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmailClient, type EmailMessage } from '@azure/communication-email';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { acsConnectionString, DEFAULT_ACS_ACCESS_KEY } from '../../../src/standins/acsEmail.js';
import type { ReceivedEmail } from '../../../src/standins/acsEmail/store.js';
import { startHost, type TestHost } from '../../../src/testing.js';

const APP = 'test/fixtures/devhost/web';
const OTHER_KEY = Buffer.from('another access key').toString('base64');

const clientFor = (host: TestHost, key?: string) =>
  new EmailClient(acsConnectionString(host.url, key), { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });

const message = (to: string, overrides: Partial<EmailMessage> = {}): EmailMessage => ({
  senderAddress: 'DoNotReply@contoso.example',
  content: { subject: 'Quarterly update', html: '<p>Hello</p>', plainText: 'Hello' },
  recipients: { to: [{ address: to, displayName: 'Ann Lee' }] },
  ...overrides,
});

const control = async <T>(host: TestHost, path: string, body?: unknown): Promise<T> => {
  const res = await host.fetch(
    `/devhost/acs/_control/${path}`,
    body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
  );
  expect(res.ok, `${path}: ${res.status}`).toBe(true);
  return (res.status === 204 ? undefined : await res.json()) as T;
};
const emailsTo = async (host: TestHost, address: string) =>
  (await control<{ emails: ReceivedEmail[] }>(host, `emails?to=${encodeURIComponent(address)}`)).emails;

/** A request signed as @azure/communication-common signs it, optionally sending another body or date than signed. */
async function signedFetch(host: TestHost, method: string, path: string, body: string, options: { sendBody?: string; date?: Date } = {}) {
  const url = new URL(host.url + path);
  const date = (options.date ?? new Date()).toUTCString();
  const hash = createHash('sha256').update(body).digest('base64');
  const query = url.searchParams.toString();
  const toSign = `${method}\n${url.pathname}${query ? `?${query}` : ''}\n${date};${url.host};${hash}`;
  const signature = createHmac('sha256', Buffer.from(DEFAULT_ACS_ACCESS_KEY, 'base64')).update(toSign).digest('base64');
  return fetch(url, {
    method,
    ...(method === 'GET' ? {} : { body: options.sendBody ?? body }),
    headers: {
      'content-type': 'application/json',
      'x-ms-date': date,
      'x-ms-content-sha256': hash,
      authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    },
  });
}

/** The RestError the SDK throws, as its fields (statusCode, code, response headers). */
const failure = async (promise: Promise<unknown>) => {
  const error = (await promise.then(
    () => expect.fail('expected the SDK to throw'),
    (e: unknown) => e,
  )) as { statusCode?: number; code?: string; message: string; response?: { headers: { get(name: string): string | undefined } } };
  return error;
};

describe('ACS Email stand-in', () => {
  let host: TestHost;
  let client: EmailClient;
  beforeAll(async () => {
    host = await startHost({ app: APP, clock: 'test' });
    client = clientFor(host);
  });
  afterAll(async () => {
    await host?.stop();
  });
  beforeEach(async () => {
    await control(host, 'reset', {});
  });

  test('the real EmailClient sends and polls to Succeeded, and the stand-in keeps what it received', async () => {
    const operationId = randomUUID();
    const poller = await client.beginSend(
      message('ann@contoso.example', {
        headers: { 'x-herald-message': 'm-1' },
        recipients: { to: [{ address: 'ann@contoso.example', displayName: 'Ann Lee' }], cc: [{ address: 'cc@contoso.example' }] },
        disableUserEngagementTracking: true,
      }),
      { operationId },
    );
    const result = await poller.pollUntilDone();
    expect(result).toMatchObject({ id: operationId, status: 'Succeeded' });

    const [email] = await emailsTo(host, 'ANN@contoso.example');
    expect(email).toMatchObject({
      id: operationId,
      from: 'DoNotReply@contoso.example',
      to: [{ address: 'ann@contoso.example', displayName: 'Ann Lee' }],
      cc: [{ address: 'cc@contoso.example' }],
      subject: 'Quarterly update',
      html: '<p>Hello</p>',
      plainText: 'Hello',
      headers: { 'x-herald-message': 'm-1' },
      userEngagementTrackingDisabled: true,
      status: 'Succeeded',
    });
    expect(email!.time).toBe((await host.clock.now()).toISOString());
    expect(await emailsTo(host, 'nobody@contoso.example')).toEqual([]);
    expect(await control(host, 'counts')).toEqual({
      received: 1,
      succeeded: 1,
      failed: 0,
      throttled: 0,
      quotaPerMinute: null,
      // The POST, and the one poll `beginSend` makes: the send had ended by then.
      requests: { send: 1, poll: 1 },
    });
  });

  test('a request signed with another key, or not signed, is refused with 401 in ACS error shape', async () => {
    const error = await failure(clientFor(host, OTHER_KEY).beginSend(message('ann@contoso.example')));
    expect(error.statusCode).toBe(401);
    expect(error.code).toBe('Denied');

    const res = await host.fetch('/emails:send?api-version=2025-09-01', { method: 'POST', body: JSON.stringify(message('a@b.example')) });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-ms-error-code')).toBe('Denied');
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Authorization header/);
    expect(await emailsTo(host, 'ann@contoso.example')).toEqual([]);
  });

  test('a request ACS would reject is answered 400 naming the field', async () => {
    const noRecipient = await failure(client.beginSend(message('x@contoso.example', { recipients: { to: [] } })));
    expect(noRecipient).toMatchObject({ statusCode: 400, code: 'BadRequest' });
    expect(noRecipient.message).toMatch(/recipients must name at least one recipient/);

    const noBody = await failure(client.beginSend(message('x@contoso.example', { content: { subject: 'Hi', html: '' } })));
    expect(noBody.message).toMatch(/content must have html or plainText/);

    const badAddress = await failure(client.beginSend(message('not-an-address')));
    expect(badAddress.message).toMatch(/recipients\.to\.0\.address must be an email address/);
    expect((await control<{ received: number }>(host, 'counts')).received).toBe(0);
  });

  test('a repeated Operation-Id returns the same operation; with another body it conflicts', async () => {
    const operationId = randomUUID();
    const first = await (await client.beginSend(message('bo@contoso.example'), { operationId })).pollUntilDone();
    const again = await (await client.beginSend(message('bo@contoso.example'), { operationId })).pollUntilDone();
    expect(again).toEqual(first);
    expect(await emailsTo(host, 'bo@contoso.example')).toHaveLength(1);

    const conflict = await failure(
      client.beginSend(message('bo@contoso.example', { content: { subject: 'Other', plainText: 'x' } }), { operationId }),
    );
    expect(conflict).toMatchObject({ statusCode: 409, code: 'OperationIdConflict' });
    expect(await emailsTo(host, 'bo@contoso.example')).toHaveLength(1);
  });

  test('recipients named fail… and bounce… make the operation end Failed with ACS codes, told by the first poll', async () => {
    // The first poll reads Failed, so `beginSend` itself throws, as it does against a quick ACS.
    const suppressed = await failure(client.beginSend(message('fail.carol@contoso.example')));
    expect(suppressed.message).toMatch(/EmailDroppedAllRecipientsSuppressed/);
    const bounced = await failure(client.beginSend(message('bounce-dan@contoso.example')));
    expect(bounced.message).toMatch(/EmailDroppedAllRecipientsBounced/);
    const [email] = await emailsTo(host, 'fail.carol@contoso.example');
    expect(email).toMatchObject({ status: 'Failed', error: { code: 'EmailDroppedAllRecipientsSuppressed' } });
    expect(await control(host, 'counts')).toMatchObject({ received: 2, succeeded: 0, failed: 2, requests: { send: 2, poll: 2 } });
  });

  test('with runningPolls set, each send reads Running at first, and the poller waits for its end', async () => {
    await control(host, 'processing', { runningPolls: 1 });
    const poller = await client.beginSend(message('slow@contoso.example'));
    expect(poller.isDone()).toBe(false);
    expect(poller.getOperationState().status).toBe('running');
    await expect(poller.pollUntilDone()).resolves.toMatchObject({ status: 'Succeeded' });
    const failed = await client.beginSend(message('fail.slow@contoso.example'));
    expect((await failure(failed.pollUntilDone())).message).toMatch(/EmailDroppedAllRecipientsSuppressed/);
    expect(await control(host, 'counts')).toMatchObject({ received: 2, succeeded: 1, failed: 1, requests: { send: 2, poll: 4 } });

    const bad = await host.fetch('/devhost/acs/_control/processing', { method: 'POST', body: JSON.stringify({ runningPolls: 'x' }) });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/runningPolls: must be a whole number/);

    await control(host, 'reset', {});
    const quick = await client.beginSend(message('quick@contoso.example'));
    expect(quick.isDone()).toBe(true);
  });

  test('a quota set through the control API answers 429 with Retry-After until the minute is over', async () => {
    await control(host, 'quota', { perMinute: 2 });
    for (const who of ['q1', 'q2']) await (await client.beginSend(message(`${who}@contoso.example`))).pollUntilDone();
    await host.clock.advance(20_000);
    const throttled = await failure(client.beginSend(message('q3@contoso.example')));
    expect(throttled).toMatchObject({ statusCode: 429, code: 'TooManyRequests' });
    expect(Number(throttled.response!.headers.get('retry-after'))).toBe(40);
    expect(await control(host, 'counts')).toMatchObject({ received: 2, throttled: 1, quotaPerMinute: 2 });

    await host.clock.advance(40_000);
    await expect((await client.beginSend(message('q3@contoso.example'))).pollUntilDone()).resolves.toMatchObject({ status: 'Succeeded' });

    const bad = await host.fetch('/devhost/acs/_control/quota', { method: 'POST', body: JSON.stringify({ perMinute: -1 }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/perMinute/);
  });

  test('the signature covers the body hash and a date within 15 minutes; an unknown operation is 404', async () => {
    const body = JSON.stringify(message('eve@contoso.example'));
    const ok = await signedFetch(host, 'POST', '/emails:send?api-version=2025-09-01', body);
    expect(ok.status).toBe(202);
    expect(ok.headers.get('operation-location')).toMatch(
      new RegExp(`^${host.url}/emails/operations/[0-9a-f-]{36}\\?api-version=2025-09-01$`),
    );
    expect(ok.headers.get('retry-after')).toBe('0');
    expect(await ok.json()).toMatchObject({ status: 'Running' });

    const tampered = await signedFetch(host, 'POST', '/emails:send?api-version=2025-09-01', body, { sendBody: body.replace('eve', 'mal') });
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { error: { message: string } }).error.message).toMatch(/x-ms-content-sha256/);

    const stale = await signedFetch(host, 'POST', '/emails:send?api-version=2025-09-01', body, {
      date: new Date(Date.now() - 16 * 60_000),
    });
    expect(stale.status).toBe(401);

    const noVersion = await signedFetch(host, 'POST', '/emails:send', body);
    expect(noVersion.status).toBe(400);
    expect(noVersion.headers.get('x-ms-error-code')).toBe('MissingApiVersionParameter');

    const unknown = await signedFetch(host, 'GET', '/emails/operations/nope?api-version=2025-09-01', '');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-ms-error-code')).toBe('NotFound');
    expect(await emailsTo(host, 'mal@contoso.example')).toEqual([]);
  });

  test('the viewer lists emails newest first and shows one with its HTML escaped into a sandboxed iframe', async () => {
    await (await client.beginSend(message('first@contoso.example', { content: { subject: 'First', plainText: 'one' } }))).pollUntilDone();
    await host.clock.advance(1000);
    const evil = '<p class="x">Hi & welcome</p><script>alert("owned")</script>';
    const operationId = randomUUID();
    await (
      await client.beginSend(
        message('second@contoso.example', { content: { subject: 'Second <b>bold</b>', html: evil, plainText: 'a < b' } }),
        {
          operationId,
        },
      )
    ).pollUntilDone();

    const list = await host.fetch('/devhost/email');
    expect(list.headers.get('content-type')).toMatch(/text\/html/);
    const listHtml = await list.text();
    expect(listHtml).toContain('Second &lt;b&gt;bold&lt;/b&gt;');
    expect(listHtml.indexOf('Second')).toBeLessThan(listHtml.indexOf('First'));
    expect(listHtml).toContain(`href="/devhost/email/${operationId}"`);

    const one = await host.fetch(`/devhost/email/${operationId}`);
    expect(one.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const page = await one.text();
    expect(page).toContain(
      '<iframe sandbox title="HTML part" srcdoc="&lt;p class=&quot;x&quot;&gt;Hi &amp; welcome&lt;/p&gt;&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;"></iframe>',
    );
    expect(page).not.toContain('<script');
    expect(page).toContain('<pre>a &lt; b</pre>');
    expect(page).toContain('second@contoso.example');
    expect((await host.fetch('/devhost/email/missing')).status).toBe(404);
  });
});

describe('ACS Email stand-in state', () => {
  test('with DEVHOST_STANDINS_DIR, emails survive a crash, and DEVHOST_ACS_ACCESS_KEY sets the key', async () => {
    const env = { DEVHOST_STANDINS_DIR: mkdtempSync(join(tmpdir(), 'acs-standin-')), DEVHOST_ACS_ACCESS_KEY: OTHER_KEY };
    const first = await startHost({ app: APP, env });
    const operationId = randomUUID();
    try {
      expect((await failure(clientFor(first).beginSend(message('kim@contoso.example')))).statusCode).toBe(401);
      await (await clientFor(first, OTHER_KEY).beginSend(message('kim@contoso.example'), { operationId })).pollUntilDone();
    } finally {
      await first.kill();
    }

    // Keeping no body in memory, every read comes from the journal: the old lines and the one written after the cut.
    const second = await startHost({ app: APP, env: { ...env, DEVHOST_ACS_KEEP_BODIES: '0' } });
    try {
      expect(await emailsTo(second, 'kim@contoso.example')).toMatchObject([{ id: operationId, status: 'Succeeded' }]);
      // The idempotency record survived too: the same send is not stored twice.
      const again = await (await clientFor(second, OTHER_KEY).beginSend(message('kim@contoso.example'), { operationId })).pollUntilDone();
      expect(again).toMatchObject({ id: operationId, status: 'Succeeded' });
      expect(await emailsTo(second, 'kim@contoso.example')).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});

describe('ACS Email stand-in memory', () => {
  const sendTo = async (client: EmailClient, who: string, operationId = randomUUID()) => {
    const content = { subject: `To ${who}`, html: `<p>Grüße, ${who} 李</p>`, plainText: `Grüße, ${who} 李` };
    await (await client.beginSend(message(`${who}@contoso.example`, { content }), { operationId })).pollUntilDone();
    return operationId;
  };
  const bodies = (emails: ReceivedEmail[]) => emails.map((e) => [e.subject, e.plainText, e.bodyNotKept]);

  test('only the most recent DEVHOST_ACS_KEEP_BODIES emails keep their bodies; all are still listed, counted and idempotent', async () => {
    const host = await startHost({ app: APP, clock: 'test', env: { DEVHOST_ACS_KEEP_BODIES: '2' } });
    try {
      const client = clientFor(host);
      const [m1] = [await sendTo(client, 'm1'), await sendTo(client, 'm2'), await sendTo(client, 'm3')];
      expect(bodies((await control<{ emails: ReceivedEmail[] }>(host, 'emails')).emails)).toEqual([
        ['To m1', undefined, true],
        ['To m2', 'Grüße, m2 李', undefined],
        ['To m3', 'Grüße, m3 李', undefined],
      ]);
      const old = await control<ReceivedEmail>(host, `emails/${m1}`);
      expect(old).toMatchObject({
        id: m1,
        to: [{ address: 'm1@contoso.example' }],
        subject: 'To m1',
        status: 'Succeeded',
        bodyNotKept: true,
      });
      expect(old).not.toHaveProperty('html');
      expect(await (await host.fetch(`/devhost/email/${m1}`)).text()).toContain('The body of this email is not kept');
      expect(await emailsTo(host, 'm1@contoso.example')).toHaveLength(1);

      // Its Operation-Id still guards it: the same email again is the same operation, another one conflicts.
      expect(await sendTo(client, 'm1', m1)).toBe(m1);
      const conflict = await failure(client.beginSend(message('m1@contoso.example'), { operationId: m1 }));
      expect(conflict).toMatchObject({ statusCode: 409, code: 'OperationIdConflict' });
      expect(await control(host, 'counts')).toMatchObject({ received: 3, succeeded: 3, failed: 0 });
    } finally {
      await host.stop();
    }
  });

  test('with a stand-ins directory, a body memory dropped is read back whole from the journal, after a crash too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acs-standin-'));
    const env = { DEVHOST_STANDINS_DIR: dir, DEVHOST_ACS_KEEP_BODIES: '1' };
    const whole = async (host: TestHost, id: string, who: string) =>
      expect(await control(host, `emails/${id}`)).toEqual(
        expect.objectContaining({ id, html: `<p>Grüße, ${who} 李</p>`, plainText: `Grüße, ${who} 李`, status: 'Succeeded' }),
      );

    const first = await startHost({ app: APP, env });
    const [j1, j2] = [await sendTo(clientFor(first), 'j1'), await sendTo(clientFor(first), 'j2')];
    try {
      expect(bodies((await control<{ emails: ReceivedEmail[] }>(first, 'emails')).emails)).toEqual([
        ['To j1', undefined, true],
        ['To j2', 'Grüße, j2 李', undefined],
      ]);
      await whole(first, j1!, 'j1');
      expect(await (await first.fetch(`/devhost/email/${j1}`)).text()).toContain('Grüße, j1 李');
    } finally {
      await first.kill();
    }
    // A write the crash cut short: the sender never saw it accepted.
    appendFileSync(join(dir, 'acs', 'emails.jsonl'), '{"id":"cut-short","time":"2025-');

    // Keeping no body in memory, every read comes from the journal: the old lines and the one written after the cut.
    const second = await startHost({ app: APP, env: { ...env, DEVHOST_ACS_KEEP_BODIES: '0' } });
    try {
      expect(second.output()).toMatch(/dropped the unfinished last line/);
      const j3 = await sendTo(clientFor(second), 'j3');
      await whole(second, j1!, 'j1');
      await whole(second, j2!, 'j2');
      await whole(second, j3, 'j3');
      expect(await control(second, 'counts')).toMatchObject({ received: 3, succeeded: 3 });
      expect(bodies((await control<{ emails: ReceivedEmail[] }>(second, 'emails')).emails)).toEqual([
        ['To j1', undefined, true],
        ['To j2', undefined, true],
        ['To j3', undefined, true],
      ]);
    } finally {
      await second.stop();
    }
  });
});
