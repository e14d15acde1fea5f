/**
 * The push stand-in's key material, kept as files in one directory so that settings naming them stay valid
 * across restarts: a CA (what clients trust) and the TLS certificate it issued for the services' host names,
 * a Google service-account JSON (what firebase-admin's `cert()` signs its token requests with) and an APNs
 * .p8 signing key with its key id and team id. Whatever is missing or no longer usable is made anew; a
 * server certificate is re-issued by the existing CA when it can be, so a trusted CA file stays trusted.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, randomInt, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

/** Every name the server certificate answers for: the real services' hosts, so clients can keep them as TLS server names. */
export const SERVICE_HOSTS = ['fcm.googleapis.com', 'oauth2.googleapis.com', 'api.push.apple.com', 'api.sandbox.push.apple.com'];
const LOCAL_NAMES = ['localhost'];
const LOCAL_IPS = ['127.0.0.1'];

/** The project the dev service account belongs to; FCM requests must name it. */
export const DEV_PROJECT_ID = 'devhost-push';

const YEAR_MS = 365 * 24 * 3600 * 1000;
/** A certificate closer than this to its end is re-issued at start, so a long-lived state dir never serves an expired one. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

export interface ServiceAccount {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

export interface PushMaterial {
  dir: string;
  caFile: string;
  caPem: string;
  tls: { key: string; cert: string };
  fcm: { serviceAccountFile: string; serviceAccount: ServiceAccount; publicKey: KeyObject };
  apns: { keyFile: string; keyId: string; teamId: string; publicKey: KeyObject };
}

/** What a client needs to reach the stand-in: the answer of `GET /devhost/push/_control/connection`. */
export interface PushConnection {
  /** The TLS port on 127.0.0.1 serving FCM, Google's token endpoint and APNs. */
  port: number;
  /** The CA certificate (PEM file) that issued the server certificate: trust it, and only for these connections. */
  caFile: string;
  caPem: string;
  fcm: { projectId: string; serviceAccountFile: string };
  apns: { keyFile: string; keyId: string; teamId: string };
}

export function pushConnection(material: PushMaterial, port: number): PushConnection {
  return {
    port,
    caFile: material.caFile,
    caPem: material.caPem,
    fcm: { projectId: material.fcm.serviceAccount.project_id, serviceAccountFile: material.fcm.serviceAccountFile },
    apns: { keyFile: material.apns.keyFile, keyId: material.apns.keyId, teamId: material.apns.teamId },
  };
}

/** Written whole or not at all: a process killed mid-write, or a second process reading, never sees half a key. */
function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, file);
}

const read = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

function usable(certPem: string | undefined, issuer?: X509Certificate): X509Certificate | undefined {
  if (!certPem) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return undefined;
    if (issuer && !(cert.checkIssued(issuer) && cert.verify(issuer.publicKey))) return undefined;
    return cert;
  } catch {
    return undefined;
  }
}

function coversEveryName(cert: X509Certificate): boolean {
  const names = cert.subjectAltName ?? '';
  return (
    [...SERVICE_HOSTS, ...LOCAL_NAMES].every((n) => names.includes(`DNS:${n}`)) &&
    LOCAL_IPS.every((ip) => names.includes(`IP Address:${ip}`))
  );
}

