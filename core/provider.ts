/**
 * Actionable-message providers (docs/actionable.md): the services allowed to send actionable email through
 * Herald, their status machine, and the rules their fields and scopes follow. Pure: the registry API and
 * the store ask here before they change anything; the card gate asks `effectiveness` before it shows a card.
 * `node:crypto` is used only to parse a public key, which does no I/O.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Actor } from './records.js';
import type { ProviderStatus, ProviderTransitionRecord } from './providerStatus.js';

export * from './providerStatus.js';

/** Each scope is a separate submission: a provider registers for exactly one. */
export const PROVIDER_SCOPES = ['TestUsers', 'Organization', 'Global'] as const;
export type ProviderScope = (typeof PROVIDER_SCOPES)[number];

/** A Global provider's standing in one other tenant: that tenant's admin grants consent to its Entra app. */
export const CONSENT_STATES = ['NotConsented', 'Consenting', 'Consented'] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];

/** The Outlook Actionable Messages client, pre-authorised on every provider's Entra app. */
export const ACTIONS_APP_ID = '48af08dc-f6d2-435f-b2a7-069abd99c086';

/** What a Global submission adds for the platform's reviewers. */
export interface GlobalDetails {
  contact: string;
  publisher: string;
  scenario: string;
  verification: string;
}

/** The fields a provider's owner writes (and may change while it is a Draft). */
export interface ProviderFields {
  friendlyName: string;
  /** Static `From:` addresses, in the tenant's verified domains; stored lower case. */
  senderAddresses: string[];
  /** HTTPS base URLs; every action URL must fall under one (`actionUrlAllowed`). */
  targetUrls: string[];
  /** `<RSAKeyValue>` XML, for signed cards. */
  publicKey?: string;
  /** The Entra application (client) id that represents the action endpoint. */
  entraAppId: string;
  scope: ProviderScope;
  /** Test Users scope: the only mailboxes that see the cards; stored lower case. */
  testUsers: string[];
  /** Extra addresses told about the request. */
  notify: string[];
  global?: GlobalDetails;
  /** Power Automate scenario (usually no). */
  powerAutomate: boolean;
}

export interface TenantConsent {
  state: Exclude<ConsentState, 'NotConsented'>;
  by: Actor;
  at: string;
  /** Consent, like approval, takes the consenting tenant's propagation delay to take effect. */
  effectiveAt: string;
}

export interface Provider extends ProviderFields {
  /** The `originator` GUID, generated at creation. */
  id: string;
  /** The tenant that registered it. */
  tenantId: string;
  /** `api://auth-am-<id>/<entraAppId>`, to set as the Entra app's Application ID URI. */
  appIdUri: string;
  status: ProviderStatus;
  createdBy: Actor;
  createdAt: string;
  updatedAt: string;
  version: number;
  etag: string;
  lastAction?: ProviderTransitionRecord;
  lastActor?: Actor;
  submittedAt?: string;
  /** Who submitted the latest submission: they do not decide on it. */
  submittedBy?: Actor;
  approvedBy?: Actor;
  approvedAt?: string;
  /** When an approval takes effect (approval plus the tenant's propagation delay). */
  effectiveAt?: string;
  /** The reviewer's words on a rejection or suspension. */
  comment?: string;
  /** The approval orchestration's instance id, from the latest submission. */
  approval?: string;
  /** Global scope: consent by other tenants, keyed by tenant id (lower case). */
  consent: Record<string, TenantConsent>;
}

/** How the card gate finds the provider a card names. */
export interface ProviderLookup {
  findByOriginator(originator: string): Promise<Provider | undefined>;
}

export const appIdUriFor = (providerId: string, entraAppId: string) => `api://auth-am-${providerId}/${entraAppId.toLowerCase()}`;

/** A field and the rule it breaks, as the API's problem names them. */
export interface FieldProblem {
  field: string;
  message: string;
}

// ----- the public key -----

export type ParsedRsaKey =
  { ok: true; jwk: JsonWebKey & { kty: 'RSA'; n: string; e: string }; key: KeyObject; bits: number } | { ok: false; reason: string };

export const MIN_RSA_BITS = 2048;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PRIVATE_PARTS = ['P', 'Q', 'DP', 'DQ', 'InverseQ', 'D'];

const element = (xml: string, name: string): string | undefined => {
  const found = xml.match(new RegExp(`<${name}>([^<]*)</${name}>`));
  return found?.[1]?.replace(/\s+/g, '');
};

