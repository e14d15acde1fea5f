// The lifecycle orchestration, branch by branch, through the real durable-functions SDK and devhost's pure
// replay (no storage, no host): its activities are the real ones (`createLifecycleActivities`) on an
// in-memory message store that asks the status machine exactly as the table store does.
import { beforeAll, describe, expect, test } from 'vitest';
import { startOrchestration, type OrchestrationRun } from '@herald/devhost/orchestration';
import { PAST_TENSE, transition, transitionContext } from '../../../core/lifecycle.js';
import { LIFECYCLE_REVISION, type Decision, type LifecycleInput } from '../../../core/hops.js';
import type { Actor, AppliedTransition, AuditEntry, MessageRecord, TransitionRequest } from '../../../core/records.js';
import type { DraftInput } from '../../../core/message.js';
import { createLifecycleActivities } from '../../../workflows/lifecycleActivities.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(T0 + ms).toISOString();
const ann: Actor = { id: 'ann', upn: 'ann@contoso.test', name: 'Ann' };
const abe: Actor = { id: 'abe', upn: 'abe@contoso.test', name: 'Abe' };
const TENANT = 't1';

beforeAll(async () => {
  // After the driver: the app's registrations must reach the driver's core module (see the driver).
  await import('../../../workflows/messageLifecycle.js');
});

/** An in-memory message store's transition: the same decision the table store makes, without a table. */
function memoryStore(draft: DraftInput) {
  let record: MessageRecord = {
    id: 'm1',
    status: 'Draft',
    draft,
    author: ann,
    createdAt: at(0),
    updatedAt: at(0),
    version: 1,
    etag: '1',
  };
  const audit: AuditEntry[] = [{ at: at(0), action: 'created', by: ann, status: 'Draft' }];
  /** The occurrences whose resolution the deliverMessage activity handed on. */
  const deliveries: number[] = [];
  const notices: string[] = [];
  /** The decisions the API recorded, by lifecycle instance (the decision store's rows). */
  const decisions = new Map<string, Decision>();
  const logs: string[] = [];
  let noticeFailure: string | undefined;
  let clock = T0;
  const transitionTo = async (_tenant: string, _id: string, change: TransitionRequest): Promise<AppliedTransition> => {
    const action = PAST_TENSE[change.transition];
    if (record.lastAction === action) return { ok: true, message: record };
    const check = transition(record.status, change.transition, transitionContext(record.draft));
    if (!check.ok) return { ok: false, message: record, reason: check.reason };
    record = { ...record, status: check.status, version: record.version + 1, lastAction: action, lastActor: change.by };
    audit.unshift({
      at: new Date(clock).toISOString(),
      action,
      by: change.by,
      status: check.status,
      ...(change.comment ? { comment: change.comment } : {}),
    });
    return { ok: true, message: record };
  };
  const activities = createLifecycleActivities({
    transition: transitionTo,
    getMessage: async () => record,
    getDecision: async (_tenant, _id, lifecycle) => decisions.get(lifecycle),
    announce: () => undefined,
    startOccurrence: async (message, tenantId, occurrence, _at, handOn) => {
      const pushed = message.draft.location === 'teams' || message.draft.location === 'email';
      if (pushed) handOn({ tenantId, messageId: message.id, occurrence });
      return pushed;
    },
    notifyApprovers: async (_tenant, message) => {
      if (noticeFailure) throw new Error(noticeFailure);
      notices.push(message.status);
      return { notified: 2 };
    },
    now: () => clock,
  });
  return {
    get status() {
      return record.status;
    },
    actions: () => audit.map((a) => a.action).reverse(),
    audit,
    deliveries,
    /** The message's status each time the approvers were told of it. */
    notices,
    transitionTo,
    decisions,
    /** What the activities logged. */
    logs,
    /** Makes telling the approvers fail with `reason`. */
    failNotices: (reason: string) => void (noticeFailure = reason),
    /** Answers the orchestration's activities with the real ones, at the orchestration's own time. */
    answer: (run: () => OrchestrationRun) => async (name: string, input: unknown) => {
      clock = run().now.getTime();
      const log = (line: string) => void logs.push(line);
      if (name === 'applyTransition') return activities.applyTransition(input as never, log);
      if (name === 'applyDecision') return activities.applyDecision(input as never, log);
      if (name === 'deliverMessage') return activities.deliverMessage(input as never, log, (ref) => void deliveries.push(ref.occurrence));
      if (name === 'notifyApprovers') return activities.notifyApprovers(input as never, log);
      throw new Error(`unexpected activity ${name}`);
    },
  };
}

