/**
 * Verifies the bearer token of an Outlook action request: RS256 only, the signature against the issuer's
 * key picked by `kid` (fetched from the JWKS setting, kept, and fetched again for an unknown `kid`), then
 * the claim rules of core/actionToken.ts. On Azure the keys are Entra's; under devhost its stand-in
 * issuer's — this module cannot tell them apart.
 */
import { compactVerify, createRemoteJWKSet, decodeProtectedHeader, errors, type JWTVerifyGetKey } from 'jose';
import { ActionTokenRejected, checkActionClaims, checkAlgorithm, type ActionActor } from '../../core/actionToken.js';
import { addressOf, OutsideCallFailed } from './outsideCalls.js';
import { actionableSettings } from './settings.js';

export interface ActionTokenValidatorDeps {
  /** The key for a token's header (a JWKS fetched by kid); `tenantId` fills the JWKS setting's `{tenantid}`. */
  keysFor(tenantId: string): JWTVerifyGetKey;
  /** Where those keys come from, for the error when they cannot be fetched. */
  jwksAddress(tenantId: string): string;
  issuers(): readonly string[];
  scopes(): readonly string[];
  now(): number;
}

export interface ActionBinding {
  /** The tenant the message was sent in. */
  tenantId: string;
  /** The provider's AppIdUri and Entra app id. */
  audiences: readonly string[];
}

/** The token of `Authorization`, or of `Action-Authorization` when the card asked for that header instead. */
export function bearerOf(headers: { get(name: string): string | null }): string | undefined {
  const value = headers.get('action-authorization') || headers.get('authorization') || '';
  return /^Bearer +([A-Za-z0-9_.-]+)\s*$/i.exec(value)?.[1];
}

export function createActionTokenValidator(deps: ActionTokenValidatorDeps) {
  return {
    /** Who acted, or ActionTokenRejected (401) naming the first rule the token breaks. */
    async validate(token: string | undefined, binding: ActionBinding): Promise<ActionActor> {
      if (!token) throw new ActionTokenRejected('a bearer token is required');
      let header;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw new ActionTokenRejected('the token is malformed');
      }
      checkAlgorithm(header);
      let claims: Record<string, unknown>;
      try {
        const { payload } = await compactVerify(token, deps.keysFor(binding.tenantId), { algorithms: ['RS256'] });
        claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      } catch (error) {
        if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError)) {
          if (error instanceof SyntaxError) throw new ActionTokenRejected('the token payload is not JSON');
          throw new OutsideCallFailed('Action token signing keys (ACTIONABLE_TOKEN_JWKS_URI)', deps.jwksAddress(binding.tenantId), error);
        }
        if (error instanceof errors.JWKSNoMatchingKey)
          throw new ActionTokenRejected(`no trusted key has the token's kid ${String(header.kid)}`);
        throw new ActionTokenRejected('the token signature does not verify against the trusted keys');
      }
      return checkActionClaims(claims, {
        issuers: deps.issuers(),
        tenantId: binding.tenantId,
        audiences: binding.audiences,
        scopes: deps.scopes(),
        now: deps.now(),
      });
    },
  };
}

/** Entra rotates keys rarely and announces new ones early: keep a fetched set for days, refetch for an unknown kid. */
const KEY_CACHE_MS = 5 * 24 * 3600 * 1000;
const keySets = new Map<string, JWTVerifyGetKey>();

/** The validator on the app's settings and clock. */
const jwksUriFor = (tenantId: string) => actionableSettings().tokenJwksUri.replace('{tenantid}', encodeURIComponent(tenantId));

export function actionTokenValidator(now: () => number) {
  return createActionTokenValidator({
    keysFor(tenantId) {
      const uri = jwksUriFor(tenantId);
      let keys = keySets.get(uri);
      if (!keys) keySets.set(uri, (keys = createRemoteJWKSet(new URL(uri), { cacheMaxAge: KEY_CACHE_MS })));
      return keys;
    },
    jwksAddress: (tenantId) => addressOf(jwksUriFor(tenantId)),
    issuers: () => actionableSettings().tokenIssuers,
    scopes: () => actionableSettings().tokenScopes,
    now,
  });
}
