// Outlook's gate: which recipient sees a card, in Outlook's order, with the debugger's reasons; signed cards
// verified against the registered <RSAKeyValue> key; and the card as Outlook shows it (version 1.0 for
// Action.Http, no Action.Submit or Input.Time).
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, expect, test } from 'vitest';
import { findCard, withoutCard } from '../../../src/standins/outlook/cardMarkup.js';
import { Dashboard, type Provider } from '../../../src/standins/outlook/dashboard.js';
import { gate, type GateInput } from '../../../src/standins/outlook/gate.js';
import { actionsOf, forOutlook, substitute } from '../../../src/standins/outlook/outlookCard.js';

const TENANT = '5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90';
const OTHER_TENANT = '0b0b0b0b-0000-4000-8000-00000000000b';
const APP = '11111111-2222-4333-8444-555555555555';
const SENDER = 'announcements@contoso.test';
const NOW = Date.parse('2026-12-01T10:00:00Z');

let privateKey: CryptoKey;
let publicXml: string;
let otherXml: string;

const toXml = async (key: CryptoKey) => {
  const jwk = await exportJWK(key);
  const b64 = (s: string) => Buffer.from(s, 'base64url').toString('base64');
  return `<RSAKeyValue><Modulus>${b64(jwk.n!)}</Modulus><Exponent>${b64(jwk.e!)}</Exponent></RSAKeyValue>`;
};

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  publicXml = await toXml(pair.publicKey);
  otherXml = await toXml((await generateKeyPair('RS256', { extractable: true })).publicKey);
});

function dashboard(now = NOW, propagationSeconds = 0) {
  return new Dashboard({ now: () => now, propagationSeconds, stateFile: undefined });
}

function register(d: Dashboard, overrides: Record<string, unknown> = {}): Provider {
  return d.register({
    friendlyName: 'Contoso announcements',
    senderAddresses: [SENDER],
    targetUrls: ['https://api.contoso.test'],
    publicKeyRsaXml: publicXml,
    scope: 'Organization',
    tenantId: TENANT,
    entraAppId: APP,
    status: 'Approved',
    approvedBy: 'exchange-admin@contoso.test',
    ...overrides,
  });
}

const card = (originator: string | undefined, extra: Record<string, unknown> = {}) => ({
  type: 'AdaptiveCard',
  version: '1.0',
  ...(originator ? { originator } : {}),
  body: [{ type: 'TextBlock', text: '**Office closed Friday**' }],
  actions: [{ type: 'Action.Http', title: 'Acknowledge', method: 'POST', url: 'https://api.contoso.test/am/ack', body: '{}' }],
  ...extra,
});

const scriptHtml = (c: unknown) =>
  `<html><head><script type="application/adaptivecard+json">${JSON.stringify(c)}</script></head><body><p>Office closed Friday.</p></body></html>`;

