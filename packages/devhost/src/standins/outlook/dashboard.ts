/**
 * The stand-in of the Actionable Email Developer Dashboard: the providers Outlook knows, each registered
 * with its sender addresses, target URLs, public key, Entra app and scope, and approved (or not) as the
 * dashboard approves them. Outlook's gate asks it who an `originator` is and whether that provider may
 * reach a recipient now. Registrations come from the control API and from a file an app ships
 * (`DEVHOST_OUTLOOK_PROVIDERS`); with a state directory, those made through the API are kept.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export const SCOPES = ['TestUsers', 'Organization', 'Global'] as const;
export type Scope = (typeof SCOPES)[number];
export type ProviderStatus = 'Submitted' | 'Approved' | 'Rejected' | 'Suspended';
export type ConsentState = 'NotConsented' | 'Consenting' | 'Consented';

export interface Provider {
  /** The provider id the dashboard generates: every card names it as `originator`. */
  id: string;
  friendlyName: string;
  senderAddresses: string[];
  /** https base URLs (or http://localhost ones, allowed only behind DEVHOST_OUTLOOK_ALLOW_LOOPBACK). */
  targetUrls: string[];
  /** `<RSAKeyValue><Modulus>…</Modulus><Exponent>…</Exponent></RSAKeyValue>`, for signed cards. */
  publicKeyRsaXml?: string;
  scope: Scope;
  testUsers: string[];
  /** The tenant the provider was registered in. */
  tenantId: string;
  /** The Entra app that represents the action endpoint: the `aud` of the tokens Outlook sends. */
  entraAppId: string;
  /** Generated as the dashboard does: `api://auth-am-<provider id>/<entra app id>`. */
  appIdUri: string;
  /** The scope exposed on the Entra app, sent in `scp`. */
  apiScope: string;
  status: ProviderStatus;
  submittedAt: string;
  approvedBy?: string;
  approvedAt?: string;
  /** When an approval takes effect (the dashboard's "up to 24 h"): approvedAt + DEVHOST_OUTLOOK_PROPAGATION_SECONDS. */
  effectiveAt?: string;
  rejectedReason?: string;
  /** Global providers only: each customer tenant's consent. */
  consent: Record<string, ConsentState>;
  /** Where the registration came from: the app's file is read again at each start, so it is not stored. */
  source: 'api' | 'file';
}

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'must be an email address' }));
const guid = z.guid({ message: 'must be a GUID' }).transform((g) => g.toLowerCase());
const targetUrl = z
  .string()
  .refine(
    (s) => URL.canParse(s) && ['https:', 'http:'].includes(new URL(s).protocol),
    'must be an https URL (the dashboard takes https base URLs)',
  );
const rsaXml = z
  .string()
  .regex(/<RSAKeyValue>\s*<Modulus>[A-Za-z0-9+/=\s]+<\/Modulus>\s*<Exponent>[A-Za-z0-9+/=\s]+<\/Exponent>\s*<\/RSAKeyValue>/, {
    message: 'must be <RSAKeyValue><Modulus>…</Modulus><Exponent>…</Exponent></RSAKeyValue> (base64), as RSA.ToXmlString(false) prints it',
  });

/** What a registration says: the "New Provider" form. */
export const Registration = z
  .object({
    id: guid.optional(),
    friendlyName: z.string().trim().min(1, 'must not be empty'),
    senderAddresses: z.array(email).min(1, 'must name at least one sender address'),
    targetUrls: z.array(targetUrl).min(1, 'must name at least one target URL'),
    publicKeyRsaXml: rsaXml.optional(),
    scope: z.enum(SCOPES, { message: `must be one of ${SCOPES.join(', ')}` }),
    testUsers: z.array(email).default([]),
    tenantId: guid,
    entraAppId: guid,
    apiScope: z.string().trim().min(1).default('Global.Test'),
    /** A file may ship a registration already approved (as it was on the real dashboard). */
    status: z.enum(['Submitted', 'Approved']).default('Submitted'),
    approvedBy: z.string().trim().min(1).optional(),
    consent: z.record(guid, z.enum(['NotConsented', 'Consenting', 'Consented'])).default({}),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.scope === 'TestUsers' && r.testUsers.length === 0)
      ctx.addIssue({ code: 'custom', path: ['testUsers'], message: 'the Test Users scope needs at least one test user' });
  });
export type RegistrationInput = z.input<typeof Registration>;

/**
 * The registrations an app ships (`DEVHOST_OUTLOOK_PROVIDERS`): its providers, and the sender domains whose
 * SPF and DKIM pass (as those of a custom domain verified in ACS do).
 */
export const ProvidersFile = z
  .object({
    providers: z.array(z.unknown()).default([]),
    authenticatedDomains: z.array(z.string().trim().toLowerCase().min(1)).default([]),
  })
  .strict();

