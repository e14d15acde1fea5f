// The approval email job and Herald's own provider registration, on fakes: who gets the card (never the author,
// never a provider's registrant), what the card's originator is, and that Herald registers itself once per tenant,
// approved through the status machine, leaving a suspension alone.
import { expect, test } from 'vitest';
import type { DirectoryUser } from '../../../core/audience.js';
import { providerTransition, type Provider, type ProviderFields } from '../../../core/provider.js';
import type { MessageRecord } from '../../../core/records.js';
import { createApprovalCardEmail, createProviderCardEmail, type ApprovalEmail } from '../../../jobs/approvalCard.js';
import { createHeraldProvider, heraldProviderId, HERALD_ACTOR } from '../../../jobs/approvalCardProvider.js';

const TENANT = '11111111-1111-4111-8111-111111111111';
const user = (n: string): DirectoryUser => ({
  id: `u-${n}`,
  userPrincipalName: `${n}@contoso.test`,
  mail: `${n}@contoso.test`,
  displayName: n,
});

function fakeRegistry() {
  const rows = new Map<string, Provider>();
  let creates = 0;
  const store = {
    get: async (_t: string, id: string) => rows.get(id),
    async create(tenant: string, fields: ProviderFields, by: Provider['createdBy'], id: string) {
      creates++;
      if (rows.has(id)) throw Object.assign(new Error('conflict'), { conflict: true });
      const p = {
        ...fields,
        id,
        tenantId: tenant,
        appIdUri: `api://auth-am-${id}/${fields.entraAppId}`,
        status: 'Draft',
        createdBy: by,
        createdAt: '',
        updatedAt: '',
        version: 1,
        etag: '1',
        consent: {},
      } as Provider;
      rows.set(id, p);
      return p;
    },
    async transition(_t: string, id: string, change: { transition: 'submit' | 'approve'; by: Provider['createdBy'] }) {
      const p = rows.get(id)!;
      const check = providerTransition(p.status, change.transition);
      if (!check.ok) return { ok: false, provider: p, reason: check.reason };
      const next = { ...p, status: check.status, lastActor: change.by, version: p.version + 1 };
      rows.set(id, next);
      return { ok: true, provider: next };
    },
  };
  const ensure = createHeraldProvider({
    store: () => store,
    registration: () => ({
      sender: 'DoNotReply@herald.example',
      targetUrl: 'https://herald.example/api/approval-cards',
      entraAppId: 'app',
    }),
    isConflict: (e) => (e as { conflict?: boolean }).conflict === true,
  });
  return { rows, ensure, creates: () => creates };
}

test("Herald's registration: a derived id per tenant, made once, Organization scope, approved by Herald; a suspension stays", async () => {
  expect(heraldProviderId(TENANT)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(heraldProviderId(TENANT)).toBe(heraldProviderId(TENANT.toUpperCase()));
  expect(heraldProviderId(TENANT)).not.toBe(heraldProviderId('22222222-2222-4222-8222-222222222222'));
  // devhost's sample tenant: the id outlook-providers.json registers with the Outlook stand-in.
  expect(heraldProviderId('5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90')).toBe('3c53dfc8-c577-53ab-bec8-30785ab3c78c');

  const { rows, ensure, creates } = fakeRegistry();
  const first = await ensure(TENANT);
  expect(first).toMatchObject({
    id: heraldProviderId(TENANT),
    status: 'Approved',
    scope: 'Organization',
    senderAddresses: ['donotreply@herald.example'],
    targetUrls: ['https://herald.example/api/approval-cards'],
    createdBy: HERALD_ACTOR,
    lastActor: HERALD_ACTOR,
  });
  await ensure(TENANT);
  expect(creates()).toBe(1);

  rows.set(first.id, { ...rows.get(first.id)!, status: 'Suspended' });
  expect((await ensure(TENANT)).status).toBe('Suspended');
});

const message = {
  id: 'm1',
  status: 'PendingApproval',
  version: 2,
  lifecycle: 'msg-t-m1-v1',
  draft: { name: 'Office closed', location: 'taskbar', urgent: true, content: { title: 'Closed', body: 'Stay home.' }, audience: {} },
  author: { id: 'u-ann', upn: 'ann@contoso.test', name: 'Ann' },
} as unknown as MessageRecord;

function emailPorts(status: Provider['status'] = 'Approved') {
  const sent: ApprovalEmail[] = [];
  return {
    sent,
    ports: {
      approversGroup: async () => 'g-approvers',
      async *groupMembers() {
        yield [user('ann'), user('abe'), { ...user('amy'), mail: null }];
      },
      heraldProvider: async () => ({ id: 'herald-id', status }) as Provider,
      urls: (_t: string, id: string, r: string) => ({
        approve: `a/${id}/${r}`,
        reject: `r/${id}/${r}`,
        refresh: `f/${id}/${r}`,
        open: `o/${id}`,
      }),
      render: (html: string, card: unknown) => ({ html: card ? `${html}<card>${JSON.stringify(card)}</card>` : html, plainText: 'text' }),
      sendEmail: async (_t: string, email: ApprovalEmail) => {
        sent.push(email);
        return { status: 'sent' as const };
      },
    },
  };
}

test('every approver but the author gets one email per submission, its card from Herald with their own buttons', async () => {
  const { sent, ports } = emailPorts();
  expect(await createApprovalCardEmail(ports)(TENANT, message)).toEqual({ emailed: 2 });
  expect(sent.map((e) => e.to.address).sort()).toEqual(['abe@contoso.test', 'amy@contoso.test']);
  const abe = sent.find((e) => e.to.address === 'abe@contoso.test')!;
  expect(abe.subject).toBe('Urgent: Approval needed: Office closed');
  expect(abe.operationId).toBe('approval:m1:msg-t-m1-v1:abe@contoso.test');
  expect(abe.html).toContain('"originator":"herald-id"');
  expect(abe.html).toContain('a/m1/abe@contoso.test');
});

test('while Herald’s registration is suspended the email goes without a card, saying why', async () => {
  const { sent, ports } = emailPorts('Suspended');
  const result = await createApprovalCardEmail(ports)(TENANT, message);
  expect(result).toMatchObject({ emailed: 2, reason: "Herald's provider registration is Suspended: sent without a card" });
  expect(sent.every((e) => !e.html.includes('<card>'))).toBe(true);
});

test("a provider's card goes to the provider approvers but its registrant and submitter", async () => {
  const { sent, ports } = emailPorts();
  const provider = {
    id: 'p1',
    friendlyName: 'Expenses',
    senderAddresses: ['expenses@contoso.test'],
    targetUrls: ['https://api.expenses.test'],
    entraAppId: 'app',
    createdBy: { id: 'u-ann', upn: 'ann@contoso.test', name: 'Ann' },
    submittedBy: { id: 'u-amy', upn: 'amy@contoso.test', name: 'Amy' },
    submittedAt: '2026-12-01T09:00:00Z',
    status: 'Submitted',
    version: 2,
  } as Provider;
  expect(await createProviderCardEmail(ports)(TENANT, provider)).toEqual({ emailed: 1 });
  expect(sent.map((e) => [e.to.address, e.subject, e.operationId])).toEqual([
    ['abe@contoso.test', 'Provider approval needed: Expenses', 'provider-approval:p1:2026-12-01T09:00:00Z:abe@contoso.test'],
  ]);
  expect(sent[0]!.html).toContain('a/p1/abe@contoso.test');
});
