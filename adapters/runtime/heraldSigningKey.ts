/**
 * Herald's own key pair for signing what it relays to providers (a JWS each provider verifies with the
 * keys `GET /api/actionable/keys` publishes). The private key is a setting, ACTIONABLE_SIGNING_KEY (PKCS#8
 * PEM or a private JWK; a Key Vault reference on Azure). In Development an unset key is made at start,
 * which is enough for one local host; elsewhere an unset key turns actionable email off, saying so.
 */
import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, importPKCS8, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { actionableSettings, isDevelopment, SettingsError } from './settings.js';

interface Loaded {
  source: string | undefined;
  key: Promise<{ privateKey: CryptoKey; publicJwk: JWK }>;
}
let loaded: Loaded | undefined;

async function load(source: string | undefined) {
  let privateKey: CryptoKey;
  let publicJwk: JWK;
  if (source === undefined) {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = await exportJWK(pair.publicKey);
  } else if (source.trim().startsWith('{')) {
    const jwk = JSON.parse(source) as JWK;
    privateKey = (await importJWK(jwk, 'RS256')) as CryptoKey;
    publicJwk = { kty: 'RSA', n: jwk.n, e: jwk.e };
  } else {
    privateKey = await importPKCS8(source, 'RS256', { extractable: true });
    const { n, e } = await exportJWK(privateKey);
    publicJwk = { kty: 'RSA', n, e };
  }
  // The kid is the key's own thumbprint, so every instance with the same key names it the same.
  const kid = createHash('sha256').update(`${publicJwk.n}.${publicJwk.e}`).digest('base64url').slice(0, 16);
  return { privateKey, publicJwk: { ...publicJwk, kid, use: 'sig', alg: 'RS256' } };
}

function signingKey() {
  const { signingKey: source } = actionableSettings();
  if (source === undefined && !isDevelopment())
    throw new SettingsError(
      [
        {
          setting: 'ACTIONABLE_SIGNING_KEY',
          problem: 'is not set',
          fix: 'an RSA private key as PKCS#8 PEM or a private JWK',
          scope: 'actionable',
        },
      ],
      'actionable email cannot be sent or its actions relayed',
    );
  if (!loaded || loaded.source !== source) loaded = { source, key: load(source) };
  return loaded.key;
}

/** The public keys providers verify Herald's relayed actions with, as a JWKS. */
export async function publishedKeys(): Promise<{ keys: JWK[] }> {
  return { keys: [(await signingKey()).publicJwk] };
}

/** A compact JWS (RS256, Herald's kid) over `claims`, valid for `lifetimeS` seconds from `now` (epoch ms). */
export async function signForProvider(claims: JWTPayload, now: number, lifetimeS = 300): Promise<string> {
  const { privateKey, publicJwk } = await signingKey();
  const iat = Math.floor(now / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: publicJwk.kid! })
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeS)
    .sign(privateKey);
}