const custom: DraftInput = {
  name: 'Lock your screen',
  objective: 'security',
  location: 'spotlight',
  urgent: false,
  template: { kind: 'custom' },
  schedule: { start: at(DAY), end: at(8 * DAY), frequency: 'once' },
};

const inputOf = (draft: DraftInput, revision: number | undefined): LifecycleInput => ({
  tenantId: TENANT,
  messageId: 'm1',
  ...transitionContext(draft),
  start: draft.schedule?.start,
  end: draft.schedule?.end,
  frequency: draft.schedule?.frequency ?? 'once',
  channel: draft.location === 'teams' ? 'teams' : draft.location === 'email' ? 'email' : 'inbox',
  submittedBy: ann,
  ...(revision === undefined ? {} : { revision }),
});

/** `unrevised`: the instance was started before inputs named their revision (revision 1). */
async function lifecycle(draft: DraftInput, { unrevised = false } = {}) {
  const store = memoryStore(draft);
  const run = await startOrchestration({
    name: 'messageLifecycle',
    input: inputOf(draft, unrevised ? undefined : LIFECYCLE_REVISION),
    instanceId: `msg-${TENANT}-m1-v1`,
    now: T0,
  });
  const answer = store.answer(() => run);
  // Answers activities and fires the timers due by `until` (by default: no time passes); `finish` skips
  // time through every timer to the end.
  const drive = (until?: number) => run.drive(answer, { until: until === undefined ? run.now : at(until) });
  const finish = () => run.drive(answer);
  let decided = 0;
  /** What the approve and reject endpoints do: record the decision, then raise the event naming it. */
  const decide = async (d: Omit<Decision, 'id' | 'at'>) => {
    const id = `d${++decided}`;
    store.decisions.set(run.instanceId, { ...d, id, at: run.now.toISOString() });
    await run.raiseEvent('decision', { decisionId: id });
  };
  return { run, store, drive, finish, decide };
}

