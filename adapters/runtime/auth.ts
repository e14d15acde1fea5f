/**
 * Who is calling: verifies an Entra v2.0 access token (`Authorization: Bearer …`) against the issuer and
 * JWKS named in the app settings, and turns its claims into a Caller. On Azure that is Microsoft Entra;
 * under devhost it is the stand-in issuer — this module cannot tell them apart.
 */
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Caller as RoleCaller } from '../../core/roles.js';
import { now } from './clock.js';
import { addressOf, OutsideCallFailed } from './outsideCalls.js';
import { authSettings, type AuthSettings } from './settings.js';

export type { AuthSettings } from './settings.js';

export interface Caller extends RoleCaller {
  /** The user's sign-in name (`preferred_username`), for audit trails people can read. */
  upn: string;
  name: string;
}

/** A request that carries no usable credential: the HTTP layer answers 401 with `reason` as the detail. */
export class Unauthenticated extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Seconds of clock skew allowed between the issuer and us; small, so an expired token stops working soon. */
const CLOCK_TOLERANCE_S = 30;

/** The three AUTH_ settings (adapters/runtime/settings.ts); throws naming each one that is wrong. */
export const authSettingsFromEnv = authSettings;

// The tenant id becomes part of every storage partition key (docs/storage.md), so it must not be able to
// carry a key separator (`:`) or a character Azure Tables refuses in keys.
const Claims = z.object({
  tid: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a tenant id'),
  oid: z.string().min(1),
  iss: z.string(),
  preferred_username: z.string().default(''),
  name: z.string().default(''),
  roles: z.array(z.string()).default([]),
});

/**
 * Verifies `authorization` (the header's value) and returns the caller, or throws Unauthenticated.
 * `keys` resolves the signing key; `at` is the time (epoch ms) expiry is judged at.
 */
export async function verifyBearer(
  authorization: string | null,
  settings: AuthSettings,
  keys: JWTVerifyGetKey,
  at: number,
): Promise<Caller> {
  const match = /^Bearer +([A-Za-z0-9_.-]+)\s*$/i.exec(authorization ?? '');
  if (!match)
    throw new Unauthenticated(authorization ? 'the Authorization header must be Bearer followed by a token' : 'a bearer token is required');
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(match[1]!, keys, {
      audience: settings.audience,
      algorithms: ['RS256'],
      requiredClaims: ['exp', 'tid', 'oid', 'iss'],
      currentDate: new Date(at),
      clockTolerance: CLOCK_TOLERANCE_S,
    }));
  } catch (error) {
    throw new Unauthenticated(reasonFor(error, settings.jwksUri));
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) throw new Unauthenticated(`the token's ${claims.error.issues[0]!.path.join('.')} claim is not valid`);
  const { tid, oid, iss, preferred_username, name, roles } = claims.data;
  // Multi-tenant validation: the issuer differs per tenant, so it is checked against the token's own tenant.
  if (iss !== settings.issuerTemplate.replace('{tenantid}', tid)) throw new Unauthenticated('the token was not issued by a trusted issuer');
  return { tenantId: tid, userId: oid, upn: preferred_username, name, roles };
}

function reasonFor(error: unknown, jwksUri: string): string {
  // An unreachable or broken key endpoint is our fault, not the caller's: let it surface as a 500 whose log
  // line says which endpoint.
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError))
    throw new OutsideCallFailed('Token signing keys (AUTH_JWKS_URI)', addressOf(jwksUri), error);
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'the token is not for this API (audience)';
    if (error.claim === 'nbf') return 'the token is not valid yet';
    return `the token's ${error.claim} claim is not valid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey)
    return 'the token signature does not verify against the trusted keys';
  return 'the token is malformed';
}

// One key set per JWKS URI for the life of the process: jose caches the keys and refetches on an unknown kid.
const keySets = new Map<string, JWTVerifyGetKey>();
const keysFor = (uri: string) => {
  let keys = keySets.get(uri);
  if (!keys) keySets.set(uri, (keys = createRemoteJWKSet(new URL(uri))));
  return keys;
};

// A device polls with the same token for up to an hour: its signature is checked once, and the verified
// caller kept until the token expires (bounded; the oldest entries go first).
const verified = new Map<string, { caller: Caller; until: number }>();
const VERIFIED_MAX = 50_000;

/** Verifies a request's Authorization header with the app's settings, at the app clock's time. */
export async function authenticate(authorization: string | null): Promise<Caller> {
  const at = now();
  const hit = authorization ? verified.get(authorization) : undefined;
  if (hit && at < hit.until) return hit.caller;
  const settings = authSettings();
  const caller = await verifyBearer(authorization, settings, keysFor(settings.jwksUri), at);
  const exp = (decodeJwt(authorization!.replace(/^Bearer +/i, '').trim()).exp ?? 0) * 1000;
  verified.delete(authorization!);
  verified.set(authorization!, { caller, until: exp });
  if (verified.size > VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  return caller;
}
