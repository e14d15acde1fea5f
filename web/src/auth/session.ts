/**
 * Who is signed in, behind one small interface with two implementations: MSAL Browser against Entra
 * (msalSession.ts), and a plain OpenID Connect authorization-code + PKCE flow (oidcSession.ts) for devhost's
 * identity stand-in, which MSAL refuses because it is served over http. Both redirect the whole page.
 */
export interface Account {
  name: string;
  username: string;
  userId: string;
  tenantId: string;
  /** The API's app roles, from the access token: what the console shows; the API decides what is allowed. */
  roles: string[];
}

export interface Session {
  /** Finishes a sign-in the page came back from; the account, or none when nobody is signed in. */
  start(): Promise<Account | undefined>;
  signIn(): Promise<void>;
  signOut(): Promise<void>;
  /** A current access token for Herald's API, renewed by signing in again when it has run out. */
  accessToken(): Promise<string>;
}

export interface ConsoleConfig {
  authority: string;
  protocol: 'entra' | 'oidc';
  clientId: string;
  scopes: string[];
}

/** The claims of a JWT, unverified: the console only reads them to decide what to show. */
export function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
}

export function accountOf(accessToken: string): Account {
  const c = claimsOf(accessToken);
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    name: text(c.name) || text(c.preferred_username),
    username: text(c.preferred_username),
    userId: text(c.oid),
    tenantId: text(c.tid),
    roles: Array.isArray(c.roles) ? c.roles.filter((r): r is string => typeof r === 'string') : [],
  };
}

/** Where the page was when sign-in began, to come back to it. */
export const RETURN_TO = 'herald.returnTo';

export async function createSession(config: ConsoleConfig): Promise<Session> {
  if (config.protocol === 'entra') return (await import('./msalSession')).createMsalSession(config);
  return (await import('./oidcSession')).createOidcSession(config);
}