describe('custom messages wait for an approver', () => {
  test('approve → Scheduled; Active at the start; a pulled once-only message is Delivered at its end', async () => {
    const { run, store, drive, finish, decide } = await lifecycle(custom);
    await drive();
    expect(store.status).toBe('PendingApproval');
    expect(run.pending().events.sort()).toEqual(['cancel', 'decision']);
    await decide({ approve: true, by: abe });
    await drive(DAY - 1);
    expect(store.status).toBe('Scheduled');
    await drive(DAY);
    expect(store.status).toBe('Active');
    await finish();
    expect(run.status).toBe('Completed');
    expect(run.output).toBe('Delivered');
    expect(store.actions()).toEqual(['created', 'submitted', 'approved', 'started', 'delivered']);
    expect(store.audit[0]).toMatchObject({ by: { id: 'herald' }, at: at(8 * DAY) });
    expect(store.deliveries).toEqual([]);
    // The approvers heard of it once, the moment it waited for them.
    expect(store.notices).toEqual(['PendingApproval']);
  });

  test('an instance started before revision 2 replays as written: the approvers are told by an activity of its own, once', async () => {
    const { run, store, drive, decide } = await lifecycle(custom, { unrevised: true });
    await drive();
    expect(store.status).toBe('PendingApproval');
    expect(store.notices).toEqual(['PendingApproval']);
    expect(run.activityCalls.map((c) => c.name)).toEqual(['applyTransition', 'notifyApprovers']);
    await decide({ approve: true, by: abe });
    await drive();
    expect(store.status).toBe('Scheduled');
    expect(store.notices).toEqual(['PendingApproval']);
    expect(store.actions()).toEqual(['created', 'submitted', 'approved']);
  });

  test('a notice that fails is logged and the approval goes on', async () => {
    const { store, drive, decide } = await lifecycle(custom);
    store.failNotices('Graph is down');
    await drive();
    expect(store.status).toBe('PendingApproval');
    expect(store.logs).toContainEqual(
      expect.stringMatching(/0 approver\(s\) notified; the approvers could not be notified: Graph is down/),
    );
    await decide({ approve: true, by: abe });
    await drive();
    expect(store.status).toBe('Scheduled');
  });

  test('reject, with the comment recorded; nothing else happens', async () => {
    const { run, store, drive, decide } = await lifecycle(custom);
    await drive();
    await decide({ approve: false, by: abe, comment: 'wrong date' });
    await drive();
    expect(run.output).toBe('Rejected');
    expect(store.audit[0]).toMatchObject({ action: 'rejected', by: abe, comment: 'wrong date' });
  });

  test('nobody reviews it before the end date: rejected automatically, by Herald, at the end date', async () => {
    const { run, store, drive } = await lifecycle(custom);
    await drive();
    await drive(8 * DAY - 1);
    expect(store.status).toBe('PendingApproval');
    await drive(8 * DAY);
    expect(run.output).toBe('Rejected');
    expect(store.audit[0]).toMatchObject({ action: 'autoRejected', by: { id: 'herald' }, at: at(8 * DAY) });
  });

  test('a rejected message is withdrawn to Draft (an HTTP-side transition) and a new submission starts over', async () => {
    const first = await lifecycle(custom);
    await first.drive();
    await first.decide({ approve: false, by: abe, comment: 'no' });
    await first.drive();
    expect(await first.store.transitionTo(TENANT, 'm1', { transition: 'withdraw', by: ann })).toMatchObject({
      ok: true,
      message: { status: 'Draft' },
    });
    expect(first.store.actions()).toEqual(['created', 'submitted', 'rejected', 'withdrawn']);
  });

  test('a decision after someone else decided changes nothing: the transition is refused with its reason', async () => {
    const { store, run, drive, decide } = await lifecycle(custom);
    await drive();
    await store.transitionTo(TENANT, 'm1', { transition: 'cancel', by: ann });
    await decide({ approve: true, by: abe });
    await drive();
    expect(run.output).toBe('Cancelled');
    expect(store.actions()).toEqual(['created', 'submitted', 'cancelled']);
  });
});

describe('only a decision the API recorded takes effect', () => {
  test('an event naming no recorded decision changes nothing and is logged; the recorded one then applies', async () => {
    const { run, store, drive, decide } = await lifecycle(custom);
    await drive();
    // What anyone reaching the Durable API can raise: an approver named in the event, no recorded decision.
    await run.raiseEvent('decision', { approve: true, by: abe });
    await drive();
    expect(store.status).toBe('PendingApproval');
    expect(run.status).toBe('Running');
    expect(run.pending().events.sort()).toEqual(['cancel', 'decision']);
    expect(store.logs.at(-1)).toMatch(/a decision event was ignored: no decision was recorded for msg-t1-m1-v1/);

    await decide({ approve: true, by: abe });
    await drive(DAY);
    expect(store.status).toBe('Active');
    expect(store.actions()).toEqual(['created', 'submitted', 'approved', 'started']);
    expect(store.audit[1]).toMatchObject({ action: 'approved', by: abe });
  });

  test('an event naming another decision id is ignored; the recorded decision is the one applied, as recorded', async () => {
    const { run, store, drive } = await lifecycle(custom);
    await drive();
    store.decisions.set(run.instanceId, { id: 'real', approve: false, by: abe, comment: 'not yet', at: at(0) });
    await run.raiseEvent('decision', { decisionId: 'forged' });
    await drive();
    expect(store.status).toBe('PendingApproval');
    expect(store.logs.at(-1)).toMatch(/names decision "forged", but the recorded one is real/);
    await run.raiseEvent('decision', { decisionId: 'real' });
    await drive();
    expect(run.output).toBe('Rejected');
    expect(store.audit[0]).toMatchObject({ action: 'rejected', by: abe, comment: 'not yet' });
  });

  test('after an ignored event the end date still rejects the message automatically', async () => {
    const { run, store, drive } = await lifecycle(custom);
    await drive();
    await run.raiseEvent('decision', { decisionId: 'forged' });
    await drive(8 * DAY - 1);
    expect(store.status).toBe('PendingApproval');
    await drive(8 * DAY);
    expect(run.output).toBe('Rejected');
    expect(store.audit[0]).toMatchObject({ action: 'autoRejected', by: { id: 'herald' } });
  });
});

