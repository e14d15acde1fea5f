import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';

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
}

interface KeyFile {
  kid: string;
  privateJwk: JWK;
}

/** A stable GUID per (tenant, user), so a user keeps one object id across tokens. */
const objectId = (tenant: string, user: string) => {
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
  private constructor(
    private readonly kid: string,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
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
    return new IdentityIssuer(file.kid, privateKey, { kty, n, e, kid: file.kid, use: 'sig', alg: 'RS256' });
  }

  issuer(origin: string, tenant: string): string {
    return `${origin}${IDENTITY_PATH}/${tenant}/v2.0`;
  }

  jwksUri(origin: string): string {
    return `${origin}${IDENTITY_PATH}/discovery/v2.0/keys`;
  }

  async mint(origin: string, r: TokenRequest): Promise<{ token: string; expiresOn: string }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + (r.expiresIn ?? 3600);
    const oid = r.oid ?? objectId(r.tenant, r.user);
    const token = await new SignJWT({
      tid: r.tenant,
      oid,
      preferred_username: r.user,
      name: r.name ?? r.user.split('@')[0],
      roles: r.roles,
      azp: 'devhost-token-cli',
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

  /** Serves discovery (`/{tenant}/v2.0/.well-known/openid-configuration`) and the JWKS. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, origin: string): boolean {
    const rest = url.pathname.slice(IDENTITY_PATH.length);
    const send = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'max-age=60' }).end(JSON.stringify(body));
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
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${origin}/admin/devhost/identity/token`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'token'],
        subject_types_supported: ['pairwise'],
        tenant_region_scope: null,
      });
      return true;
    }
    return false;
  }
}
