import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, expect, test } from 'vitest';
import { decodeSignedCard, jwkToRsaKeyValue, verifySignedCard } from '../../../core/signedCard.js';

// The example SignedCardPayload of Outlook's security-requirements page: signed with a key nobody has, so
// it is a parser vector only.
const DOCS_EXAMPLE =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZW5kZXIiOiJzZXJ2aWNlLWFjY291bnRAY29udG9zby5jb20iLCJvcmlnaW5hdG9yIjoiNjVjNjgwZWYtMzZhNi00YTFiLWI4NGMtYTdiNWM2MTk4NzkyIiwicmVjaXBpZW50c1NlcmlhbGl6ZWQiOiJbXCJqb2huQGNvbnRvc28uY29tXCIsXCJqYW5lQGNvbnRvc28uY29tXCJdIiwiYWRhcHRpdmVDYXJkU2VyaWFsaXplZCI6IntcIiRzY2hlbWFcIjpcImh0dHA6Ly9hZGFwdGl2ZWNhcmRzLmlvL3NjaGVtYXMvYWRhcHRpdmUtY2FyZC5qc29uXCIsXCJ0eXBlXCI6XCJBZGFwdGl2ZUNhcmRcIixcInZlcnNpb25cIjpcIjEuMFwiLFwiYm9keVwiOlt7XCJzaXplXCI6XCJsYXJnZVwiLFwidGV4dFwiOlwiSGVsbG8gQWN0aW9uYWJsZSBtZXNzYWdlXCIsXCJ3cmFwXCI6dHJ1ZSxcInR5cGVcIjpcIlRleHRCbG9ja1wifV0sXCJhY3Rpb25zXCI6W3tcInR5cGVcIjpcIkFjdGlvbi5JbnZva2VBZGRJbkNvbW1hbmRcIixcInRpdGxlXCI6XCJPcGVuIEFjdGlvbmFibGUgTWVzc2FnZXMgRGVidWdnZXJcIixcImFkZEluSWRcIjpcIjNkMTQwOGY2LWFmYjMtNGJhZi1hYWNkLTU1Y2Q4NjdiYjBmYVwiLFwiZGVza3RvcENvbW1hbmRJZFwiOlwiYW1EZWJ1Z2dlck9wZW5QYW5lQnV0dG9uXCJ9XX0iLCJpYXQiOjE1NDUzNDgxNTN9.BP9mK33S1VZyjtWZd-lNTTjvueyeeoitygw9bl17TeQFTUDh9Kg5cB3fB7BeZYQs6IiWa1VGRdiiR4q9EkAB1qDsmIcJnw6aYwDUZ1KY4lNoYgQCH__FxEPHViGidNGtq1vAC6ODw0oIfaTUWTa5cF5MfiRBIhpQ530mbRNnA0QSrBYtyB54EDJxjBF1vNSKOeVHAl2d4gqcGxsytQA0PA7XMbrZ8B7fEU2uNjSiLQpoh6A1tevpla2C7W6h-Wekgsmjpw2YToAOX67VZ1TcS5oZAHmjv2RhqsfX5DlN-ZsTRErU4Hs5d92NY9ijJPDunSLyUFNCw7HLNPFqqPmZsw';

const NOW = Date.parse('2026-12-07T08:00:00Z');
const card = { type: 'AdaptiveCard', version: '1.0', originator: 'p-1', body: [{ type: 'TextBlock', text: 'Hi' }] };
let privateKey: CryptoKey;
let publicXml: string;
let otherXml: string;

const sign = (claims: Record<string, unknown>, key = privateKey, alg = 'RS256') =>
  new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
const payload = (over: Record<string, unknown> = {}) => ({
  originator: 'p-1',
  iat: Math.floor(NOW / 1000) - 60,
  sender: 'service@contoso.test',
  recipientsSerialized: JSON.stringify(['ann@contoso.test', 'bo@contoso.test']),
  adaptiveCardSerialized: JSON.stringify(card),
  ...over,
});
const expect_ = { sender: 'service@contoso.test', recipients: ['ann@contoso.test', 'bo@contoso.test'], now: NOW };

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  publicXml = jwkToRsaKeyValue(await exportJWK(pair.publicKey));
  otherXml = jwkToRsaKeyValue(await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey));
});

