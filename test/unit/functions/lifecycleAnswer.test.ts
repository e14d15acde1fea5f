import { expect, test } from 'vitest';
import { answerSettled } from '../../../functions/http/lifecycleAnswer.js';
import { Problem } from '../../../functions/http/problem.js';
import { message } from '../jobs/fakes/records.js';

const approver = { id: 'approver', upn: 'approver@contoso.test', name: 'Approver' };
const other = { id: 'other', upn: 'other@contoso.test', name: 'Other' };
const pending = {
  ...message({ name: 'Quarterly update' }, 'PendingApproval'),
  version: 3,
  lastActor: { id: 'writer', upn: 'writer@contoso.test', name: 'Writer' },
};

test('moved on by this caller: 200 with the message in its new status', () => {
  const moved = { ...pending, version: 4, status: 'Scheduled' as const, lastActor: approver };
  const res = answerSettled(moved, 3, approver.id);
  expect(res.status).toBeUndefined();
  expect(res.jsonBody).toMatchObject({ status: 'Scheduled' });
});

test('moved on by someone else first: 409 naming them', () => {
  const moved = { ...pending, version: 4, status: 'Rejected' as const, lastActor: other, lastAction: 'rejected' as const };
  expect(() => answerSettled(moved, 3, approver.id)).toThrow(Problem);
  expect(() => answerSettled(moved, 3, approver.id)).toThrow(/already rejected by other@contoso.test/);
});

test('not moved yet when the wait ran out: 202 with the message as it is and where to read it again, never a 409', () => {
  const res = answerSettled(pending, 3, approver.id);
  expect(res.status).toBe(202);
  expect(res.headers).toMatchObject({ location: `/api/messages/${pending.id}`, 'retry-after': '1', etag: pending.etag });
  expect(res.jsonBody).toMatchObject({ id: pending.id, status: 'PendingApproval' });
});
