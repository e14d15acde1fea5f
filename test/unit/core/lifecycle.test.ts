import { describe, expect, test } from 'vitest';
import { MESSAGE_STATUSES, TRANSITIONS, transition, type MessageStatus, type Transition } from '../../../core/lifecycle.js';
import { can, mayDecide } from '../../../core/roles.js';

const custom = { premade: false, urgent: false };
const premade = { premade: true, urgent: false };
const urgent = { premade: false, urgent: true };
const urgentPremade = { premade: true, urgent: true };

const allowed: [MessageStatus, Transition, MessageStatus, typeof custom][] = [
  ['Draft', 'submit', 'PendingApproval', custom],
  ['Draft', 'submit', 'Scheduled', premade],
  ['Draft', 'send', 'Active', urgentPremade],
  ['Draft', 'send', 'PendingApproval', urgent],
  ['PendingApproval', 'approve', 'Active', urgent],
  ['PendingApproval', 'approve', 'Scheduled', custom],
  ['PendingApproval', 'reject', 'Rejected', custom],
  ['PendingApproval', 'autoReject', 'Rejected', custom],
  ['Rejected', 'withdraw', 'Draft', custom],
  ['Scheduled', 'start', 'Active', custom],
  ['Active', 'expire', 'Expired', custom],
  ['Active', 'deliver', 'Delivered', custom],
  ['PendingApproval', 'cancel', 'Cancelled', custom],
  ['Scheduled', 'cancel', 'Cancelled', custom],
  ['Active', 'cancel', 'Cancelled', custom],
];

describe('the status machine', () => {
  test.each(allowed)('%s --%s--> %s', (from, t, to, ctx) => {
    expect(transition(from, t, ctx)).toEqual({ ok: true, status: to });
  });

  test('every other pair is refused with a reason naming the current status', () => {
    for (const from of MESSAGE_STATUSES) {
      for (const t of TRANSITIONS) {
        for (const ctx of [custom, premade, urgent, urgentPremade]) {
          if (allowed.some(([f, tt, , c]) => f === from && tt === t && c === ctx)) continue;
          if (allowed.some(([f, tt]) => f === from && tt === t) && t !== 'submit' && t !== 'send') continue;
          const r = transition(from, t, ctx);
          expect(r.ok, `${from} ${t} ${JSON.stringify(ctx)}`).toBe(false);
          if (!r.ok && t !== 'submit' && t !== 'send') expect(r.reason).toContain(from);
        }
      }
    }
  });
});

describe('the document: "approvers must approve custom messages before the system delivers them to users"', () => {
  test('urgent delivery waives the schedule, not the approval: custom urgent content waits for an approver, then goes at once', () => {
    expect(transition('Draft', 'send', urgent)).toEqual({ ok: true, status: 'PendingApproval' });
    expect(transition('PendingApproval', 'approve', urgent)).toEqual({ ok: true, status: 'Active' });
  });
  test('"selecting a pre-made message doesn\'t require any approval": pre-made urgent content is sent at once', () => {
    expect(transition('Draft', 'send', urgentPremade)).toEqual({ ok: true, status: 'Active' });
  });
});

describe('roles', () => {
  const writer = { tenantId: 't', userId: 'ann', roles: ['Messages.Write'] };
  const approver = { tenantId: 't', userId: 'bob', roles: ['Messages.Write', 'Messages.Approve'] };
  test('writers write, approvers decide, never on their own message', () => {
    expect(can(writer, 'message.write')).toBe(true);
    expect(mayDecide(writer, 'someone')).toBe(false);
    expect(mayDecide(approver, 'ann')).toBe(true);
    expect(mayDecide(approver, 'bob')).toBe(false);
    // The document gives the Writer role the organizational-messages experiences, Review activity included.
    expect(can(writer, 'report.read')).toBe(true);
    expect(can({ ...approver, roles: ['Messages.Approve'] }, 'report.read')).toBe(false);
  });
});