test("the documentation's example JWS decodes: serialized recipients and card are JSON strings inside the payload", () => {
  const content = decodeSignedCard(DOCS_EXAMPLE);
  expect(content.sender).toBe('service-account@contoso.com');
  expect(content.originator).toBe('65c680ef-36a6-4a1b-b84c-a7b5c6198792');
  expect(content.recipients).toEqual(['john@contoso.com', 'jane@contoso.com']);
  expect(content.iat).toBe(1545348153);
  expect(content.card).toMatchObject({ type: 'AdaptiveCard', version: '1.0' });
});

test('the example does not verify against a key of ours: its signature was made with another', async () => {
  await expect(
    verifySignedCard(DOCS_EXAMPLE, publicXml, {
      sender: 'service-account@contoso.com',
      recipients: ['john@contoso.com'],
      now: NOW,
    }),
  ).rejects.toThrow(/signature validation failed/);
});

test('a card signed with the registered key verifies, and its card is returned parsed', async () => {
  const content = await verifySignedCard(await sign(payload()), publicXml, expect_);
  expect(content.card).toEqual(card);
  expect(content.recipients).toEqual(['ann@contoso.test', 'bo@contoso.test']);
});

test('the registered key is <RSAKeyValue> XML; a key that is not one names why', async () => {
  const jws = await sign(payload());
  expect((await verifySignedCard(jws, publicXml.replace('<Modulus>', '<Modulus>\n  '), expect_)).sender).toBe('service@contoso.test');
  await expect(verifySignedCard(jws, '-----BEGIN PUBLIC KEY-----', expect_)).rejects.toThrow(/public key must be an <RSAKeyValue>/);
});

test('another key, another algorithm, a changed payload: refused', async () => {
  await expect(verifySignedCard(await sign(payload()), otherXml, expect_)).rejects.toThrow(/signature validation failed/);
  const hs = await new SignJWT(payload()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(32)));
  await expect(verifySignedCard(hs, publicXml, expect_)).rejects.toThrow(/alg is HS256, not RS256/);
  const [h, , s] = (await sign(payload())).split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify(payload({ sender: 'evil@contoso.test' }))).toString('base64url')}.${s}`;
  await expect(verifySignedCard(forged, publicXml, expect_)).rejects.toThrow(/signature validation failed/);
});

test("sender must equal the mail's, every recipient must be listed, iat must not be in the future", async () => {
  await expect(verifySignedCard(await sign(payload()), publicXml, { ...expect_, sender: 'other@contoso.test' })).rejects.toThrow(
    /sender service@contoso.test is not the mail's sender other@contoso.test/,
  );
  expect((await verifySignedCard(await sign(payload()), publicXml, { ...expect_, sender: 'SERVICE@contoso.test' })).sender).toBe(
    'service@contoso.test',
  );
  await expect(
    verifySignedCard(await sign(payload()), publicXml, { ...expect_, recipients: ['ann@contoso.test', 'cy@contoso.test'] }),
  ).rejects.toThrow(/does not list cy@contoso.test/);
  const future = await sign(payload({ iat: Math.floor(NOW / 1000) + 3600 }));
  await expect(verifySignedCard(future, publicXml, expect_)).rejects.toThrow(/iat .* is in the future/);
  // Clocks drift: a minute ahead is still now.
  await verifySignedCard(await sign(payload({ iat: Math.floor(NOW / 1000) + 60 })), publicXml, expect_);
});

test('every claim is required, and the serialized fields must be strings holding JSON', async () => {
  for (const claim of ['originator', 'iat', 'sender', 'recipientsSerialized', 'adaptiveCardSerialized']) {
    const p: Record<string, unknown> = payload();
    delete p[claim];
    await expect(verifySignedCard(await sign(p), publicXml, expect_)).rejects.toThrow(new RegExp(`claim ${claim} is missing`));
  }
  await expect(verifySignedCard(await sign(payload({ recipientsSerialized: ['ann@contoso.test'] })), publicXml, expect_)).rejects.toThrow(
    /recipientsSerialized is missing or not valid/,
  );
  await expect(verifySignedCard(await sign(payload({ adaptiveCardSerialized: '{not json' })), publicXml, expect_)).rejects.toThrow(
    /adaptiveCardSerialized is not a JSON string/,
  );
  expect(() => decodeSignedCard('not-a-jws')).toThrow(/not a compact JWS/);
});
