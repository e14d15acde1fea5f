// The Organization provider approval orchestration through the real durable-functions SDK and devhost's
// pure replay: its activity is the real one (`createProviderApprovalActivities`) on an in-memory provider
// and Teams, so what the approvers are told, and when, is what a tenant's admins would see.
import { beforeAll, expect, test } from 'vitest';
import { startOrchestration } from '@herald/devhost/orchestration';
import type { ProviderApprovalInput } from '../../../core/hops.js';
import type { Provider, ProviderStatus } from '../../../core/provider.js';
import type { Actor } from '../../../core/records.js';
import { createProviderApprovalActivities } from '../../../workflows/providerApprovalActivities.js';
import { PROVIDER_REMINDERS } from '../../../workflows/providerApproval.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const DAY = 24 * 3_600_000;
const ann: Actor = { id: 'ann', upn: 'ann@contoso.test', name: 'Ann' };
const TENANT = 't1';
const ID = 'c3f0b7a2-1d4e-4a5b-9c6d-7e8f90a1b2c3';

beforeAll(async () => {
  // After the driver: the app's registrations must reach the driver's core module (see the driver).
  await import('../../../workflows/providerApproval.js');
});

async function approval(options: { group?: string; failTeams?: boolean } = { group: 'admins' }) {
  let status: ProviderStatus = 'Submitted';
  const provider = (): Provider => ({
    id: ID,
    tenantId: TENANT,
    friendlyName: 'Expenses',
    senderAddresses: ['expenses@contoso.test'],
    targetUrls: ['https://api.expenses.test'],
    entraAppId: '0b7e3a59-5a6c-4f5c-8a51-5d4b0d1c9e01',
    appIdUri: 'api://auth-am-x/y',
    scope: 'Organization',
    testUsers: [],
    notify: [],
    powerAutomate: false,
    status,
    createdBy: ann,
    submittedBy: ann,
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    version: 2,
    etag: 'e',
    consent: {},
  });
  const sent: { at: number; to: string[]; topic: string }[] = [];
  const logs: string[] = [];
  const run = await startOrchestration({
    name: 'providerApproval',
    input: { tenantId: TENANT, providerId: ID, submittedBy: ann } satisfies ProviderApprovalInput,
    instanceId: `prov-${TENANT}-${ID}-v2`,
    now: T0,
  });
  const activities = createProviderApprovalActivities({
    getProvider: async () => provider(),
    approversGroup: async () => options.group,
    async *groupMembers() {
      yield [{ id: 'ada' }, { id: 'ann' }, { id: 'abe' }];
    },
    sendTeams: async (_tenant, to, notice) => {
      if (options.failTeams) throw new Error('Graph answered 503');
      sent.push({ at: run.now.getTime(), to, topic: notice.topic });
    },
    providerUrl: (id) => `https://herald.test/api/providers/${id}`,
  });
  const answer = async (name: string, input: unknown) => {
    if (name !== 'remindProviderApprovers') throw new Error(`unexpected activity ${name}`);
    return activities.remindApprovers(input as never, (line) => void logs.push(line));
  };
  return {
    run,
    sent,
    logs,
    drive: (until: number) => run.drive(answer, { until: new Date(T0 + until) }),
    setStatus: (s: ProviderStatus) => void (status = s),
  };
}

test('the admins are told at once and reminded daily, never the submitter, until one decides', async () => {
  const { run, sent, drive } = await approval();
  await drive(0);
  expect(sent).toEqual([{ at: T0, to: ['ada', 'abe'], topic: 'approval needed for the actionable-message provider Expenses' }]);
  await drive(DAY - 1);
  expect(sent).toHaveLength(1);
  await drive(2 * DAY);
  expect(sent.map((s) => [s.at - T0, s.topic])).toEqual([
    [0, 'approval needed for the actionable-message provider Expenses'],
    [DAY, 'Reminder: approval needed for the actionable-message provider Expenses'],
    [2 * DAY, 'Reminder: approval needed for the actionable-message provider Expenses'],
  ]);
  // The approve endpoint changed the provider, then raised the event: the wait ends, nobody is told again.
  await run.raiseEvent('providerDecided', { status: 'Approved' });
  await drive(2 * DAY);
  expect(run.status).toBe('Completed');
  expect(run.output).toBe('Approved');
  await drive(5 * DAY);
  expect(sent).toHaveLength(3);
});

test('reminders stop after a week; the provider still waits for a decision', async () => {
  const { run, sent, drive } = await approval();
  await drive(30 * DAY);
  expect(sent).toHaveLength(1 + PROVIDER_REMINDERS);
  expect(run.status).toBe('Running');
  await run.raiseEvent('providerDecided', { status: 'Rejected' });
  await drive(30 * DAY);
  expect(run.output).toBe('Rejected');
});

test('a provider withdrawn (or decided) without the event ends the reminders at the next one', async () => {
  const { run, sent, drive, setStatus } = await approval();
  await drive(0);
  setStatus('Draft');
  await drive(DAY);
  expect(sent).toHaveLength(1);
  expect(run.status).toBe('Completed');
});

test('no approvers group, or Teams failing, is logged and the wait goes on', async () => {
  const none = await approval({});
  await none.drive(0);
  expect(none.logs[0]).toContain('the tenant names no provider approvers group (tenant setting providerApproversGroup)');
  expect(none.run.status).toBe('Running');
  const failing = await approval({ group: 'admins', failTeams: true });
  await failing.drive(DAY);
  expect(failing.logs).toHaveLength(2);
  expect(failing.logs[1]).toContain('the approvers could not be notified: Graph answered 503');
  expect(failing.run.status).toBe('Running');
});
