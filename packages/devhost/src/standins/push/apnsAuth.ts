/**
 * APNs token-based authentication: the provider token is an ES256 JWT with header `kid` = the key id and
 * claims `iss` = the team id and `iat`, signed with the .p8 key. APNs refuses a token older than an hour
 * (`ExpiredProviderToken`, which node-apn answers by signing a new one and retrying) and any token that
 * does not verify against the key it names (`InvalidProviderToken`).
 */
import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';

export type ProviderTokenProblem = 'MissingProviderToken' | 'InvalidProviderToken' | 'ExpiredProviderToken';

/** APNs' limit on a provider token's age. */
const MAX_AGE_SECONDS = 3600;
/** A token signed a little in the future is a clock apart, not a forgery. */
const CLOCK_SKEW_SECONDS = 300;

export interface ApnsKey {
  keyId: string;
  teamId: string;
  publicKey: KeyObject;
}

/** Undefined when the request's `authorization` header carries a valid provider token for `key` at `now` (epoch seconds). */
export async function providerTokenProblem(
  authorization: string | undefined,
  key: ApnsKey,
  now: number,
): Promise<ProviderTokenProblem | undefined> {
  const m = /^bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) return 'MissingProviderToken';
  const jwt = m[1]!;
  let payload;
  try {
    const protectedHeader = decodeProtectedHeader(jwt);
    if (protectedHeader.alg !== 'ES256' || protectedHeader.kid !== key.keyId) return 'InvalidProviderToken';
    ({ payload } = await jwtVerify(jwt, key.publicKey, { algorithms: ['ES256'] }));
  } catch {
    return 'InvalidProviderToken';
  }
  if (payload.iss !== key.teamId || typeof payload.iat !== 'number' || payload.iat > now + CLOCK_SKEW_SECONDS)
    return 'InvalidProviderToken';
  if (now - payload.iat > MAX_AGE_SECONDS) return 'ExpiredProviderToken';
  return undefined;
}
