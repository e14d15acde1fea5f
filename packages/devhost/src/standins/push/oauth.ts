/**
 * Google's OAuth 2.0 token endpoint (`POST https://oauth2.googleapis.com/token`) for the one dev service
 * account: it takes the JWT-bearer grant that firebase-admin's `cert()` credential sends (an RS256 JWT
 * signed with the account's private key) and issues an access token for FCM. Errors are Google's
 * `{"error","error_description"}` answers, which the library turns into its own message.
 *
 * Access tokens are self-contained (the account, the project and the expiry, with an HMAC keyed by the
 * account's private key), so a token issued before devhost restarted stays valid, as Google's do.
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { realSeconds, type Answer } from './http.js';
import type { ServiceAccount } from './material.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The audiences Google accepts for the grant; firebase-admin (google-auth-library) uses the first. */
const AUDIENCES = [
  'https://oauth2.googleapis.com/token',
  'https://www.googleapis.com/oauth2/v4/token',
  'https://accounts.google.com/o/oauth2/token',
];
/** Either scope lets a token send FCM messages. */
const FCM_SCOPES = ['https://www.googleapis.com/auth/firebase.messaging', 'https://www.googleapis.com/auth/cloud-platform'];
export const ACCESS_TOKEN_SECONDS = 3600;
/** Google refuses assertions that live longer than an hour, or whose times are far from its own. */
const MAX_ASSERTION_SECONDS = 3600;
const CLOCK_SKEW_SECONDS = 300;

const oauthError = (error: string, description: string): Answer => ({ status: 400, body: { error, error_description: description } });

export interface AccessGrant {
  clientEmail: string;
  projectId: string;
  /** Seconds since the epoch. */
  expires: number;
}

export class AccessTokens {
  readonly #key: Buffer;

  constructor(private readonly account: ServiceAccount) {
    this.#key = createHmac('sha256', 'devhost push stand-in access tokens').update(account.private_key).digest();
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }

  issue(now: number): string {
    const grant: AccessGrant = {
      clientEmail: this.account.client_email,
      projectId: this.account.project_id,
      expires: now + ACCESS_TOKEN_SECONDS,
    };
    const payload = Buffer.from(JSON.stringify(grant)).toString('base64url');
    // Google's access tokens start with ya29.; some tools look for it.
    return `ya29.devhost.${payload}.${this.#mac(payload)}`;
  }

  /** The grant a bearer token carries, or a reason it is not valid now. */
  verify(token: string, now: number): AccessGrant | string {
    const m = /^ya29\.devhost\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
    if (!m) return 'not an access token issued by this stand-in';
    const expected = Buffer.from(this.#mac(m[1]!));
    const given = Buffer.from(m[2]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return 'the access token was not issued for this service account';
    const grant = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as AccessGrant;
    if (grant.expires <= now) return 'the access token has expired';
    return grant;
  }
}

/** Answers a token request whose body (form-encoded) was read already. */
export async function tokenEndpoint(body: Buffer, account: ServiceAccount, publicKey: KeyObject, tokens: AccessTokens): Promise<Answer> {
  const form = new URLSearchParams(body.toString('utf8'));
  const grantType = form.get('grant_type');
  if (grantType !== JWT_BEARER) return oauthError('unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
  const assertion = form.get('assertion');
  if (!assertion) return oauthError('invalid_request', 'Missing required parameter: assertion');

  let claims: ReturnType<typeof decodeJwt>;
  try {
    decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    return oauthError('invalid_grant', 'Invalid JWT: the assertion is not a JWT.');
  }
  if (claims.iss !== account.client_email) return oauthError('invalid_grant', 'Invalid grant: account not found');
  try {
    await jwtVerify(assertion, publicKey, { algorithms: ['RS256'] });
  } catch {
    return oauthError('invalid_grant', 'Invalid JWT Signature.');
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((a) => a !== undefined && AUDIENCES.includes(a)))
    return oauthError('invalid_grant', `Invalid JWT: Failed audience check. The right audience is ${AUDIENCES[0]}`);
  const now = realSeconds();
  const { iat, exp } = claims;
  if (
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    exp - iat > MAX_ASSERTION_SECONDS ||
    exp <= now - CLOCK_SKEW_SECONDS ||
    iat > now + CLOCK_SKEW_SECONDS
  )
    return oauthError(
      'invalid_grant',
      'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
    );
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(/\s+/) : [];
  if (!scopes.some((s) => FCM_SCOPES.includes(s)))
    return oauthError('invalid_scope', `The scope must include ${FCM_SCOPES[0]} (or ${FCM_SCOPES[1]}) to send FCM messages.`);
  return {
    status: 200,
    headers: { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' },
    body: { access_token: tokens.issue(now), expires_in: ACCESS_TOKEN_SECONDS, token_type: 'Bearer' },
  };
}
