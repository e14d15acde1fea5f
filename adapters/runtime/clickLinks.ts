/**
 * Signed click-tracking links: `<base>/api/r/<token>`, where the token is a compact JWS (HS256, key from the
 * `CLICK_LINK_SECRET` setting) naming the tenant, message, occurrence, recipient, channel and destination.
 * The signature is the credential, so the redirect needs no sign-in and a link cannot be forged or
 * pointed somewhere else. The token carries no issue time: the same click target always gives the same
 * link, so following it twice counts once.
 */
import { createHash, createHmac, createSecretKey, webcrypto, type KeyObject } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { z } from 'zod';
import type { Channel } from '../../core/delivery.js';
import { clickLinkSecret, publicBaseUrlSetting, websiteHostname } from './settings.js';

export interface ClickLink {
  tenantId: string;
  messageId: string;
  occurrence: number;
  userId: string;
  /** Message channels only: a push notification's open is reported by the app, not through a link. */
  channel: Exclude<Channel, 'push' | 'actionable'>;
  /** Where the click goes (the message's call to action). */
  url: string;
}

const CHANNELS = ['inbox', 'teams', 'email'] as const satisfies readonly Channel[];
export const CLICK_ROUTE = 'r';

// Short claim names keep links short: they end up in emails and Teams cards.
const Claims = z
  .object({
    t: z.string().min(1),
    m: z.string().min(1),
    o: z.number().int().min(0),
    /** Empty only for Teams: a bulk notification carries one link for all its recipients. */
    u: z.string(),
    c: z.enum(CHANNELS),
    l: z.url({ protocol: /^https?$/ }),
  })
  .refine((c) => c.u !== '' || c.c === 'teams');

/** A token that is not one of ours: malformed, forged, or signed with another key. */
export class InvalidClickLink extends Error {}

// Keys are made once per secret, not per signature or check.
let key: { secret: string; sign: KeyObject; verify: Promise<webcrypto.CryptoKey> } | undefined;

function keys() {
  const value = clickLinkSecret();
  if (key?.secret !== value)
    key = {
      secret: value,
      sign: createSecretKey(Buffer.from(value, 'utf8')),
      verify: webcrypto.subtle.importKey('raw', new TextEncoder().encode(value), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']),
    };
  return key;
}

// The compact JWS jose's SignJWT makes for these claims, byte for byte (header {"alg":"HS256"}, payload the
// claims' JSON): the inbox signs a link per call to action on every request, and one synchronous HMAC costs
// a fraction of SignJWT's promise chain and copies. Checking stays with jose.
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');

/** Where Herald is reached from outside: `PUBLIC_BASE_URL`, else the Functions host name (http only for localhost). */
export function publicBaseUrl(): string {
  const configured = publicBaseUrlSetting();
  if (configured) return configured;
  const host = websiteHostname();
  if (!host) throw new Error('neither PUBLIC_BASE_URL nor WEBSITE_HOSTNAME is set: click links need Herald’s public address');
  return `${/^(localhost|127\.0\.0\.1)(:\d+)?$/i.test(host) ? 'http' : 'https'}://${host}`;
}

/** An absolute URL of Herald's click redirect that records the click and forwards to `link.url`. */
export async function clickUrl(link: ClickLink): Promise<string> {
  const claims: z.input<typeof Claims> = {
    t: link.tenantId,
    m: link.messageId,
    o: link.occurrence,
    u: link.userId,
    c: link.channel,
    l: link.url,
  };
  const signed = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = createHmac('sha256', keys().sign).update(signed).digest('base64url');
  return `${publicBaseUrl()}/api/${CLICK_ROUTE}/${signed}.${signature}`;
}

/** The link a token stands for; throws InvalidClickLink when it is not a token this app signed. */
export async function readClickToken(token: string): Promise<ClickLink> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, await keys().verify, { algorithms: ['HS256'] }));
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new InvalidClickLink('the link is not valid: its signature does not verify');
    throw error;
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) throw new InvalidClickLink('the link is not valid: it does not name a message, a recipient and a destination');
  const { t, m, o, u, c, l } = claims.data;
  return { tenantId: t, messageId: m, occurrence: o, userId: u, channel: c, url: l };
}

/** The idempotency key of following a link: the same token is the same click, however often it is followed. */
export const clickEventId = (token: string) => `link-${createHash('sha256').update(token).digest('base64url')}`;