async function ensureCa(dir: string): Promise<{ cert: string; key: string; renewed: boolean }> {
  const certFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca-key.pem');
  const cert = read(certFile);
  const key = read(keyFile);
  if (cert && key && usable(cert)) return { cert, key, renewed: false };
  const now = Date.now();
  const made = await selfsigned.generate([{ name: 'commonName', value: 'devhost push stand-in CA (not trusted anywhere else)' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 3600_000),
    notAfterDate: new Date(now + 10 * YEAR_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  writeAtomically(keyFile, made.private);
  writeAtomically(certFile, made.cert);
  return { cert: made.cert, key: made.private, renewed: true };
}

async function ensureServerCertificate(
  dir: string,
  ca: { cert: string; key: string; renewed: boolean },
): Promise<{ key: string; cert: string }> {
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server-key.pem');
  const cert = read(certFile);
  const key = read(keyFile);
  const current = ca.renewed ? undefined : usable(cert, new X509Certificate(ca.cert));
  if (cert && key && current && coversEveryName(current)) return { key, cert };
  const now = Date.now();
  const made = await selfsigned.generate([{ name: 'commonName', value: SERVICE_HOSTS[0]! }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 3600_000),
    notAfterDate: new Date(now + 5 * YEAR_MS),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...[...SERVICE_HOSTS, ...LOCAL_NAMES].map((value) => ({ type: 2 as const, value })),
          ...LOCAL_IPS.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  writeAtomically(keyFile, made.private);
  writeAtomically(certFile, made.cert);
  return { key: made.private, cert: made.cert };
}

function ensureServiceAccount(dir: string): PushMaterial['fcm'] {
  const file = join(dir, 'service-account.json');
  const text = read(file);
  if (text) {
    try {
      const serviceAccount = JSON.parse(text) as ServiceAccount;
      return { serviceAccountFile: file, serviceAccount, publicKey: createPublicKey(serviceAccount.private_key) };
    } catch {
      // Unreadable: made anew below.
    }
  }
  // firebase-admin signs its token requests with RS256, so the account's key is RSA, as Google's are.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `firebase-adminsdk-devhost@${DEV_PROJECT_ID}.iam.gserviceaccount.com`;
  const serviceAccount: ServiceAccount = {
    type: 'service_account',
    project_id: DEV_PROJECT_ID,
    private_key_id: createHash('sha1')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    client_id: Array.from({ length: 21 }, (_, i) => randomInt(i === 0 ? 1 : 0, 10)).join(''),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: 'googleapis.com',
  };
  writeAtomically(file, JSON.stringify(serviceAccount, null, 2) + '\n');
  return { serviceAccountFile: file, serviceAccount, publicKey };
}

/**
 * The dev key's ids: fixed, in the shape of Apple's (ten characters of A-Z and 0-9), so an app's local
 * settings can name them once; the key itself is generated per state directory.
 */
export const DEV_APNS_KEY_ID = 'DEVHOSTK01';
export const DEV_APNS_TEAM_ID = 'DEVHOSTT01';

function ensureApnsKey(dir: string): PushMaterial['apns'] {
  const infoFile = join(dir, 'apns-key.json');
  const info = read(infoFile);
  if (info) {
    try {
      const { keyId, teamId } = JSON.parse(info) as { keyId: string; teamId: string };
      const keyFile = join(dir, `AuthKey_${keyId}.p8`);
      const key = read(keyFile);
      if (key) return { keyFile, keyId, teamId, publicKey: createPublicKey(key) };
    } catch {
      // Unreadable: made anew below.
    }
  }
  // An APNs auth key is a P-256 key in a PKCS#8 PEM file named AuthKey_<key id>.p8, as Apple's developer site hands it out.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyId = DEV_APNS_KEY_ID;
  const teamId = DEV_APNS_TEAM_ID;
  const keyFile = join(dir, `AuthKey_${keyId}.p8`);
  writeAtomically(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  writeAtomically(infoFile, JSON.stringify({ keyId, teamId, keyFile: `AuthKey_${keyId}.p8` }, null, 2) + '\n');
  return { keyFile, keyId, teamId, publicKey };
}

/** Loads the material from `dir`, making whatever is missing, stale or unreadable. Safe to call again on the same directory. */
export async function ensurePushMaterial(dir: string): Promise<PushMaterial> {
  mkdirSync(dir, { recursive: true });
  const ca = await ensureCa(dir);
  const tls = await ensureServerCertificate(dir, ca);
  return { dir, caFile: join(dir, 'ca.pem'), caPem: ca.cert, tls, fcm: ensureServiceAccount(dir), apns: ensureApnsKey(dir) };
}