describe('cancel at each stage', () => {
  test('pending approval', async () => {
    const { run, store, drive } = await lifecycle(custom);
    await drive();
    await run.raiseEvent('cancel', { by: ann });
    await drive();
    expect(run.output).toBe('Cancelled');
    expect(store.actions()).toEqual(['created', 'submitted', 'cancelled']);
  });

  test('scheduled: the start timer is cancelled and the message never starts', async () => {
    const { run, store, drive, decide } = await lifecycle(custom);
    await drive();
    await decide({ approve: true, by: abe });
    await drive(HOUR);
    await run.raiseEvent('cancel', { by: ann });
    await drive();
    expect(run.output).toBe('Cancelled');
    expect(store.actions()).toEqual(['created', 'submitted', 'approved', 'cancelled']);
    expect(run.pending()).toEqual({ activities: [], timers: [], events: [] });
  });

  test('active (pulled): ends Cancelled before its end date', async () => {
    const { run, store, drive, decide } = await lifecycle(custom);
    await drive();
    await decide({ approve: true, by: abe });
    await drive(2 * DAY);
    await run.raiseEvent('cancel', { by: ann });
    await drive();
    expect(run.output).toBe('Cancelled');
    expect(store.actions()).toEqual(['created', 'submitted', 'approved', 'started', 'cancelled']);
  });

  test('active (pushed, waiting for every recipient): ends Cancelled', async () => {
    const { run, store, drive, decide } = await lifecycle({ ...custom, location: 'teams' });
    await drive();
    await decide({ approve: true, by: abe });
    await drive(2 * DAY);
    expect(run.pending().events.sort()).toEqual(['cancel', 'occurrenceDelivered']);
    await run.raiseEvent('cancel', { by: ann });
    await drive();
    expect(run.output).toBe('Cancelled');
    expect(store.deliveries).toEqual([0]);
    expect(store.actions()).toEqual(['created', 'submitted', 'approved', 'started', 'cancelled']);
  });

  test('active (pushed): every recipient accounted for because a cancel stopped the send, its event after that: ends Cancelled by the canceller', async () => {
    const { run, store, drive, decide } = await lifecycle({ ...custom, location: 'teams' });
    await drive();
    await decide({ approve: true, by: abe });
    await drive(2 * DAY);
    await run.raiseEvent('occurrenceDelivered', { occurrence: 0, stopped: true });
    await drive();
    expect(store.status).toBe('Active');
    await run.raiseEvent('cancel', { by: ann });
    await drive();
    expect(run.output).toBe('Cancelled');
    expect(store.actions()).toEqual(['created', 'submitted', 'approved', 'started', 'cancelled']);
  });

  test('active (pushed): a stopped send whose cancel never comes (the API died in between) ends Delivered after a minute', async () => {
    const { run, store, drive, decide } = await lifecycle({ ...custom, location: 'teams' });
    await drive();
    await decide({ approve: true, by: abe });
    await drive(2 * DAY);
    await run.raiseEvent('occurrenceDelivered', { occurrence: 0, stopped: true });
    await drive(2 * DAY + 2 * 60_000);
    expect(run.output).toBe('Delivered');
    expect(store.actions().at(-1)).toBe('delivered');
  });
});

