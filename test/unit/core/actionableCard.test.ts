import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, expect, test } from 'vitest';
import {
  findCard,
  gateCard,
  httpActions,
  rewriteActions,
  withCard,
  withoutCard,
  type GateInput,
  type GateRecipient,
} from '../../../core/actionableCard.js';
import { jwkToRsaKeyValue } from '../../../core/signedCard.js';

const NOW = Date.parse('2026-12-07T08:00:00Z');
const PROVIDER = {
  id: '3f2b0000-0000-4000-8000-000000000001',
  senderAddresses: ['announcements@contoso.test'],
  targetUrls: ['https://api.contoso.test/am'],
};
const card = (over: Record<string, unknown> = {}) => ({
  type: 'AdaptiveCard',
  version: '1.0',
  originator: PROVIDER.id,
  body: [{ type: 'TextBlock', text: 'Office closed Friday' }],
  actions: [
    { type: 'Action.Http', title: 'Acknowledge', method: 'POST', url: 'https://api.contoso.test/am/ack?id=42', body: '{}' },
    { type: 'Action.OpenUrl', title: 'Open', url: 'https://contoso.test/m/42' },
  ],
  ...over,
});
const scriptHtml = (c: unknown) =>
  `<html><head><script type="application/adaptivecard+json">${JSON.stringify(c)}</script></head><body><p>Office closed Friday</p></body></html>`;
const signedHtml = (jws: string) =>
  `<html><body><p>Office closed Friday</p><section itemscope itemtype="http://schema.org/SignedAdaptiveCard"><meta itemprop="@context" content="http://schema.org/extensions" /><meta itemprop="@type" content="SignedAdaptiveCard" /><div itemprop="signedAdaptiveCard" style="mso-hide:all;display:none;max-height:0px;overflow:hidden;">${jws}</div></section></body></html>`;
const ann: GateRecipient = { address: 'ann@contoso.test', kind: 'to' };
const bo: GateRecipient = { address: 'bo@contoso.test', kind: 'cc' };

