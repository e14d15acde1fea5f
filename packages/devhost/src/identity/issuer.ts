import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { SignInPages } from './signIn.js';

export const IDENTITY_PATH = '/devhost/identity';

export interface TokenRequest {
  tenant: string;
  user: string;
  roles: string[];
  audience: string;
  /** Seconds until expiry; negative mints an already expired token (for tests). */
  expiresIn?: number;
  name?: string;
  /** The user's object id; derived from tenant and user when absent. */
  oid?: string;
  /** The app the token was issued to (`azp`): the signing-in client, or the token CLI. */
  clientId?: string;
}

/** An application token (client credentials grant): no user, the app's permissions as roles. */
export interface AppTokenRequest {
  tenant: string;
  clientId: string;
  audience: string;
  roles?: string[];
  /** Seconds until expiry; Entra's default for app tokens when absent. */
  expiresIn?: number;
}

/**
 * A token one app gets to call another's API for a signed-in user (delegated): what Outlook's Actions
 * service sends a provider's action endpoint. `azp` is the calling app, `scp` the API's scope.
 */
export interface DelegatedTokenRequest {
  tenant: string;
  user: string;
  oid?: string;
  audience: string;
  clientId: string;
  scope?: string;
  /** Seconds until expiry; an hour when absent. */
  expiresIn?: number;
}

/** Application permissions every app token carries: what a messaging daemon is consented to in a tenant. */
export const APP_ROLES = ['User.Read.All', 'GroupMember.Read.All', 'Reports.Read.All', 'TeamsActivity.Send'];
const APP_TOKEN_LIFETIME = 3599;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A token this issuer did not sign for the tenant it names. */
export class TokenRejected extends Error {
  readonly code = 'ERR_TOKEN_REJECTED';
}

interface KeyFile {
  kid: string;
  privateJwk: JWK;
}

/**
 * A stable GUID per (tenant, user), so a user keeps one object id across tokens. Directories served by the
 * stand-ins use it for their users' ids, so a token's `oid` names the same user as the directory does.
 */
