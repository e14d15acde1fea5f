import { TableClient } from '@azure/data-tables';
import { expect } from 'vitest';
import { startHost, type TestHost } from '@herald/devhost/testing';

export const AUDIENCE = 'api://herald';
export const TENANT_A = '11111111-1111-4111-8111-111111111111';
export const TENANT_B = '22222222-2222-4222-8222-222222222222';
export const CLICK_SECRET = 'test-click-link-secret-0123456789abcdef';

/**
 * The Herald app itself on devhost with the committed local.settings.sample.json, as a fresh clone runs it:
 * every endpoint (issuer, Graph, ACS, push) comes from what devhost supplies for this host's free port and
 * push port. A test sets only what it needs otherwise in `env`, which wins over the file.
 */
export const startHerald = (
  options: { clock?: 'test' | string; storage?: string; env?: Record<string, string>; startTimeoutMs?: number } = {},
) =>
  startHost({
    app: '.',
    settings: 'local.settings.sample.json',
    ...options,
    env: {
      CLICK_LINK_SECRET: CLICK_SECRET,
      EMAIL_SENDS_PER_SECOND: '0',
      // A five-minute timer turns every clock skip into five-minute steps; the resend tests switch it on.
      AzureWebJobs_frequencyResends_Disabled: 'true',
      // The same for the five-second sweep that resumes a dead worker's batches and the hourly reconciler, under
      // the test clock only: the crash and stranded-message tests, which need them, run on the real clock.
      ...(options.clock ? { AzureWebJobs_deliveryResume_Disabled: 'true', AzureWebJobs_reconcile_Disabled: 'true' } : {}),
      ...options.env,
    },
  });

export interface Client {
  (
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string>; redirect?: RequestRedirect },
  ): Promise<Response>;
}

/** Calls the API as a user of `tenant` holding `roles`. */
export async function as(host: TestHost, tenant: string, user: string, roles: string[], expiresIn?: string): Promise<Client> {
  const token = await host.token({ tenant, user, roles, audience: AUDIENCE, ...(expiresIn ? { expiresIn } : {}) });
  return (path, init = {}) =>
    host.fetch(path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
      ...(init.redirect ? { redirect: init.redirect } : {}),
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
}

/**
 * Moves a message to `status` behind the API's back: the lifecycle that does this for real (submit,
 * approve, start) is not built yet, and these tests need messages that are no longer drafts.
 */
export async function forceStatus(host: TestHost, tenant: string, id: string, status: string) {
  const table = TableClient.fromConnectionString(host.storage, 'messages', { allowInsecureConnection: true });
  await table.updateEntity({ partitionKey: tenant, rowKey: id, status }, 'Merge');
}

/** Loads a tenant's directory into the Graph stand-in; users named by UPN get the ids tokens for that UPN carry. */
export async function loadDirectory(host: TestHost, tenant: string, directory: { users: unknown[]; groups: unknown[] }) {
  const res = await host.fetch(`/devhost/graph/_control/tenants/${tenant}/directory`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(directory),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}
