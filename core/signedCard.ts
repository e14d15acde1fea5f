/**
 * SignedAdaptiveCard: a compact JWS (RS256) whose payload carries `originator`, `iat`, `sender`,
 * `recipientsSerialized` and `adaptiveCardSerialized` — the last two JSON *strings*, not nested values. A
 * provider registers its public key as XML-DSig `<RSAKeyValue>`; this module turns that into a key and
 * verifies a card against it. Pure: jose's verification is computation, no I/O; time comes in as a value.
 */
import { compactVerify, decodeProtectedHeader, errors, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { parseRsaKeyValue } from './provider.js';

/** The payload as the sender wrote it; the serialized fields are still strings here. */
const SignedPayload = z.object({
  originator: z.string().min(1),
  iat: z.number(),
  sender: z.string().min(1),
  recipientsSerialized: z.string(),
  adaptiveCardSerialized: z.string(),
});

export interface SignedCardContent {
  originator: string;
  /** Signing time, epoch seconds. */
  iat: number;
  sender: string;
  /** Every To and CC recipient the card was signed for, lower-cased. */
  recipients: string[];
  /** The card, parsed from `adaptiveCardSerialized`. */
  card: unknown;
}

/** Why a signed card is not accepted; `message` is what the per-recipient debugger view shows. */
export class SignedCardRejected extends Error {}

/** The public half of an RSA JWK as the `<RSAKeyValue>` a provider registers. */
export function jwkToRsaKeyValue(jwk: JWK): string {
  const b64 = (v: string) => Buffer.from(v, 'base64url').toString('base64');
  return `<RSAKeyValue><Modulus>${b64(jwk.n!)}</Modulus><Exponent>${b64(jwk.e!)}</Exponent></RSAKeyValue>`;
}

function contentOf(payload: unknown): SignedCardContent {
  const parsed = SignedPayload.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SignedCardRejected(`the signed card's payload claim ${issue.path.join('.') || '(payload)'} is missing or not valid`);
  }
  const p = parsed.data;
  let recipients: unknown;
  let card: unknown;
  try {
    recipients = JSON.parse(p.recipientsSerialized);
  } catch {
    throw new SignedCardRejected('recipientsSerialized is not a JSON string holding an array');
  }
  if (!Array.isArray(recipients) || !recipients.every((r) => typeof r === 'string'))
    throw new SignedCardRejected('recipientsSerialized is not a JSON array of addresses');
  try {
    card = JSON.parse(p.adaptiveCardSerialized);
  } catch {
    throw new SignedCardRejected('adaptiveCardSerialized is not a JSON string holding the card');
  }
  return { originator: p.originator, iat: p.iat, sender: p.sender, recipients: recipients.map((r: string) => r.toLowerCase()), card };
}

/**
 * What a signed card says, without checking its signature: where the card gate reads the card from before
 * it knows which provider's key to verify with. Throws SignedCardRejected for anything that is not one.
 */
export function decodeSignedCard(jws: string): SignedCardContent {
  const parts = jws.trim().split('.');
  if (parts.length !== 3) throw new SignedCardRejected('the signed card is not a compact JWS (header.payload.signature)');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    throw new SignedCardRejected("the signed card's payload is not JSON");
  }
  return contentOf(payload);
}

export interface SignedCardExpectations {
  /** The mail's sender: the payload's `sender` must equal it (case-insensitive, as addresses are). */
  sender: string;
  /** Every To and CC recipient of the mail; each must be in `recipientsSerialized`. */
  recipients: readonly string[];
  /** Epoch ms; an `iat` later than this (beyond the skew) is refused. */
  now: number;
}

/** Signing clocks drift: an `iat` up to this far ahead of ours is still accepted. */
export const IAT_SKEW_S = 300;

/**
 * Verifies a signed card against the provider's registered `<RSAKeyValue>`: RS256 only, the signature,
 * `sender` equal to the mail's, every recipient listed, `iat` not in the future. Returns the content, or
 * throws SignedCardRejected naming the first check that failed.
 */
export async function verifySignedCard(jws: string, publicKeyXml: string, expect: SignedCardExpectations): Promise<SignedCardContent> {
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(jws.trim()).alg;
  } catch {
    throw new SignedCardRejected('the signed card is not a compact JWS (header.payload.signature)');
  }
  if (alg !== 'RS256') throw new SignedCardRejected(`the signed card's alg is ${alg ?? 'missing'}, not RS256`);
  const parsed = parseRsaKeyValue(publicKeyXml);
  if (!parsed.ok) throw new SignedCardRejected(`the provider's public key ${parsed.reason}`);
  const key = await importJWK(parsed.jwk, 'RS256');
  let payload: unknown;
  try {
    const { payload: bytes } = await compactVerify(jws.trim(), key, { algorithms: ['RS256'] });
    payload = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed)
      throw new SignedCardRejected("Adaptive card signature validation failed - the signature does not verify against the provider's key");
    if (error instanceof SyntaxError) throw new SignedCardRejected("the signed card's payload is not JSON");
    throw new SignedCardRejected(`the signed card could not be verified: ${(error as Error).message}`);
  }
  const content = contentOf(payload);
  if (content.sender.toLowerCase() !== expect.sender.toLowerCase())
    throw new SignedCardRejected(`the signed card's sender ${content.sender} is not the mail's sender ${expect.sender}`);
  const missing = expect.recipients.filter((r) => !content.recipients.includes(r.toLowerCase()));
  if (missing.length) throw new SignedCardRejected(`recipientsSerialized does not list ${missing.join(', ')}`);
  if (content.iat * 1000 > expect.now + IAT_SKEW_S * 1000)
    throw new SignedCardRejected(`the signed card's iat ${new Date(content.iat * 1000).toISOString()} is in the future`);
  return content;
}