let privateKey: CryptoKey;
let publicKeyRsaXml: string;
beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  publicKeyRsaXml = jwkToRsaKeyValue(await exportJWK(pair.publicKey));
});
const signed = (c: unknown, over: Record<string, unknown> = {}) =>
  new SignJWT({
    originator: PROVIDER.id,
    iat: Math.floor(NOW / 1000),
    sender: 'announcements@contoso.test',
    recipientsSerialized: JSON.stringify(['ann@contoso.test', 'bo@contoso.test']),
    adaptiveCardSerialized: JSON.stringify(c),
    ...over,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .sign(privateKey);

const input = (over: Partial<GateInput> = {}): GateInput => ({
  html: scriptHtml(card()),
  sender: 'announcements@contoso.test',
  recipients: [ann, bo],
  provider: { ...PROVIDER, publicKey: publicKeyRsaXml },
  notEffectiveFor: () => undefined,
  now: NOW,
  ...over,
});
const errorsOf = async (over: Partial<GateInput>) => (await gateCard(input(over))).verdicts.map((v) => v.errors[0]);

test('a card in <head> that passes every check goes to To and CC, with what passed listed as Outlook does', async () => {
  const result = await gateCard(input());
  expect(result.found).toBe('script');
  expect(result.verdicts.map((v) => v.cardEnabled)).toEqual([true, true]);
  expect(result.verdicts[0]!.infos).toEqual([
    'Card found (script in head) and parsed',
    `Originator ${PROVIDER.id}`,
    'Provider approved and effective for the recipient',
    'Card allowed for the sender',
    'Card is not signed; sent as Herald verified it',
    'Card version 1.0',
    'Every action URL is under a target URL',
    'Recipient in TO (2 visible)',
  ]);
});

test('the signed section is looked for first, at the end of the body; a card script outside <head> is not a card', async () => {
  const jws = await signed(card());
  expect(findCard(signedHtml(jws) + scriptHtml(card()))).toEqual({ kind: 'signed', jws });
  expect(findCard('<html><body><script type="application/adaptivecard+json">{}</script></body></html>')).toBeUndefined();
  const result = await gateCard(input({ html: signedHtml(jws) }));
  expect(result.verdicts.every((v) => v.cardEnabled)).toBe(true);
  expect(result.verdicts[0]!.infos).toContain('Card signature verified');
});

test('no card, or one that does not parse: stripped for everyone, saying why', async () => {
  expect(await errorsOf({ html: '<p>hello</p>' })).toEqual([expect.stringMatching(/^no card/), expect.stringMatching(/^no card/)]);
  expect((await errorsOf({ html: scriptHtml('x').replace('"x"', '{oops') }))[0]).toMatch(/not JSON/);
  expect((await errorsOf({ html: scriptHtml({ type: 'MessageCard' }) }))[0]).toMatch(/not an AdaptiveCard: type/);
  const noBody = card({ actions: [{ type: 'Action.Http', method: 'POST', url: 'https://api.contoso.test/am/x' }] });
  expect((await errorsOf({ html: scriptHtml(noBody) }))[0]).toBe('Action.Http 0 is POST and has no body');
});

test("originator: another provider's id is refused; none is only for mail to its own sender", async () => {
  expect((await errorsOf({ html: scriptHtml(card({ originator: 'someone-else' })) }))[0]).toMatch(/^Unknown originator someone-else/);
  const none = card({ originator: undefined });
  const self: GateRecipient = { address: 'Announcements@contoso.test', kind: 'to' };
  const result = await gateCard(input({ html: scriptHtml(none), recipients: [self, ann] }));
  expect(result.verdicts[0]!.infos).toContain('Card allowed for self email.');
  expect(result.verdicts[0]!.cardEnabled).toBe(true);
  expect(result.verdicts[1]!.errors[0]).toMatch(/no originator/);
});

test('the provider must be approved and effective for each recipient: the registry says why not', async () => {
  const result = await gateCard(input({ notEffectiveFor: (r) => (r.address === 'bo@contoso.test' ? 'bo is not a test user' : undefined) }));
  expect(result.verdicts.map((v) => [v.cardEnabled, v.errors])).toEqual([
    [true, []],
    [false, ['bo is not a test user']],
  ]);
});

test("the sender must be one of the provider's addresses (checked before the signature)", async () => {
  const jws = await signed(card(), { sender: 'x@contoso.test' });
  expect((await errorsOf({ html: signedHtml(jws), sender: 'other@contoso.test' }))[0]).toBe(
    "the sender other@contoso.test is not one of the provider's sender addresses",
  );
});

test('a signed card must verify: key, sender, recipients, iat', async () => {
  expect((await errorsOf({ html: signedHtml(await signed(card(), { sender: 'x@contoso.test' })) }))[0]).toMatch(
    /sender x@contoso.test is not the mail's sender/,
  );
  const onlyAnn = await signed(card(), { recipientsSerialized: JSON.stringify(['ann@contoso.test']) });
  expect(await errorsOf({ html: signedHtml(onlyAnn) })).toEqual([undefined, 'recipientsSerialized does not list bo@contoso.test']);
  expect((await errorsOf({ html: signedHtml(await signed(card(), { iat: NOW / 1000 + 86400 })) }))[0]).toMatch(/in the future/);
  const noKey = { ...PROVIDER };
  expect((await errorsOf({ html: signedHtml(await signed(card())), provider: noKey }))[0]).toMatch(/no public key registered/);
  const tampered = (await signed(card())).replace(/\.[^.]+$/, '.AAAA');
  expect((await errorsOf({ html: signedHtml(tampered) }))[0]).toMatch(/signature validation failed/);
});

test('Action.Http needs version 1.0; a card without one may be any version', async () => {
  expect((await errorsOf({ html: scriptHtml(card({ version: '1.4' })) }))[0]).toMatch(/needs card version 1.0, not 1.4/);
  const openOnly = card({ version: '1.4', actions: [{ type: 'Action.OpenUrl', url: 'https://contoso.test' }] });
  expect((await errorsOf({ html: scriptHtml(openOnly) }))[0]).toBeUndefined();
});

test('every action URL — nested in a ShowCard and the autoInvokeAction too — must be under a target URL', async () => {
  const nested = card({
    actions: [
      {
        type: 'Action.ShowCard',
        card: {
          type: 'AdaptiveCard',
          actions: [{ type: 'Action.Http', method: 'POST', url: 'https://evil.test/am', body: '' }],
        },
      },
    ],
  });
  expect((await errorsOf({ html: scriptHtml(nested) }))[0]).toBe(
    "the action URL https://evil.test/am is not under one of the provider's target URLs (HTTPS)",
  );
  const auto = card({ autoInvokeAction: { type: 'Action.Http', method: 'POST', url: 'https://api.contoso.test/other', body: '' } });
  expect((await errorsOf({ html: scriptHtml(auto) }))[0]).toMatch(/https:\/\/api.contoso.test\/other is not under/);
});

test('an action URL on another origin, over http, or beside the target path is refused', async () => {
  for (const url of ['http://api.contoso.test/am/ack', 'https://api.contoso.test/amx', 'https://api.contoso.test.evil.test/am/x']) {
    const c = card({ actions: [{ type: 'Action.Http', method: 'POST', url, body: '' }] });
    expect((await errorsOf({ html: scriptHtml(c) }))[0]).toBe(
      `the action URL ${url} is not under one of the provider's target URLs (HTTPS)`,
    );
  }
});

test('BCC recipients get no card; To and CC do', async () => {
  const cy: GateRecipient = { address: 'cy@contoso.test', kind: 'bcc' };
  const result = await gateCard(input({ recipients: [ann, cy] }));
  expect(result.verdicts.map((v) => v.errors[0])).toEqual([undefined, 'BCC recipients get no card: only To and CC do']);
});

test('the checks run in order: the first failure is the one recorded', async () => {
  const bad = card({ originator: 'someone-else', version: '1.4' });
  expect((await errorsOf({ html: scriptHtml(bad), sender: 'other@contoso.test' }))[0]).toMatch(/^Unknown originator/);
  expect((await errorsOf({ html: scriptHtml(card({ version: '1.4' })), sender: 'other@contoso.test' }))[0]).toMatch(/^the sender/);
});

test('what is sent: the card moved to <head> with its action URLs replaced; a stripped mail keeps its HTML body only', () => {
  const c = card({ autoInvokeAction: { type: 'Action.Http', method: 'POST', url: 'https://api.contoso.test/am/refresh', body: '' } });
  const parsed = JSON.parse(JSON.stringify(c));
  expect(httpActions(parsed).map((a) => a.url)).toEqual(['https://api.contoso.test/am/refresh', 'https://api.contoso.test/am/ack?id=42']);
  const rewritten = rewriteActions(parsed, (i) => `https://herald.test/api/actionable/act/t${i}`);
  expect(httpActions(rewritten).map((a) => a.url)).toEqual([
    'https://herald.test/api/actionable/act/t0',
    'https://herald.test/api/actionable/act/t1',
  ]);
  expect(httpActions(parsed)[0]!.url).toBe('https://api.contoso.test/am/refresh');
  const html = withCard(signedHtml('a.b.c'), rewritten);
  expect(findCard(html)).toEqual({ kind: 'script', json: JSON.stringify(rewritten) });
  expect(html).not.toContain('SignedAdaptiveCard');
  expect(withoutCard(scriptHtml(card()))).toBe('<html><head></head><body><p>Office closed Friday</p></body></html>');
  expect(withCard('<p>x</p>', rewritten)).toMatch(
    /^<html><head><script type="application\/adaptivecard\+json">.*<\/script><\/head><body><p>x<\/p><\/body><\/html>$/,
  );
});
