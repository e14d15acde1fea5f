/**
 * The rules for the bearer token Outlook sends with an Action.Http (an Entra ID access token, v1 or v2),
 * once its signature has been checked against the issuer's key for its `kid`
 * (adapters/runtime/actionTokenValidator.ts): issuer, tenant, audience, the Actions client, scope, lifetime
 * and who acted. Pure: the claims and the time come in as values. The acting user is `upn` or
 * `preferred_username`, never `sub`, which is a pairwise id in Entra tokens.
 */

/** The Entra app Outlook's action requests are made by; pre-authorized by every provider for its scope. */
export const ACTIONS_APP_ID = '48af08dc-f6d2-435f-b2a7-069abd99c086';

/** Clock skew allowed on `exp` and `nbf`, as the official validator allows. */
export const CLOCK_SKEW_S = 300;

/** Actions on a message older than this are refused: Outlook itself blocks them after a month. */
export const ACTION_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** A token that does not prove an allowed user acted; `reason` is for logs, `status` for the answer. */
export class ActionTokenRejected extends Error {
  constructor(
    readonly reason: string,
    readonly status: 401 | 403 = 401,
  ) {
    super(reason);
  }
}

export interface ActionTokenExpectations {
  /** Issuers with `{tenantid}` where the tenant goes: the v1 (`https://sts.windows.net/{tenantid}/`) and v2 forms. */
  issuers: readonly string[];
  /** The tenant the action's message was sent in: `tid` is pinned to it. */
  tenantId: string;
  /** The provider's AppIdUri (v1 tokens) and its Entra app id (v2 tokens). */
  audiences: readonly string[];
  /** Scopes the provider exposed; `scp` must hold one of them (any, when none is configured). */
  scopes: readonly string[];
  /** Epoch ms. */
  now: number;
}

export interface ActionActor {
  /** The acting user's sign-in name, lower-cased. */
  upn: string;
  tenantId: string;
  /** The user's object id: with `tenantId`, the stable key. */
  oid?: string;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** Only RS256: a token with `none`, an HMAC or any other algorithm is refused before its signature is looked at. */
export function checkAlgorithm(header: { alg?: unknown; kid?: unknown }): void {
  if (header.alg !== 'RS256') throw new ActionTokenRejected(`the token's alg is ${String(header.alg ?? 'missing')}, not RS256`);
  if (typeof header.kid !== 'string' || !header.kid) throw new ActionTokenRejected('the token has no kid to find its signing key by');
}

/** Checks the claims of a token whose signature verified; returns who acted, or throws ActionTokenRejected. */
export function checkActionClaims(claims: Record<string, unknown>, expect: ActionTokenExpectations): ActionActor {
  const tid = str(claims.tid);
  if (!tid) throw new ActionTokenRejected('the token has no tid');
  const iss = str(claims.iss);
  if (!iss || !expect.issuers.some((template) => template.replace('{tenantid}', tid) === iss))
    throw new ActionTokenRejected(`the token's issuer ${iss ?? '(none)'} is not a trusted Entra issuer for its tenant`);
  if (tid.toLowerCase() !== expect.tenantId.toLowerCase())
    throw new ActionTokenRejected(`the token's tenant ${tid} is not the tenant the message was sent in`);
  const aud = claims.aud;
  const auds = Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : str(aud) ? [aud as string] : [];
  if (!auds.some((a) => expect.audiences.includes(a)))
    throw new ActionTokenRejected(`the token's audience ${auds.join(', ') || '(none)'} is not the provider's AppIdUri or app id`);
  const client = str(claims.azp) ?? str(claims.appid);
  if (client?.toLowerCase() !== ACTIONS_APP_ID)
    throw new ActionTokenRejected(`the token's client ${client ?? '(none)'} is not the Outlook Actions app ${ACTIONS_APP_ID}`);
  const scp = (str(claims.scp) ?? '').split(' ').filter(Boolean);
  if (scp.length === 0 || (expect.scopes.length > 0 && !scp.some((s) => expect.scopes.includes(s))))
    throw new ActionTokenRejected(`the token's scp ${scp.join(' ') || '(none)'} does not hold the provider's scope`);
  const nowS = expect.now / 1000;
  const exp = claims.exp;
  if (typeof exp !== 'number') throw new ActionTokenRejected('the token has no exp');
  if (exp + CLOCK_SKEW_S < nowS) throw new ActionTokenRejected('the token has expired');
  const nbf = claims.nbf;
  if (typeof nbf === 'number' && nbf - CLOCK_SKEW_S > nowS) throw new ActionTokenRejected('the token is not valid yet');
  const upn = str(claims.upn) ?? str(claims.preferred_username);
  if (!upn) throw new ActionTokenRejected('the token names no user (upn or preferred_username)');
  const oid = str(claims.oid);
  return { upn: upn.toLowerCase(), tenantId: tid, ...(oid ? { oid } : {}) };
}

/** The answers Outlook shows in the card (CARD-ACTION-STATUS): specific, never the actor's name or the time. */
export const ACTION_STATUS = {
  unverified: "We couldn't verify this request. Open the message in Herald instead.",
  notRecipient: 'This action is only available to the original recipient.',
  unknownAction: 'This action is no longer available.',
  tooOld: 'Actions on this message have expired: it is more than a month old.',
  providerFailed: 'The service behind this action did not answer. Please try again later.',
  providerRefused: 'The service behind this action refused it.',
  cardStripped: 'This message has no actions.',
} as const;