describe('pushed vs pulled, once vs recurring', () => {
  test('pushed once: occurrence 0 is queued at the start; Delivered when every recipient has an outcome', async () => {
    const { run, store, drive } = await lifecycle({ ...custom, location: 'email', template: { kind: 'premade', id: 'email-x' } });
    await drive(2 * DAY);
    expect(store.deliveries).toEqual([0]);
    expect(store.status).toBe('Active');
    await run.raiseEvent('occurrenceDelivered', { occurrence: 0 });
    await drive();
    expect(run.output).toBe('Delivered');
    expect(store.actions()).toEqual(['created', 'submitted', 'started', 'delivered']);
  });

  test('pushed once, not every recipient reached by the end date: Expired', async () => {
    const { run, store, drive, finish, decide } = await lifecycle({ ...custom, location: 'teams' });
    await drive();
    await decide({ approve: true, by: abe });
    await finish();
    expect(run.output).toBe('Expired');
    expect(store.actions().at(-1)).toBe('expired');
  });

  test('recurring (pulled or pushed): shown or resent until the end, then Expired', async () => {
    for (const location of ['spotlight', 'teams'] as const) {
      const { run, store, drive, finish, decide } = await lifecycle({
        ...custom,
        location,
        schedule: { ...custom.schedule, frequency: 'weekly' },
      });
      await drive();
      await decide({ approve: true, by: abe });
      await finish();
      expect(run.output).toBe('Expired');
      expect(store.actions()).toEqual(['created', 'submitted', 'approved', 'started', 'expired']);
    }
  });

  test('pre-made messages need no approval: submitted straight to Scheduled', async () => {
    const { run, store, finish } = await lifecycle({ ...custom, template: { kind: 'premade', id: 'security-lock-screen' } });
    await finish();
    expect(run.output).toBe('Delivered');
    expect(store.notices).toEqual([]);
    expect(store.actions()).toEqual(['created', 'submitted', 'started', 'delivered']);
  });
});

describe('urgent', () => {
  const urgent: DraftInput = { ...custom, location: 'taskbar', urgent: true, schedule: {} };

  test('pre-made urgent content is sent at once and delivered, with no schedule and no approval', async () => {
    const { run, store, drive } = await lifecycle({ ...urgent, template: { kind: 'premade', id: 'security-lock-screen' } });
    await drive();
    expect(run.output).toBe('Delivered');
    expect(store.actions()).toEqual(['created', 'sent', 'delivered']);
    expect(store.audit[0]!.at).toBe(at(0));
  });

  test('custom urgent content waits for an approver, then goes at once', async () => {
    const { run, store, drive, decide } = await lifecycle(urgent);
    await drive();
    expect(store.status).toBe('PendingApproval');
    // "fast": the approvers are told at once, before anyone decides.
    expect(store.notices).toEqual(['PendingApproval']);
    await run.advanceTo(at(HOUR));
    await decide({ approve: true, by: abe });
    await drive();
    expect(run.output).toBe('Delivered');
    expect(store.actions()).toEqual(['created', 'sent', 'approved', 'delivered']);
    expect(store.audit[0]!.at).toBe(at(HOUR));
  });

  test('custom urgent content nobody reviews within a day is rejected automatically', async () => {
    const { run, store, drive } = await lifecycle(urgent);
    await drive();
    expect(run.pending().timers).toEqual([expect.objectContaining({ fireAt: new Date(T0 + DAY).toISOString() })]);
    await drive(2 * DAY);
    expect(run.output).toBe('Rejected');
    expect(store.audit[0]).toMatchObject({ action: 'autoRejected', at: at(DAY) });
  });
});

test('a submission that no longer applies (the message moved on meanwhile) ends the orchestration with the status found', async () => {
  const { run, store, drive } = await lifecycle(custom);
  await store.transitionTo(TENANT, 'm1', { transition: 'submit', by: ann });
  await store.transitionTo(TENANT, 'm1', { transition: 'cancel', by: ann });
  await drive();
  expect(run.output).toBe('Cancelled');
  expect(run.activityCalls.map((c) => c.name)).toEqual(['applyTransition']);
});