export const objectId = (tenant: string, user: string) => {
  const h = createHash('sha256').update(`${tenant}\u0000${user.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/**
 * A stand-in for the Microsoft Entra token issuer (login.microsoftonline.com cannot be reached here): an
 * OpenID discovery document per tenant and a JWKS on the host's own port, and Entra-shaped v2.0 access
 * tokens (RS256, `tid`, `oid`, `roles`, `preferred_username`) minted on request. Apps verify them exactly as
 * they verify Entra's, from the issuer and JWKS URLs in their settings.
 */
export class IdentityIssuer {
  readonly #verified = new Map<string, JWTPayload & { tid: string }>();
  /** Browser sign-in: the authorization endpoint's page and its codes (signIn.ts). */
  readonly signIn = new SignInPages();
  private constructor(
    private readonly kid: string,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
    private readonly publicKey: CryptoKey,
  ) {}

  /** Loads the signing key from `stateFile` (so tokens outlive a restart), or makes one. */
  static async create(stateFile?: string): Promise<IdentityIssuer> {
    let file: KeyFile | undefined;
    if (stateFile && existsSync(stateFile)) file = JSON.parse(readFileSync(stateFile, 'utf8')) as KeyFile;
    if (!file) {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      file = { kid: randomUUID(), privateJwk: await exportJWK(privateKey) };
      if (stateFile) {
        mkdirSync(dirname(stateFile), { recursive: true });
        writeFileSync(stateFile, JSON.stringify(file), { mode: 0o600 });
      }
    }
    const privateKey = (await importJWK(file.privateJwk, 'RS256')) as CryptoKey;
    const { kty, n, e } = file.privateJwk;
    const publicJwk: JWK = { kty, n, e, kid: file.kid, use: 'sig', alg: 'RS256' };
    return new IdentityIssuer(file.kid, privateKey, publicJwk, (await importJWK(publicJwk, 'RS256')) as CryptoKey);
  }

  issuer(origin: string, tenant: string): string {
    // As Entra's multi-tenant discovery says it: the tenant of each token is its own tid.
    const segment = /^(organizations|common)$/i.test(tenant) ? '{tenantid}' : tenant;
    return `${origin}${IDENTITY_PATH}/${segment}/v2.0`;
  }

  jwksUri(origin: string): string {
    return `${origin}${IDENTITY_PATH}/discovery/v2.0/keys`;
  }

  /**
   * A v2.0 access token for `r.user`, issued at `at` (epoch ms): the admin API issues at the host's clock, so
   * under a test clock a token minted now is fresh to the app, which judges expiry at that clock.
   */
  async mint(origin: string, r: TokenRequest, at = Date.now()): Promise<{ token: string; expiresOn: string }> {
    const now = Math.floor(at / 1000);
    const exp = now + (r.expiresIn ?? 3600);
    const oid = r.oid ?? objectId(r.tenant, r.user);
    const token = await new SignJWT({
      tid: r.tenant,
      oid,
      preferred_username: r.user,
      name: r.name ?? r.user.split('@')[0],
      roles: r.roles,
      azp: r.clientId ?? 'devhost-token-cli',
      ver: '2.0',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setIssuer(this.issuer(origin, r.tenant))
      .setAudience(r.audience)
      .setSubject(oid)
      .setIssuedAt(Math.min(now, exp - 1))
      .setNotBefore(Math.min(now, exp - 1))
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expiresOn: new Date(exp * 1000).toISOString() };
  }

  /**
   * A delegated v2.0 token for `r.user`, for the API `r.audience`, obtained by the app `r.clientId`, issued
   * at `at` (epoch ms): a stand-in that lives on the host's clock (Outlook) issues at that clock's time.
   */
  async mintDelegated(origin: string, r: DelegatedTokenRequest, at = Date.now()): Promise<{ token: string; expiresOn: string }> {
    const now = Math.floor(at / 1000);
    const exp = now + (r.expiresIn ?? 3600);
    const oid = r.oid ?? objectId(r.tenant, r.user);
    const token = await new SignJWT({
      tid: r.tenant,
      oid,
      preferred_username: r.user,
      name: r.user.split('@')[0],
      azp: r.clientId,
      azpacr: '0',
      ...(r.scope ? { scp: r.scope } : {}),
      ver: '2.0',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setIssuer(this.issuer(origin, r.tenant))
      .setAudience(r.audience)
      // Entra's sub is pairwise (one per app), unlike oid.
      .setSubject(createHash('sha256').update(`${r.audience}\u0000${oid}`).digest('base64url').slice(0, 43))
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expiresOn: new Date(exp * 1000).toISOString() };
  }

  /**
   * An application (client credentials) token, shaped as Entra issues one for a daemon app: no user, `idtyp`
   * `app`, `appid`/`azp` the client id, and the application permissions in `roles`.
   */
  async mintApp(origin: string, r: AppTokenRequest): Promise<{ token: string; expiresIn: number }> {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = r.expiresIn ?? APP_TOKEN_LIFETIME;
    const oid = objectId(r.tenant, `app:${r.clientId}`);
    const token = await new SignJWT({
      tid: r.tenant,
      oid,
      appid: r.clientId,
      azp: r.clientId,
      idtyp: 'app',
      roles: r.roles ?? APP_ROLES,
      ver: '2.0',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setIssuer(this.issuer(origin, r.tenant))
      .setAudience(r.audience)
      .setSubject(oid)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expiresIn };
  }

  /**
   * Checks that this issuer signed `token` for the tenant it names and that it has not expired (real time:
   * tokens are minted in real time), and returns its claims. Throws a `jose` error (with its `code`) otherwise.
   */
  async verify(origin: string, token: string): Promise<JWTPayload & { tid: string }> {
    // An app sends the same token with every call for an hour: its signature is checked once.
    const known = this.#verified.get(token);
    if (known && (known.exp ?? 0) * 1000 > Date.now()) return known;
    const { payload } = await jwtVerify(token, this.publicKey, { algorithms: ['RS256'] });
    const tid = typeof payload.tid === 'string' ? payload.tid : '';
    if (!tid || payload.iss !== this.issuer(origin, tid))
      throw new TokenRejected(`the token's issuer is not ${this.issuer(origin, tid || '{tid}')}`);
    const claims = { ...payload, tid };
    this.#verified.set(token, claims);
    if (this.#verified.size > 10_000) this.#verified.delete(this.#verified.keys().next().value!);
    return claims;
  }

  /**
   * Serves discovery (`/{tenant}/v2.0/.well-known/openid-configuration`), the JWKS, and the OAuth 2.0 token
   * endpoint for the client credentials grant (`POST /{tenant}/oauth2/v2.0/token`).
   */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, origin: string): boolean {
    const rest = url.pathname.slice(IDENTITY_PATH.length);
    const send = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'max-age=60' }).end(JSON.stringify(body));
    const authorize = /^\/([^/]+)\/oauth2\/v2\.0\/authorize$/.exec(rest);
    if (authorize && (req.method === 'GET' || req.method === 'POST')) {
      void this.signIn.authorize(req, res, url, decodeURIComponent(authorize[1]!), origin).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(error.message);
      });
      return true;
    }
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(rest);
    if (token && req.method === 'POST') {
      void this.#tokenEndpoint(req, res, decodeURIComponent(token[1]!), origin);
      return true;
    }
    if (req.method !== 'GET') return false;
    if (rest === '/discovery/v2.0/keys') {
      send({ keys: [this.publicJwk] });
      return true;
    }
    const m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(rest);
    if (m) {
      const issuer = this.issuer(origin, m[1]!);
      send({
        issuer,
        jwks_uri: this.jwksUri(origin),
        authorization_endpoint: `${origin}${IDENTITY_PATH}/${m[1]!}/oauth2/v2.0/authorize`,
        token_endpoint: `${origin}${IDENTITY_PATH}/${m[1]!}/oauth2/v2.0/token`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'token'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        grant_types_supported: ['authorization_code', 'client_credentials'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        subject_types_supported: ['pairwise'],
        tenant_region_scope: null,
      });
      return true;
    }
    return false;
  }

  async #tokenEndpoint(req: IncomingMessage, res: ServerResponse, tenant: string, origin: string): Promise<void> {
    const fail = (status: number, error: string, description: string): void =>
      void res
        .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
        .end(JSON.stringify({ error, error_description: description }));
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const grant = form.get('grant_type');
      if (grant === 'authorization_code') return void (await this.#redeemCode(res, form, tenant, origin, fail));
      if (!GUID.test(tenant)) return fail(400, 'invalid_request', `the tenant in the path must be a tenant id (GUID), got "${tenant}"`);
      if (!grant) return fail(400, 'invalid_request', "the request body must contain 'grant_type'");
      if (grant !== 'client_credentials')
        return fail(
          400,
          'unsupported_grant_type',
          `grant_type "${grant}" is not supported here: use client_credentials or authorization_code`,
        );
      for (const field of ['client_id', 'client_secret', 'scope'])
        if (!form.get(field)) return fail(400, 'invalid_request', `the request body must contain '${field}'`);
      const scope = form.get('scope')!.trim();
      if (!/^\S+\/\.default$/.test(scope))
        return fail(400, 'invalid_scope', `scope "${scope}" is not valid for client credentials: use <resource>/.default`);
      const { token, expiresIn } = await this.mintApp(origin, {
        tenant,
        clientId: form.get('client_id')!,
        audience: scope.slice(0, -'/.default'.length),
      });
      res
        .writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
        .end(JSON.stringify({ token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token }));
    } catch (error) {
      if (!res.headersSent) fail(500, 'server_error', (error as Error).message);
    }
  }

  /**
   * The authorization-code grant of a browser sign-in (signIn.ts): an access token for the resource the scope
   * names (`api://herald/.default` → `api://herald`) with the person's tid, oid and roles, and an ID token for
   * the client when `openid` was asked for. The tenant in the path must be the person's or organizations/common.
   */
  async #redeemCode(
    res: ServerResponse,
    form: URLSearchParams,
    tenant: string,
    origin: string,
    fail: (status: number, error: string, description: string) => void,
  ): Promise<void> {
    const redeemed = this.signIn.redeem(form);
    if (!redeemed.ok) return fail(400, redeemed.error, redeemed.description);
    const { person, roles, clientId, scope, nonce } = redeemed.value;
    if (!/^(organizations|common)$/i.test(tenant) && tenant.toLowerCase() !== person.tenantId.toLowerCase())
      return fail(400, 'invalid_grant', `the code was issued for tenant ${person.tenantId}, not ${tenant}`);
    const scopes = scope.split(/\s+/).filter(Boolean);
    const resource = scopes.find((s) => !['openid', 'profile', 'email', 'offline_access'].includes(s));
    if (!resource) return fail(400, 'invalid_scope', 'the scope names no resource: ask for <resource>/.default or <resource>/<scope>');
    const audience = resource.slice(0, resource.lastIndexOf('/')) || resource;
    const expiresIn = 3600;
    const { token } = await this.mint(origin, {
      tenant: person.tenantId,
      user: person.upn,
      name: person.name,
      oid: person.oid,
      roles,
      audience,
      expiresIn,
      clientId,
    });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope,
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: token,
    };
    if (scopes.includes('openid')) {
      const now = Math.floor(Date.now() / 1000);
      body.id_token = await new SignJWT({
        tid: person.tenantId,
        oid: person.oid,
        preferred_username: person.upn,
        name: person.name,
        ver: '2.0',
        ...(nonce ? { nonce } : {}),
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
        .setIssuer(this.issuer(origin, person.tenantId))
        .setAudience(clientId)
        .setSubject(person.oid)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + expiresIn)
        .sign(this.privateKey);
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  }
}
