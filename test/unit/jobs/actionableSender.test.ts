import { expect, test } from 'vitest';
import { findCard, type AdaptiveCard } from '../../../core/actionableCard.js';
import type { Delivery, SendOutcome } from '../../../core/delivery.js';
import { actionableEmail, relayedCard } from '../../../adapters/rendering/actionableEmail.js';
import type { OutgoingEmail } from '../../../adapters/services/acsEmailSender.js';
import type { ActionableSend, SendContent } from '../../../adapters/stores/actionableStore.js';
import { createActionableSender } from '../../../jobs/actionable/actionableSender.js';

const TENANT = '72f98bf1-86f1-41af-91ab-2d7cd011db47';
const ref = { tenantId: TENANT, messageId: '0000000000000000000ab', occurrence: 0, batch: 0 };
const card: AdaptiveCard = {
  type: 'AdaptiveCard',
  version: '1.0',
  originator: 'p-1',
  autoInvokeAction: { type: 'Action.Http', method: 'POST', url: 'https://api.contoso.test/am/refresh', body: '' },
  actions: [{ type: 'Action.Http', title: 'Ack', method: 'POST', url: 'https://api.contoso.test/am/ack', body: '{}' }],
};
const send: ActionableSend = {
  id: ref.messageId,
  tenantId: TENANT,
  providerId: 'p-1',
  appId: 'app',
  sender: 'expenses@contoso.test',
  subject: 'Expense 42',
  recipients: [],
  createdAt: '2026-12-07T08:00:00Z',
};
const content: SendContent = {
  html: '<html><head><script type="application/adaptivecard+json">{"old":true}</script></head><body><p>Expense 42 waits.</p></body></html>',
  card,
  verdicts: [
    { address: 'ana@contoso.test', kind: 'to', cardEnabled: true, errors: [], infos: [] },
    { address: 'bo@contoso.test', kind: 'bcc', cardEnabled: false, errors: ['BCC recipients get no card: only To and CC do'], infos: [] },
  ],
};
const row = (address: string): Delivery => ({ userId: address, upn: address, mail: address, status: 'pending', attempts: 0 });

function sender(wait = 0, outcome: SendOutcome = { status: 'sent' }) {
  const sent: OutgoingEmail[] = [];
  const paused: number[] = [];
  const make = createActionableSender({
    sends: { getSend: async () => send, getSendContent: async () => content },
    limiter: { acquire: async () => wait, pause: (_k, ms) => void paused.push(ms) },
    relayedCard,
    render: actionableEmail,
    linkFor: (l) => `https://herald.test/act/${l.kind}/${l.recipient}/${encodeURIComponent(l.url)}`,
    sendEmail: async (_t, email) => {
      sent.push(email);
      return outcome;
    },
  });
  return { chunkSender: make(ref), sent, paused };
}

test("each recipient gets one email from the provider's address: the card its verdict allows, its buttons bound to them", async () => {
  const { chunkSender, sent } = sender();
  const outcomes = await chunkSender.send([row('ana@contoso.test'), row('bo@contoso.test')], async () => undefined);
  expect([...(outcomes as Map<string, SendOutcome>).values()]).toEqual([{ status: 'sent' }, { status: 'sent' }]);
  const ana = sent.find((e) => e.to.address === 'ana@contoso.test')!;
  expect(ana).toMatchObject({ from: 'expenses@contoso.test', subject: 'Expense 42', operationId: `${ref.messageId}:0:ana@contoso.test` });
  const found = findCard(ana.html);
  const relayed = JSON.parse(found!.kind === 'script' ? found!.json : '{}');
  expect(relayed.autoInvokeAction.url).toBe(
    `https://herald.test/act/refresh/ana@contoso.test/${encodeURIComponent('https://api.contoso.test/am/refresh')}`,
  );
  expect(relayed.actions[0].url).toBe(
    `https://herald.test/act/click/ana@contoso.test/${encodeURIComponent('https://api.contoso.test/am/ack')}`,
  );
  expect(ana.plainText).toContain('Expense 42 waits.');
  const bo = sent.find((e) => e.to.address === 'bo@contoso.test')!;
  expect(findCard(bo.html)).toBeUndefined();
  expect(bo.html).toContain('Expense 42 waits.');
  expect(chunkSender.resendable).toBe(true);
});

test("paced with the tenant's email quota: a long wait marks the recipient throttled; ACS's 429 pauses the pace", async () => {
  const waiting = sender(30_000);
  const outcomes = (await waiting.chunkSender.send([row('ana@contoso.test')], async () => undefined)) as Map<string, SendOutcome>;
  expect(outcomes.get('ana@contoso.test')).toMatchObject({ status: 'throttled', retryAfterMs: 30_000 });
  expect(waiting.sent).toHaveLength(0);
  const limited = sender(0, { status: 'throttled', retryAfterMs: 60_000, reason: '429' });
  await limited.chunkSender.send([row('ana@contoso.test')], async () => undefined);
  expect(limited.paused).toEqual([60_000]);
});
