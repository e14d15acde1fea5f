// Herald's settings as a started app sees them: a wrong setting of one outside service leaves the app up with
// /api/health at 503 naming it; a wrong setting the whole app needs, or a local value outside Development,
// keeps the app from loading, and the host's output names every one.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { startHerald } from './support.js';

describe('a Herald whose email settings are wrong', () => {
  let host: TestHost;
  beforeAll(async () => {
    // An empty value in the environment hides the sample file's, as an unset setting.
    host = await startHerald({ env: { ACS_EMAIL_CONNECTION_STRING: '', EMAIL_SENDER_ADDRESS: 'herald' } });
  });
  afterAll(async () => {
    await host?.stop();
  });

  test('starts, and GET /api/health answers 503 problem+json naming each wrong setting and how to fix it', async () => {
    const res = await host.fetch('/api/health');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { type: string; status: number; detail: string; errors: { path: string; message: string }[] };
    expect(body).toMatchObject({ type: 'https://herald.example/problems/misconfigured', status: 503 });
    expect(body.detail).toBe(
      'Herald is running without email delivery (Azure Communication Services): 2 settings are wrong (AZURE_FUNCTIONS_ENVIRONMENT is Development)',
    );
    expect(body.errors.map((e) => e.path)).toEqual(['ACS_EMAIL_ENDPOINT', 'EMAIL_SENDER_ADDRESS']);
    expect(body.errors[0]!.message).toMatch(/^is not set, nor is ACS_EMAIL_CONNECTION_STRING — the Communication Services endpoint/);
    expect(body.errors[1]!.message).toMatch(/^must be an email address — a verified sender/);
  });

  test('the rest of the app answers, and the host’s log said what is missing when the app loaded', async () => {
    expect((await host.fetch('/api/openapi.json')).status).toBe(200);
    expect(host.output()).toMatch(/Herald is running without email delivery .*\n {2}- ACS_EMAIL_ENDPOINT is not set/);
  });
});

describe('a Herald that cannot start', () => {
  test('a wrong setting the whole app needs: the app does not load, and the output names every wrong setting', async () => {
    const started = startHerald({ env: { CLICK_LINK_SECRET: 'too short', AUTH_JWKS_URI: 'keys', ACS_EMAIL_CONNECTION_STRING: '' } });
    const failure = await started.then(
      async (host) => {
        await host.stop();
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/Herald cannot start: 3 settings are wrong \(AZURE_FUNCTIONS_ENVIRONMENT is Development\)/);
    expect(failure).toMatch(/- AUTH_JWKS_URI must be an http\(s\) URL — /);
    expect(failure).toMatch(/- CLICK_LINK_SECRET is shorter than 32 characters — /);
    expect(failure).toMatch(/- ACS_EMAIL_ENDPOINT is not set, nor is ACS_EMAIL_CONNECTION_STRING — .*\[stops email delivery/);
  });

  test('outside Development: the sample Graph secret and the stand-ins’ local endpoints are refused', async () => {
    const failure = await startHerald({ env: { AZURE_FUNCTIONS_ENVIRONMENT: 'Production' } }).then(
      async (host) => {
        await host.stop();
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/Herald cannot start: \d+ settings are wrong \(AZURE_FUNCTIONS_ENVIRONMENT is not Development/);
    for (const setting of [
      'AUTH_ISSUER',
      'AUTH_JWKS_URI',
      'GRAPH_AUTHORITY',
      'GRAPH_ENDPOINT',
      'ACS_EMAIL_CONNECTION_STRING',
      'PUSH_CONNECT_TO',
    ])
      expect(failure).toMatch(
        new RegExp(`- ${setting} points at this machine \\((localhost|127\\.0\\.0\\.1)\\), refused outside Development`),
      );
    expect(failure).toMatch(/- GRAPH_CLIENT_SECRET is the sample value from local\.settings\.sample\.json, refused outside Development/);
  });
});