const base64url = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/**
 * An XML-DSig `<RSAKeyValue><Modulus>…</Modulus><Exponent>…</Exponent></RSAKeyValue>` (what .NET's
 * `RSA.ToXmlString(false)` prints) as a public key, or why it is not one Herald accepts.
 */
export function parseRsaKeyValue(xml: string): ParsedRsaKey {
  const text = xml.trim();
  if (!/^<RSAKeyValue>[\s\S]*<\/RSAKeyValue>$/.test(text)) return { ok: false, reason: 'must be an <RSAKeyValue> element' };
  const inner = text.slice('<RSAKeyValue>'.length, -'</RSAKeyValue>'.length);
  const present = PRIVATE_PARTS.filter((p) => new RegExp(`<${p}>`).test(inner));
  if (present.length) return { ok: false, reason: `must hold the public key only; remove ${present.map((p) => `<${p}>`).join(', ')}` };
  const modulus = element(inner, 'Modulus');
  const exponent = element(inner, 'Exponent');
  if (modulus === undefined) return { ok: false, reason: 'must contain <Modulus>…</Modulus>' };
  if (exponent === undefined) return { ok: false, reason: 'must contain <Exponent>…</Exponent>' };
  const rest = inner.replace(/<Modulus>[^<]*<\/Modulus>/, '').replace(/<Exponent>[^<]*<\/Exponent>/, '');
  if (rest.trim() !== '') return { ok: false, reason: 'must contain only <Modulus> and <Exponent>' };
  if (!BASE64.test(modulus) || modulus.length % 4 !== 0) return { ok: false, reason: '<Modulus> is not base64' };
  if (!BASE64.test(exponent) || exponent.length % 4 !== 0) return { ok: false, reason: '<Exponent> is not base64' };
  const n = Buffer.from(modulus, 'base64');
  const start = n.findIndex((b) => b !== 0);
  const bits = start < 0 ? 0 : (n.length - start - 1) * 8 + (32 - Math.clz32(n[start] ?? 0));
  if (bits < MIN_RSA_BITS) return { ok: false, reason: `the key has ${bits} bits; at least ${MIN_RSA_BITS} are required` };
  const jwk = { kty: 'RSA' as const, n: base64url(modulus), e: base64url(exponent) };
  try {
    return { ok: true, jwk, key: createPublicKey({ key: jwk, format: 'jwk' }), bits };
  } catch {
    return { ok: false, reason: 'is not a usable RSA public key' };
  }
}

// ----- target URLs and action URLs -----

/** Why a target URL is not one a provider may register, or undefined when it is. */
export function targetUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:') return 'must use https';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) return 'must be a base URL, without a query or fragment';
  return undefined;
}

