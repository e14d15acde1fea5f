// The approval card an approver gets by email: version 1.0 (Outlook hides Action.Http at 1.4), the message and
// its audience, Approve, Reject with a required comment, and, once the message has moved on, its state instead.
import { expect, test } from 'vitest';
import {
  APPROVAL_STATUS,
  approvalCard,
  audienceText,
  currentCard,
  currentProviderCard,
  providerStateText,
  rejectComment,
  stateText,
} from '../../../core/approvalCard.js';
import type { Provider } from '../../../core/provider.js';
import type { MessageRecord } from '../../../core/records.js';

const GROUP = 'a0a0a0a0-0000-4000-8000-0000000000a2';
const urls = {
  approve: 'https://herald.example/api/approval-cards/t1/approve',
  reject: 'https://herald.example/api/approval-cards/t2/reject',
  refresh: 'https://herald.example/api/approval-cards/t3/refresh',
  open: 'https://herald.example/messages/m1',
};

const message = (overrides: Partial<MessageRecord> = {}): MessageRecord => ({
  id: 'm1',
  status: 'PendingApproval',
  draft: {
    name: 'Office *closed* Friday',
    objective: 'announcement',
    location: 'taskbar',
    urgent: false,
    template: { kind: 'custom' },
    content: { title: 'Office closed', body: 'Work from home on Friday.', language: 'en' },
    audience: { groups: [GROUP], companies: [], departments: ['Sales'], locations: [], segments: [], usage: [] },
  } as MessageRecord['draft'],
  author: { id: 'u-ann', upn: 'ann@contoso.test', name: 'Ann' },
  createdAt: '2026-12-01T09:00:00Z',
  updatedAt: '2026-12-01T09:00:00Z',
  version: 3,
  etag: 'e',
  ...overrides,
});

const texts = (card: Record<string, unknown>) => (card.body as { text?: string }[]).map((b) => b.text).filter(Boolean);

test('the card is version 1.0 with the message, its audience, Approve and a Reject that asks for a comment', () => {
  const card = approvalCard({ message: message(), originator: 'herald-provider', urls, groupNames: new Map([[GROUP, 'Staff']]) });
  expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.0', originator: 'herald-provider', correlationId: 'm1-v3' });
  expect(card.autoInvokeAction).toEqual({ type: 'Action.Http', method: 'POST', url: urls.refresh, body: '' });
  expect(texts(card)).toEqual([
    'Approval needed: Office \\*closed\\* Friday',
    'From Ann, for taskbar',
    '**Office closed**',
    'Work from home on Friday\\.',
  ]);
  expect((card.body as { facts?: unknown }[])[4]!.facts).toEqual([{ title: 'Audience', value: 'Groups: Staff; Departments: Sales' }]);
  const [approve, reject, open] = card.actions as Record<string, unknown>[];
  expect(approve).toMatchObject({ type: 'Action.Http', title: 'Approve', method: 'POST', url: urls.approve, body: '{}' });
  expect(reject).toMatchObject({ type: 'Action.ShowCard', title: 'Reject' });
  const rejectCard = reject!.card as { body: Record<string, unknown>[]; actions: Record<string, unknown>[] };
  expect(rejectCard.body[1]).toMatchObject({ type: 'Input.Text', id: 'comment', isMultiline: true, maxLength: 1000 });
  expect(rejectCard.actions[0]).toMatchObject({ type: 'Action.Http', url: urls.reject, body: '{"comment":"{{comment.value}}"}' });
  expect(open).toEqual({ type: 'Action.OpenUrl', title: 'Open in Herald', url: urls.open });
  expect(JSON.stringify(card)).not.toMatch(/Action\.Submit|Input\.Time/);
  expect(audienceText(message())).toBe(`Groups: ${GROUP}; Departments: Sales`);
});

