/**
 * Limited-purpose tokens for the Action.Http buttons of the cards Herald sends: each button's URL is
 * Herald's action endpoint with a token that binds it to one send, one recipient and the provider URL the
 * action goes to, signed (HMAC-SHA256, a key derived from CLICK_LINK_SECRET) so it cannot be made or
 * changed by anyone who reads the mail. Single use is the action store's job (a conditional insert of the
 * token's hash); an auto-invoke (refresh on open) token may be used on every open.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { publicBaseUrl } from './clickLinks.js';
import { clickLinkSecret } from './settings.js';

export const ACTION_ROUTE = 'actionable/actions';

export interface ActionLink {
  tenantId: string;
  sendId: string;
  /** The recipient the mail went to, lower-cased: only they may act. */
  recipient: string;
  /** The provider URL the action is relayed to. */
  url: string;
  method: 'GET' | 'POST';
  /** `refresh`: the card's autoInvokeAction, called on every open; `click`: a button, acting once. */
  kind: 'click' | 'refresh';
}

const Claims = z.object({
  t: z.string(),
  s: z.string(),
  r: z.string(),
  u: z.string(),
  m: z.enum(['GET', 'POST']),
  k: z.enum(['click', 'refresh']),
  n: z.string(),
});

export class InvalidActionLink extends Error {}

const keyOf = () => createHmac('sha256', clickLinkSecret()).update('herald actionable action links').digest();
const mac = (payload: string) => createHmac('sha256', keyOf()).update(payload).digest().subarray(0, 18);

/** A token for one button of one recipient's card; a fresh nonce each time, so no two buttons share one. */
export function actionToken(link: ActionLink): string {
  const claims: z.input<typeof Claims> = {
    t: link.tenantId,
    s: link.sendId,
    r: link.recipient.toLowerCase(),
    u: link.url,
    m: link.method,
    k: link.kind,
    n: randomBytes(9).toString('base64url'),
  };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${mac(payload).toString('base64url')}`;
}

/** Herald's action endpoint for the token: what the card's button calls. */
export const actionUrl = (token: string) => `${publicBaseUrl()}/api/${ACTION_ROUTE}/${token}`;

/** What a token stands for; throws InvalidActionLink when it is not one Herald made. */
export function readActionToken(token: string): ActionLink {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) throw new InvalidActionLink('the action token is malformed');
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new InvalidActionLink('the action token is not signed by Herald');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidActionLink('the action token is malformed');
  }
  const claims = Claims.safeParse(raw);
  if (!claims.success) throw new InvalidActionLink('the action token is malformed');
  const { t, s, r, u, m, k } = claims.data;
  return { tenantId: t, sendId: s, recipient: r, url: u, method: m, kind: k };
}