async function signedHtml(c: unknown, claims: Record<string, unknown> = {}, key = privateKey) {
  const jws = await new SignJWT({
    originator: (c as { originator?: string }).originator,
    sender: SENDER,
    recipientsSerialized: JSON.stringify(['ana@contoso.test', 'bo@contoso.test']),
    adaptiveCardSerialized: JSON.stringify(c),
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt(Math.floor(NOW / 1000))
    .sign(key);
  return (
    '<html><body><p>Office closed Friday.</p><section itemscope itemtype="http://schema.org/SignedAdaptiveCard">' +
    '<meta itemprop="@context" content="http://schema.org/extensions" /><meta itemprop="@type" content="SignedAdaptiveCard" />' +
    `<div itemprop="signedAdaptiveCard" style="mso-hide:all;display:none;max-height:0px;overflow:hidden;">${jws}</div></section></body></html>`
  );
}

function input(d: Dashboard, html: string, overrides: Partial<GateInput> = {}): GateInput {
  return {
    found: findCard(html),
    from: SENDER,
    recipient: { address: 'ana@contoso.test', tenantId: TENANT, kind: 'to' },
    mailAuth: { spf: 'pass', dkim: 'pass' },
    provider: (id) => d.get(id),
    now: NOW,
    ...overrides,
  };
}

const errorsOf = async (i: GateInput) => (await gate(i)).report.ActionableMessageStamping.Errors;

test('an approved Organization provider’s card from its sender, with SPF and DKIM passing, reaches a recipient in its tenant', async () => {
  const d = dashboard();
  const p = register(d);
  const result = await gate(input(d, scriptHtml(card(p.id))));
  expect(result.report).toMatchObject({
    CardEnabledForMessage: true,
    Originator: p.id,
    CardSource: 'script',
    ActionableMessageStamping: { Infos: ['Card allowed for the sender'], Errors: [] },
  });
  expect(result.card?.body).toEqual([{ type: 'TextBlock', text: '**Office closed Friday**' }]);
  expect(p.appIdUri).toBe(`api://auth-am-${p.id}/${APP}`);
});

test('the gate drops the card at the first failing check, in Outlook’s order, and says why', async () => {
  const d = dashboard();
  const p = register(d);
  expect(await errorsOf(input(d, '<html><body>No card here</body></html>'))).toEqual([expect.stringContaining('No card found')]);
  expect(await errorsOf(input(d, '<html><head><script type="application/adaptivecard+json">{not json</script></head></html>'))).toEqual([
    expect.stringContaining('The card is not JSON'),
  ]);
  expect(
    await errorsOf(
      input(d, `<html><body><script type="application/adaptivecard+json">${JSON.stringify(card(p.id))}</script></body></html>`),
    ),
  ).toEqual([expect.stringContaining('outside <head>')]);
  expect(await errorsOf(input(d, scriptHtml(card(undefined))))).toEqual([
    'Card removed: the card has no originator and the mail is not to its sender.',
  ]);
  expect(await errorsOf(input(d, scriptHtml(card('00000000-0000-4000-8000-000000000000'))))).toEqual([
    'Unknown originator, no config fetched.',
  ]);
  expect(
    await errorsOf(input(d, scriptHtml(card(p.id)), { recipient: { address: 'zed@fabrikam.test', tenantId: OTHER_TENANT, kind: 'to' } })),
  ).toEqual([expect.stringContaining("is not in tenant 5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90, the provider's (Organization scope)")]);
  expect(await errorsOf(input(d, scriptHtml(card(p.id)), { from: 'someone-else@contoso.test' }))).toEqual([
    expect.stringContaining('Sender someone-else@contoso.test is not a sender address of provider'),
  ]);
  expect(await errorsOf(input(d, scriptHtml(card(p.id)), { mailAuth: { spf: 'pass', dkim: 'fail' } }))).toEqual([
    'Sender authentication failed (spf=pass, dkim=fail) and the card is not signed.',
  ]);
  expect(
    await errorsOf(input(d, scriptHtml(card(p.id)), { recipient: { address: 'ana@contoso.test', tenantId: TENANT, kind: 'bcc' } })),
  ).toEqual(['No card for a Bcc recipient.']);
  // A card to oneself needs no provider.
  const self = await gate(input(d, scriptHtml(card(undefined)), { recipient: { address: SENDER, tenantId: TENANT, kind: 'to' } }));
  expect(self.report.CardEnabledForMessage).toBe(true);
  expect(self.report.ActionableMessageStamping.Infos).toContain('Card allowed for self email.');
});

test('a provider reaches recipients only once approved and effective, and only within its scope', async () => {
  const later = dashboard(NOW - 3600_000, 24 * 3600);
  const waiting = register(later, { status: 'Submitted' });
  expect(await errorsOf(input(later, scriptHtml(card(waiting.id))))).toEqual([`Provider ${waiting.id} is Submitted, not Approved.`]);
  later.approve(waiting.id, 'exchange-admin@contoso.test');
  expect(await errorsOf(input(later, scriptHtml(card(waiting.id))))).toEqual([
    expect.stringMatching(/takes effect at 2026-12-02T09:00:00.000Z/),
  ]);

  const d = dashboard();
  const test = register(d, { scope: 'TestUsers', testUsers: ['bo@contoso.test'], status: undefined });
  expect(test.status).toBe('Approved');
  expect(await errorsOf(input(d, scriptHtml(card(test.id))))).toEqual([expect.stringContaining('ana@contoso.test is not a test user')]);
  expect(
    await errorsOf(input(d, scriptHtml(card(test.id)), { recipient: { address: 'bo@contoso.test', tenantId: TENANT, kind: 'cc' } })),
  ).toEqual([]);

  const global = register(d, { scope: 'Global' });
  const abroad = { recipient: { address: 'zed@fabrikam.test', tenantId: OTHER_TENANT, kind: 'to' as const } };
  expect(await errorsOf(input(d, scriptHtml(card(global.id)), abroad))).toEqual([expect.stringContaining('has not consented')]);
  d.consent(global.id, OTHER_TENANT, 'Consented');
  expect(await errorsOf(input(d, scriptHtml(card(global.id)), abroad))).toEqual([]);

  d.suspend(global.id);
  expect(await errorsOf(input(d, scriptHtml(card(global.id)), abroad))).toEqual([`Provider ${global.id} is Suspended, not Approved.`]);
});

test('the dashboard refuses a registration naming the field and the rule', () => {
  const d = dashboard();
  expect(() => register(d, { senderAddresses: [] })).toThrow('senderAddresses: must name at least one sender address');
  expect(() => register(d, { targetUrls: ['ftp://contoso.test'] })).toThrow('targetUrls.0: must be an https URL');
  expect(() => register(d, { publicKeyRsaXml: '-----BEGIN PUBLIC KEY-----' })).toThrow('publicKeyRsaXml: must be <RSAKeyValue>');
  expect(() => register(d, { scope: 'TestUsers', status: undefined })).toThrow(
    'testUsers: the Test Users scope needs at least one test user',
  );
  const p = register(d);
  expect(() => d.approve(p.id, 'x')).toThrow('only a Submitted provider can be approved');
});

test('a signed card verifies with the registered key, for its sender and its recipients; SPF and DKIM then need not pass', async () => {
  const d = dashboard();
  const p = register(d);
  const noAuth = { mailAuth: { spf: 'none' as const, dkim: 'none' as const } };
  const signed = await gate(input(d, await signedHtml(card(p.id)), noAuth));
  expect(signed.report).toMatchObject({ CardEnabledForMessage: true, CardSource: 'signed' });
  expect(signed.report.ActionableMessageStamping.Infos).toContain('Signed card verified with the provider public key.');

  const wrongKey = register(d, { publicKeyRsaXml: otherXml });
  expect(await errorsOf(input(d, await signedHtml(card(wrongKey.id)), noAuth))).toEqual([
    'Adaptive card signature validation failed - Failed to validate signature.',
  ]);
  expect(await errorsOf(input(d, await signedHtml(card(p.id), { sender: 'mallory@contoso.test' }), noAuth))).toEqual([
    `The signed card's sender mallory@contoso.test is not the mail's sender ${SENDER}.`,
  ]);
  const forCarl = { ...noAuth, recipient: { address: 'carl@contoso.test', tenantId: TENANT, kind: 'to' as const } };
  expect(await errorsOf(input(d, await signedHtml(card(p.id)), forCarl))).toEqual([
    "carl@contoso.test is not among the signed card's recipients (recipientsSerialized).",
  ]);
  expect(await errorsOf(input(d, await signedHtml(card(p.id), { originator: '00000000-0000-4000-8000-000000000000' }), noAuth))).toEqual([
    expect.stringContaining("The signed card's originator"),
  ]);
  // The signed section wins over a script in the head.
  const both = (await signedHtml(card(p.id))).replace(
    '<html>',
    `<html><head><script type="application/adaptivecard+json">{}</script></head>`,
  );
  expect(findCard(both).kind).toBe('signed');
});

test('Outlook hides Action.Http from version 1.4 on, never shows Action.Submit or Input.Time, and names each Action.Http', () => {
  const v10 = forOutlook({
    type: 'AdaptiveCard',
    version: '1.0',
    body: [
      { type: 'Input.Time', id: 'when' },
      { type: 'Input.Text', id: 'comment' },
      { type: 'ActionSet', actions: [{ type: 'Action.Http', title: 'Inline', method: 'POST', url: 'https://x.test', body: '' }] },
    ],
    actions: [
      { type: 'Action.Submit', title: 'Submit' },
      { type: 'Action.Http', title: 'Approve', method: 'POST', url: 'https://x.test/a', body: '{}' },
      {
        type: 'Action.ShowCard',
        title: 'Reject',
        card: {
          type: 'AdaptiveCard',
          body: [],
          actions: [{ type: 'Action.Http', title: 'Send', method: 'POST', url: 'https://x.test/r', body: '' }],
        },
      },
    ],
  });
  expect(actionsOf(v10.card).map((a) => [a.type, a.title])).toEqual([
    ['Action.Http', 'Inline'],
    ['Action.Http', 'Approve'],
    ['Action.ShowCard', 'Reject'],
    ['Action.Http', 'Send'],
  ]);
  expect(
    new Set(
      actionsOf(v10.card)
        .filter((a) => a.type === 'Action.Http')
        .map((a) => a.id),
    ).size,
  ).toBe(3);
  expect((v10.card.body as { type: string }[]).map((e) => e.type)).toEqual(['Input.Text', 'ActionSet']);
  expect(v10.notes).toEqual(['Action.Submit dropped: 1 (not supported in Outlook).', 'Input.Time dropped: 1 (not supported in Outlook).']);

  const v14 = forOutlook({
    ...card('x'),
    version: '1.4',
    autoInvokeAction: { type: 'Action.Http', method: 'POST', url: 'https://x.test', body: '' },
  });
  expect(v14.card.actions).toEqual([]);
  expect(v14.card.autoInvokeAction).toBeUndefined();
  expect(v14.notes).toEqual(['Action.Http hidden: 1 at card version 1.4 (Action.Http needs version 1.0).']);
});

test('inputs are URL-encoded in a URL and inserted as typed elsewhere', () => {
  expect(substitute('https://x.test/a?c={{comment.value}}&n={{none.value}}', { comment: 'a b&c' }, true)).toBe(
    'https://x.test/a?c=a%20b%26c&n=',
  );
  expect(substitute('{"comment":"{{ comment.value }}"}', { comment: 'a b&c' }, false)).toBe('{"comment":"a b&c"}');
});

test('a reply or a forward carries the HTML body without the card', async () => {
  const html = (await signedHtml(card('x'))).replace(
    '<html>',
    `<html><head><script type="application/adaptivecard+json">{}</script></head>`,
  );
  const stripped = withoutCard(html);
  expect(stripped).toContain('<p>Office closed Friday.</p>');
  expect(stripped).not.toContain('SignedAdaptiveCard');
  expect(stripped).not.toContain('adaptivecard+json');
  expect(findCard(stripped)).toEqual({ kind: 'none' });
});