test('once decided, the card shows who decided first and keeps only the link to Herald', () => {
  const decided = currentCard({
    message: message({ status: 'Scheduled', lastAction: 'approved' }),
    originator: 'herald-provider',
    urls,
    decision: { approve: true, by: { name: 'Abe', upn: 'abe@contoso.test' } },
  });
  expect(texts(decided).at(-1)).toBe('**Approved by Abe. It is now Scheduled.**');
  expect(decided.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Herald', url: urls.open }]);
  expect(decided.autoInvokeAction).toBeUndefined();
  // A decision already recorded wins over a status the lifecycle has not applied yet.
  const recorded = currentCard({
    message: message(),
    originator: 'p',
    urls,
    decision: { approve: false, by: { name: '', upn: 'amy@contoso.test' }, comment: 'Too late' },
  });
  expect(texts(recorded).at(-1)).toBe('**Rejected by amy@contoso\\.test: "Too late"**');
  expect(currentCard({ message: message(), originator: 'p', urls, decision: undefined }).actions).toHaveLength(3);
});

test('the state says what happened: rejected automatically, withdrawn, cancelled', () => {
  expect(stateText(message({ status: 'Rejected', lastAction: 'autoRejected' }), undefined)).toBe(
    'Rejected automatically: nobody reviewed it before its end date.',
  );
  expect(stateText(message({ status: 'Draft', lastAction: 'withdrawn' }), undefined)).toBe(
    'Withdrawn: the author is changing it and may submit it again.',
  );
  expect(
    stateText(
      message({ status: 'Cancelled', lastAction: 'cancelled', lastActor: { id: 'u-ann', upn: 'ann@contoso.test', name: 'Ann' } }),
      undefined,
    ),
  ).toBe('Cancelled by Ann.');
  expect(Object.values(APPROVAL_STATUS).join(' ')).not.toMatch(/Abe|Ann|\d{4}-\d{2}/);
});

test('a reject press needs a comment; one typed with quotes arrives raw and is read as typed', () => {
  expect(rejectComment('{"comment":"Wrong audience"}')).toEqual({ ok: true, comment: 'Wrong audience' });
  expect(rejectComment('{"comment":"Say "please""}')).toEqual({ ok: true, comment: 'Say "please"' });
  expect(rejectComment('{"comment":"   "}')).toEqual({ ok: false });
  expect(rejectComment('{"comment":""}')).toEqual({ ok: false });
  expect(rejectComment(`{"comment":"${'x'.repeat(1001)}"}`)).toEqual({ ok: false });
  expect(rejectComment('not json')).toEqual({ ok: false });
});

test("a provider's card shows the registration with Approve and Reject; once decided, who decided", () => {
  const provider = {
    id: 'p1',
    version: 2,
    friendlyName: 'Expenses',
    senderAddresses: ['expenses@contoso.test'],
    targetUrls: ['https://api.expenses.test/actions'],
    entraAppId: 'app-1',
    createdBy: { id: 'u-pat', upn: 'pat@contoso.test', name: 'Pat' },
    status: 'Submitted',
  } as Provider;
  const card = currentProviderCard({ provider, originator: 'herald-provider', urls });
  expect(card).toMatchObject({ version: '1.0', originator: 'herald-provider', correlationId: 'p1-v2' });
  expect(texts(card)[0]).toBe('Provider approval needed: Expenses');
  expect(JSON.stringify(card.body)).toContain('https://api.expenses.test/actions');
  expect((card.actions as { title: string }[]).map((a) => a.title)).toEqual(['Approve', 'Reject', 'Open in Herald']);

  const rejected = {
    ...provider,
    status: 'Rejected',
    lastActor: { id: 'u-abe', upn: 'abe@contoso.test', name: 'Abe' },
    comment: 'Use the shared sender',
  };
  const after = currentProviderCard({ provider: rejected as Provider, originator: 'herald-provider', urls });
  expect(texts(after).at(-1)).toBe('**Rejected by Abe: "Use the shared sender"**');
  expect((after.actions as { title: string }[]).map((a) => a.title)).toEqual(['Open in Herald']);
  expect(providerStateText({ ...provider, status: 'Draft' } as Provider)).toBe(
    'Withdrawn: its owner is changing it and may submit it again.',
  );
});