/** The dashboard's refusal of a registration or a status change: a message naming the field or the rule. */
export class DashboardError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.join('.') || 'body'}: ${issue.message}`;
}

export interface DashboardOptions {
  now: () => number;
  /** Seconds between an approval and its effect. */
  propagationSeconds: number;
  /** Where registrations made through the API are kept, or undefined for memory only. */
  stateFile: string | undefined;
}

export class Dashboard {
  readonly #providers = new Map<string, Provider>();

  constructor(private readonly options: DashboardOptions) {
    if (options.stateFile && existsSync(options.stateFile)) {
      const stored = JSON.parse(readFileSync(options.stateFile, 'utf8')) as { providers: Provider[] };
      for (const p of stored.providers) this.#providers.set(p.id, p);
    }
  }

  list(): Provider[] {
    return [...this.#providers.values()];
  }

  get(id: string): Provider | undefined {
    return this.#providers.get(id.toLowerCase());
  }

  /** Registers a provider: Test Users registrations are approved at once (self-service), the others wait for approval. */
  register(input: unknown, source: Provider['source'] = 'api'): Provider {
    const parsed = Registration.safeParse(input);
    if (!parsed.success) throw new DashboardError(400, firstIssue(parsed.error));
    const r = parsed.data;
    const id = r.id ?? randomUUID();
    if (this.#providers.has(id)) throw new DashboardError(409, `id: a provider ${id} is already registered`);
    const now = new Date(this.options.now()).toISOString();
    const provider: Provider = {
      id,
      friendlyName: r.friendlyName,
      senderAddresses: r.senderAddresses,
      targetUrls: r.targetUrls,
      ...(r.publicKeyRsaXml ? { publicKeyRsaXml: r.publicKeyRsaXml } : {}),
      scope: r.scope,
      testUsers: r.testUsers,
      tenantId: r.tenantId,
      entraAppId: r.entraAppId,
      appIdUri: `api://auth-am-${id}/${r.entraAppId}`,
      apiScope: r.apiScope,
      status: 'Submitted',
      submittedAt: now,
      consent: r.consent,
      source,
    };
    this.#providers.set(id, provider);
    if (r.scope === 'TestUsers') this.#approve(provider, 'self-service');
    else if (r.status === 'Approved') this.#approve(provider, r.approvedBy ?? 'the registration file');
    this.#save();
    return provider;
  }

  approve(id: string, approvedBy: string): Provider {
    const provider = this.#existing(id);
    if (provider.status !== 'Submitted')
      throw new DashboardError(409, `status: only a Submitted provider can be approved; ${id} is ${provider.status}`);
    this.#approve(provider, approvedBy);
    this.#save();
    return provider;
  }

  reject(id: string, reason: string): Provider {
    const provider = this.#existing(id);
    if (provider.status !== 'Submitted')
      throw new DashboardError(409, `status: only a Submitted provider can be rejected; ${id} is ${provider.status}`);
    provider.status = 'Rejected';
    provider.rejectedReason = reason;
    this.#save();
    return provider;
  }

  suspend(id: string): Provider {
    const provider = this.#existing(id);
    if (provider.status !== 'Approved')
      throw new DashboardError(409, `status: only an Approved provider can be suspended; ${id} is ${provider.status}`);
    provider.status = 'Suspended';
    this.#save();
    return provider;
  }

  /** A customer tenant's admin consents to (or withdraws from) a Global provider. */
  consent(id: string, tenantId: string, state: ConsentState): Provider {
    const provider = this.#existing(id);
    if (provider.scope !== 'Global')
      throw new DashboardError(409, `scope: only Global providers need tenant consent; ${id} is ${provider.scope}`);
    provider.consent[tenantId.toLowerCase()] = state;
    this.#save();
    return provider;
  }

  remove(id: string): void {
    this.#existing(id);
    this.#providers.delete(id.toLowerCase());
    this.#save();
  }

  clear(): void {
    for (const [id, p] of this.#providers) if (p.source === 'api') this.#providers.delete(id);
    this.#save();
  }

  #existing(id: string): Provider {
    const provider = this.get(id);
    if (!provider) throw new DashboardError(404, `no provider ${id} is registered`);
    return provider;
  }

  #approve(provider: Provider, approvedBy: string): void {
    const now = this.options.now();
    provider.status = 'Approved';
    provider.approvedBy = approvedBy;
    provider.approvedAt = new Date(now).toISOString();
    provider.effectiveAt = new Date(now + this.options.propagationSeconds * 1000).toISOString();
  }

  #save(): void {
    const file = this.options.stateFile;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    const providers = this.list().filter((p) => p.source === 'api');
    writeFileSync(file, JSON.stringify({ providers }, null, 2));
  }
}

export interface Recipient {
  address: string;
  /** The recipient's tenant, when a directory knows the mailbox. */
  tenantId: string | undefined;
}

/** Why `provider` may not reach `recipient` at `now`, or undefined when it may (gate step 4). */
export function notEffectiveReason(provider: Provider, recipient: Recipient, now: number): string | undefined {
  if (provider.status !== 'Approved') return `Provider ${provider.id} is ${provider.status}, not Approved.`;
  if (provider.effectiveAt && Date.parse(provider.effectiveAt) > now)
    return `Provider ${provider.id} was approved at ${provider.approvedAt} and takes effect at ${provider.effectiveAt}.`;
  const address = recipient.address.toLowerCase();
  switch (provider.scope) {
    case 'TestUsers':
      return provider.testUsers.includes(address)
        ? undefined
        : `${address} is not a test user of provider ${provider.id} (Test Users scope).`;
    case 'Organization':
      return recipient.tenantId?.toLowerCase() === provider.tenantId
        ? undefined
        : `${address} is not in tenant ${provider.tenantId}, the provider's (Organization scope).`;
    case 'Global':
      return recipient.tenantId && provider.consent[recipient.tenantId.toLowerCase()] === 'Consented'
        ? undefined
        : `The tenant of ${address} (${recipient.tenantId ?? 'unknown'}) has not consented to provider ${provider.id} (Global scope).`;
  }
}
