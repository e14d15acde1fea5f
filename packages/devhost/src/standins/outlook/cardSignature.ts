/**
 * Signed cards (SignedAdaptiveCard): a compact RS256 JWS whose payload carries `originator`, `iat`,
 * `sender`, `recipientsSerialized` and `adaptiveCardSerialized` (both JSON strings). Outlook checks the
 * signature against the provider's registered `<RSAKeyValue>` key and that `sender` is the mail's sender;
 * the stand-in also requires every recipient who sees the card to be listed and `iat` not in the future.
 */
import { compactVerify, decodeJwt, importJWK } from 'jose';

export interface SignedPayload {
  originator?: string;
  iat?: number;
  sender?: string;
  recipients: string[];
  /** The card's JSON text. */
  card: string;
}

/** The payload read without checking the signature: the originator names the key to check it with. */
export function readSignedPayload(jws: string): SignedPayload | { error: string } {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(jws);
  } catch (error) {
    return { error: `The signed card is not a compact JWS: ${(error as Error).message}` };
  }
  const card = claims.adaptiveCardSerialized;
  if (typeof card !== 'string') return { error: 'The signed card has no adaptiveCardSerialized (a JSON string holding the card).' };
  let recipients: string[] = [];
  if (typeof claims.recipientsSerialized === 'string') {
    try {
      const list = JSON.parse(claims.recipientsSerialized) as unknown;
      if (Array.isArray(list)) recipients = list.filter((r): r is string => typeof r === 'string').map((r) => r.toLowerCase());
    } catch {
      return { error: 'The signed card recipientsSerialized is not a JSON string holding an array of addresses.' };
    }
  }
  return {
    ...(typeof claims.originator === 'string' ? { originator: claims.originator } : {}),
    ...(typeof claims.iat === 'number' ? { iat: claims.iat } : {}),
    ...(typeof claims.sender === 'string' ? { sender: claims.sender.toLowerCase() } : {}),
    recipients,
    card,
  };
}

const base64url = (xmlBase64: string): string => Buffer.from(xmlBase64.replace(/\s+/g, ''), 'base64').toString('base64url');

/** The registered key (XML-DSig RSAKeyValue) as a JWK. */
export function rsaXmlToJwk(xml: string): { kty: 'RSA'; n: string; e: string } {
  const modulus = /<Modulus>([^<]+)<\/Modulus>/.exec(xml)?.[1];
  const exponent = /<Exponent>([^<]+)<\/Exponent>/.exec(xml)?.[1];
  if (!modulus || !exponent) throw new Error('the public key is not an <RSAKeyValue> with a Modulus and an Exponent');
  return { kty: 'RSA', n: base64url(modulus), e: base64url(exponent) };
}

/** A problem with the signed card as Outlook's debugger words it, or undefined when it verifies for this mail and recipient. */
export async function signatureProblem(
  jws: string,
  payload: SignedPayload,
  check: { publicKeyRsaXml: string | undefined; from: string; recipient: string; nowSeconds: number },
): Promise<string | undefined> {
  if (!check.publicKeyRsaXml) return 'Adaptive card signature validation failed - the provider has no public key registered.';
  try {
    const key = await importJWK(rsaXmlToJwk(check.publicKeyRsaXml), 'RS256');
    await compactVerify(jws, key, { algorithms: ['RS256'] });
  } catch {
    return 'Adaptive card signature validation failed - Failed to validate signature.';
  }
  if (!payload.sender) return 'The signed card has no sender.';
  if (payload.sender !== check.from.toLowerCase())
    return `The signed card's sender ${payload.sender} is not the mail's sender ${check.from}.`;
  if (payload.iat === undefined) return 'The signed card has no iat.';
  // A little room for the sender's clock; a card signed for later is not one this mail was sent with.
  if (payload.iat > check.nowSeconds + 300) return `The signed card's iat (${payload.iat}) is in the future.`;
  if (!payload.recipients.includes(check.recipient.toLowerCase()))
    return `${check.recipient} is not among the signed card's recipients (recipientsSerialized).`;
  return undefined;
}