/** A target URL as matching compares it: lower-case origin and a path that ends with `/`. */
const asPrefix = (raw: string) => {
  const url = new URL(raw);
  return { origin: url.origin, path: url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/` };
};

/**
 * Whether an action URL falls under one of the provider's target URLs: https, the same origin (scheme,
 * host and port: a look-alike host such as `api.example.com.evil.test` is another origin), and a path
 * under the target's path on a segment boundary (`/api` covers `/api/x`, not `/apix`).
 */
export function actionUrlAllowed(provider: Pick<ProviderFields, 'targetUrls'>, raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username || url.password) return false;
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return provider.targetUrls.some((t) => {
    if (targetUrlProblem(t)) return false;
    const target = asPrefix(t);
    return target.origin === url.origin && path.startsWith(target.path);
  });
}

// ----- addresses -----

const ADDRESS = /^[^\s@;,<>"]+@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)$/;

export const addressDomain = (address: string): string | undefined => address.match(ADDRESS)?.[1]?.toLowerCase();

/** Test users as the form takes them: addresses separated by `;`, blanks dropped, lower case, each once. */
export const splitTestUsers = (raw: string): string[] => [
  ...new Set(
    raw
      .split(';')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  ),
];

/** Why an address is not one of the tenant's (its domain among `domains`, the tenant's verified domains). */
export function tenantAddressProblem(address: string, domains: readonly string[]): string | undefined {
  const domain = addressDomain(address);
  if (!domain) return 'must be an email address';
  if (!domains.some((d) => d.toLowerCase() === domain)) return `must be in one of the tenant's domains (${domains.join(', ')})`;
  return undefined;
}

/**
 * The rules a provider's fields must meet, each broken one with its field: sender addresses and test
 * users in the tenant's verified domains, https target URLs, a usable ≥ 2048-bit public key, the
 * scope's own fields.
 */
export function providerFieldProblems(fields: ProviderFields, domains: readonly string[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  fields.senderAddresses.forEach((a, i) => {
    const p = tenantAddressProblem(a, domains);
    if (p) problems.push({ field: `senderAddresses[${i}]`, message: p });
  });
  fields.targetUrls.forEach((u, i) => {
    const p = targetUrlProblem(u);
    if (p) problems.push({ field: `targetUrls[${i}]`, message: p });
  });
  if (fields.publicKey !== undefined) {
    const key = parseRsaKeyValue(fields.publicKey);
    if (!key.ok) problems.push({ field: 'publicKey', message: key.reason });
  }
  fields.testUsers.forEach((a, i) => {
    const p = tenantAddressProblem(a, domains);
    if (p) problems.push({ field: `testUsers[${i}]`, message: p });
  });
  if (fields.scope !== 'TestUsers' && fields.testUsers.length) {
    problems.push({ field: 'testUsers', message: 'only a Test Users submission lists test users' });
  }
  if (fields.scope !== 'Global' && fields.global) {
    problems.push({ field: 'global', message: 'only a Global submission carries contact, publisher, scenario and verification details' });
  }
  return problems;
}

/** What submitting needs beyond well-formed fields: at least one sender and target, and the scope's details. */
export function providerSubmitProblems(fields: ProviderFields): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!fields.senderAddresses.length)
    problems.push({ field: 'senderAddresses', message: 'at least one sender address is required to submit' });
  if (!fields.targetUrls.length) problems.push({ field: 'targetUrls', message: 'at least one target URL is required to submit' });
  if (fields.scope === 'TestUsers' && !fields.testUsers.length) {
    problems.push({ field: 'testUsers', message: 'a Test Users submission needs at least one test user' });
  }
  if (fields.scope === 'Global') {
    for (const k of ['contact', 'publisher', 'scenario', 'verification'] as const) {
      if (!fields.global?.[k]?.trim()) problems.push({ field: `global.${k}`, message: 'is required for a Global submission' });
    }
  }
  return problems;
}

// ----- who sees the cards -----

/** A tenant's consent to a Global provider at `now` (`Consenting` until its propagation delay passes). */
export function consentState(provider: Pick<Provider, 'consent'>, tenantId: string, now: Date): ConsentState {
  const c = provider.consent[tenantId.toLowerCase()];
  if (!c) return 'NotConsented';
  return Date.parse(c.effectiveAt) <= now.getTime() ? 'Consented' : 'Consenting';
}

export interface CardRecipient {
  upn: string;
  tenantId: string;
}

export type Effectiveness = { ok: true } | { ok: false; reason: string };

/**
 * Whether a provider's cards may be shown to a recipient at `now`: Approved, past its propagation delay,
 * and the recipient within its scope (a listed test user; a mailbox of its tenant; for Global, also any
 * tenant that has consented).
 */
export function effectiveness(provider: Provider, recipient: CardRecipient, now: Date): Effectiveness {
  if (provider.status !== 'Approved') return { ok: false, reason: `the provider is ${provider.status}, not Approved` };
  if (!provider.effectiveAt || Date.parse(provider.effectiveAt) > now.getTime()) {
    return { ok: false, reason: `the provider's approval takes effect at ${provider.effectiveAt}` };
  }
  const home = recipient.tenantId.toLowerCase() === provider.tenantId.toLowerCase();
  switch (provider.scope) {
    case 'TestUsers':
      if (!home || !provider.testUsers.includes(recipient.upn.toLowerCase())) {
        return { ok: false, reason: `${recipient.upn} is not one of the provider's test users` };
      }
      return { ok: true };
    case 'Organization':
      return home ? { ok: true } : { ok: false, reason: `${recipient.upn} is not in the provider's organisation` };
    case 'Global': {
      if (home) return { ok: true };
      const state = consentState(provider, recipient.tenantId, now);
      return state === 'Consented'
        ? { ok: true }
        : { ok: false, reason: `the recipient's tenant has not consented to the provider (${state})` };
    }
  }
}

export const isEffectiveFor = (provider: Provider, recipientUpn: string, recipientTenantId: string, now: Date) =>
  effectiveness(provider, { upn: recipientUpn, tenantId: recipientTenantId }, now).ok;
