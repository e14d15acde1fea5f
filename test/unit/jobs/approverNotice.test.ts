import { expect, test } from 'vitest';
import type { MessageRecord } from '../../../core/records.js';
import { createApproverNotice } from '../../../jobs/approverNotice.js';

const ann = { id: 'ann', upn: 'ann@contoso.test', name: 'Ann' };
const message = (urgent: boolean): MessageRecord => ({
  id: 'f0e1d2c3b4a59687786950a',
  status: 'PendingApproval',
  draft: { name: 'Lock your screen', urgent },
  author: ann,
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
  version: 2,
  etag: '2',
});

function world(group: string | undefined, members: string[]) {
  const sent: { userIds: string[]; topic: string; webUrl: string }[] = [];
  const notify = createApproverNotice({
    approversGroup: async () => group,
    async *groupMembers() {
      for (let i = 0; i < members.length; i += 999) yield members.slice(i, i + 999).map((id) => ({ id }));
    },
    sendTeams: async (_tenant, userIds, notice) => sent.push({ userIds, topic: notice.topic, webUrl: notice.webUrl }),
    messageUrl: (id) => `https://herald.contoso.test/api/messages/${id}`,
  });
  return { notify, sent };
}

test('every approver in the group is told in Teams, never the author; a hundred to a request', async () => {
  const approvers = Array.from({ length: 150 }, (_, i) => `approver-${i}`);
  const { notify, sent } = world('group-1', [...approvers, 'ann', 'approver-3']);
  expect(await notify('t1', message(false))).toEqual({ notified: 150 });
  expect(sent.map((s) => s.userIds.length)).toEqual([100, 50]);
  expect(sent.flatMap((s) => s.userIds)).not.toContain('ann');
  expect(sent[0]).toMatchObject({
    topic: 'approval needed for Lock your screen',
    webUrl: 'https://herald.contoso.test/api/messages/f0e1d2c3b4a59687786950a',
  });
});

test('an urgent message says so', async () => {
  const { notify, sent } = world('group-1', ['abe']);
  await notify('t1', message(true));
  expect(sent[0]!.topic).toBe('Urgent: approval needed for Lock your screen');
});

test('a tenant with no approvers group is told why nobody was notified', async () => {
  const { notify, sent } = world(undefined, ['abe']);
  expect(await notify('t1', message(false))).toEqual({ notified: 0, reason: expect.stringContaining('approversGroup') });
  expect(sent).toEqual([]);
});
