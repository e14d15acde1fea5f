/**
 * Every app setting Herald reads, read and checked here and nowhere else (docs/deploy.md, "Settings Herald
 * reads"). `checkSettingsAtStart` runs once as the app loads (functions/index.ts): a setting the whole app
 * needs (storage, token validation, click-link signing, the pacing numbers), or a local value outside
 * Development, stops the load with one message naming every bad setting. A bad setting of one outside
 * service (Graph, ACS email, FCM, APNs) does not: `/api/health` answers 503 naming it, and that service's
 * calls fail with the same words, so the rest of Herald keeps working while it is fixed.
 *
 * Each accessor below reads its few settings when called and parses them again only when their text changed,
 * which on Azure is never after start; tests that change a setting in-process see the change.
 */
import { z } from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;

/** What a bad setting stops: the whole app (`start`), or the calls to one outside service. */
export const SCOPES = {
  start: 'the whole app',
  graph: 'Microsoft Graph (audiences, Teams delivery)',
  email: 'email delivery (Azure Communication Services)',
  fcm: 'Android push (FCM)',
  apns: 'iOS push (APNs)',
  push: 'mobile push (FCM and APNs)',
  actionable: 'actionable email (sending cards, relaying their actions)',
} as const;
export type Scope = keyof typeof SCOPES;

export interface SettingProblem {
  setting: string;
  /** Reads after the setting's name: "is not set", "must be an http(s) URL". */
  problem: string;
  fix: string;
  scope: Scope;
}

/** How to put each setting right; the wording ends the line that names the problem. */
const FIX: Record<string, string> = {
  AzureWebJobsStorage:
    'set it to a storage connection string (locally UseDevelopmentStorage=true), or set AzureWebJobsStorage__accountName instead to reach the account as the app’s identity',
  AzureWebJobsStorage__accountName: 'the storage account’s name, as in https://<name>.table.core.windows.net',
  AzureWebJobsStorage__credential:
    'managedidentity, or leave it unset to use DefaultAzureCredential: environment, managed identity or Azure CLI',
  AzureWebJobsStorage__clientId: 'the client id of the user-assigned managed identity that may use the account',
  AZURE_CLIENT_ID: 'the client id of the app’s user-assigned managed identity (azd env get-value AZURE_MANAGED_IDENTITY_CLIENT_ID)',
  AUTH_ISSUER: 'the tokens’ issuer with {tenantid} where the tenant id goes, e.g. https://login.microsoftonline.com/{tenantid}/v2.0',
  AUTH_AUDIENCE: 'the aud of Herald’s access tokens: the app registration’s client id',
  AUTH_JWKS_URI: 'the issuer’s signing keys, e.g. https://login.microsoftonline.com/<tenant id>/discovery/v2.0/keys',
  CLICK_LINK_SECRET: 'a random string of 32 characters or more, the same on every instance; the deployment keeps it in Key Vault',
  PUBLIC_BASE_URL: 'Herald’s address as recipients reach it, e.g. https://func-herald-<t>.azurewebsites.net',
  PLATFORM_TENANT_ID:
    'the tenant id of the organisation that operates this Herald: its Providers.Review holders review Global providers; locally it defaults to devhost’s sample tenant',
  GRAPH_CLIENT_ID: 'the client id of the app registration Herald calls Microsoft Graph as',
  GRAPH_CLIENT_SECRET:
    'a client secret of that app registration, or leave it unset to use the managed identity as its federated credential, docs/deploy.md section 3 B',
  GRAPH_AUTHORITY: 'leave it unset on Azure, where it is https://login.microsoftonline.com; locally, devhost’s identity stand-in',
  GRAPH_ENDPOINT: 'leave it unset on Azure, where it is https://graph.microsoft.com; locally, devhost’s Graph stand-in',
  ACS_EMAIL_ENDPOINT:
    'the Communication Services endpoint, https://<resource>.<geography>.communication.azure.com, called as the app’s identity',
  ACS_EMAIL_CONNECTION_STRING:
    'endpoint=https://…;accesskey=<base64 key> from the resource’s Keys, or leave it unset and set ACS_EMAIL_ENDPOINT to send as the app’s identity',
  EMAIL_SENDER_ADDRESS: 'a verified sender of the email domain, e.g. DoNotReply@<guid>.azurecomm.net',
  EMAIL_SENDS_PER_SECOND: 'a number of emails a second, 0 for no limit',
  TEAMS_REQUESTS_PER_SECOND: 'a number of Teams requests a second, 0 for no limit',
  PUSH_THROTTLE_PAUSE_SECONDS: 'a number of seconds above 0',
  DELIVERY_LEASE_SECONDS: 'a number of seconds above 0',
  FCM_SERVICE_ACCOUNT_FILE: 'the path of the Firebase service-account JSON, or leave it unset for no Android push',
  FCM_SERVICE_ACCOUNT:
    'the Firebase service-account JSON itself (on Azure a Key Vault reference), instead of FCM_SERVICE_ACCOUNT_FILE; or neither for no Android push',
  APNS_KEY_FILE: 'the path of the APNs auth key (.p8); APNS_KEY_FILE, APNS_KEY_ID, APNS_TEAM_ID and APNS_TOPIC are set together',
  APNS_KEY: 'the APNs auth key’s text (-----BEGIN PRIVATE KEY-----…; on Azure a Key Vault reference), instead of APNS_KEY_FILE',
  APNS_KEY_ID: 'the 10-character id of the APNs auth key',
  APNS_TEAM_ID: 'the 10-character Apple developer team id',
  APNS_TOPIC: 'the iOS app’s bundle id, e.g. com.contoso.herald',
  APNS_PRODUCTION: 'true for api.push.apple.com (the default), false for the sandbox',
  PUSH_CONNECT_TO: 'host:port, only for local development: devhost’s push stand-in',
  PUSH_CA_FILE: 'the path of the certificate authority PUSH_CONNECT_TO presents, only for local development',
  ACTIONABLE_TOKEN_ISSUERS:
    'the issuers of Outlook’s action tokens, comma-separated, {tenantid} where the tenant goes; leave it unset on Azure for Entra’s v1 and v2 issuers',
  ACTIONABLE_TOKEN_JWKS_URI:
    'the signing keys of those tokens, {tenantid} where the tenant goes; leave it unset on Azure for https://login.microsoftonline.com/{tenantid}/discovery/v2.0/keys',
  ACTIONABLE_TOKEN_SCOPES: 'the scopes providers expose to the Actions app, comma-separated (e.g. Global.Test), or unset to accept any',
  ACTIONABLE_SIGNING_KEY:
    'Herald’s RSA private key for signing relayed actions, as PKCS#8 PEM or a private JWK (on Azure a Key Vault reference); locally it may be unset for a key made at start',
  CONSOLE_CLIENT_ID:
    'the client id of the app registration the console signs people in with (a single-page app platform), or leave it unset to use AUTH_AUDIENCE',
  CONSOLE_TENANT: 'the tenant people sign in to the console from: a tenant id, or organizations (the default) for any work account',
};

const fixFor = (setting: string) => FIX[setting] ?? '';

/** Core Tools sets Development locally (devhost should too); anything else, or nothing, is production. */
export const isDevelopment = (env: Env = process.env) => env.AZURE_FUNCTIONS_ENVIRONMENT === 'Development';

export const describeProblem = (p: SettingProblem) => `${p.setting} ${p.problem}${p.fix ? ` — ${p.fix}` : ''}`;

/** A setting a caller needs is wrong; the message names each setting and how to fix it. */
export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(
    readonly problems: readonly SettingProblem[],
    what: string,
  ) {
    super(`${what}: ${problems.map(describeProblem).join('; ')}`);
  }
}

// Empty text is no setting: local.settings.json and pipelines write "" for "not set". Other values are kept
// as written: a secret's spaces are part of it.
const read = (env: Env, key: string) => {
  const value = env[key];
  return value?.trim() ? value : undefined;
};

const unset = { error: (issue: { input: unknown }) => (issue.input === undefined ? 'is not set' : 'must be text') };
const text = () => z.string(unset);
const isHttpUrl = (value: string) => {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
};
const httpUrl = () => text().refine(isHttpUrl, 'must be an http(s) URL');
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const guid = () => text().regex(GUID, 'must be a client id (a GUID)');
const number = (min: 'zero' | 'above zero') =>
  text()
    .regex(/^\d+(\.\d+)?$/, min === 'zero' ? 'must be a number, 0 or more' : 'must be a number above 0')
    .transform(Number)
    .refine((n) => (min === 'zero' ? n >= 0 : n > 0), min === 'zero' ? 'must be a number, 0 or more' : 'must be a number above 0');

/** `name=value;…` as Azure connection strings are written; names compared without case. */
export function connectionStringPairs(value: string): Map<string, string> | undefined {
  const pairs = new Map<string, string>();
  for (const part of value.split(';')) {
    if (!part.trim()) continue;
    const at = part.indexOf('=');
    if (at <= 0) return undefined;
    pairs.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return pairs;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problems: SettingProblem[] };

/** Runs a schema over the named settings; each issue becomes a problem of the setting it is about. */
function parse<S extends z.ZodType>(env: Env, keys: readonly string[], schema: S, scope: Scope): Parsed<z.output<S>> {
  const input = Object.fromEntries(keys.map((k) => [k, read(env, k)]));
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map((issue) => {
    const setting = String(issue.path[0] ?? keys[0]);
    return { setting, problem: issue.message, fix: fixFor(setting), scope };
  });
  // In the order the group lists its settings, whichever check found the problem.
  return { ok: false, problems: problems.sort((a, b) => keys.indexOf(a.setting) - keys.indexOf(b.setting)) };
}

interface Group<T> {
  keys: readonly string[];
  scope: Scope;
  /** What the caller was about to do, for the error: "email cannot be sent". */
  what: string;
  parse(env: Env): Parsed<T>;
}

/** The group's value, parsed again only when one of its settings' text changed; throws SettingsError when wrong. */
function accessor<T>(group: Group<T>): (env?: Env) => T {
  let memo: { raw: string; parsed: Parsed<T> } | undefined;
  return (env = process.env) => {
    const raw = JSON.stringify(group.keys.map((k) => env[k] ?? null));
    if (memo?.raw !== raw) memo = { raw, parsed: group.parse(env) };
    if (!memo.parsed.ok) throw new SettingsError(memo.parsed.problems, group.what);
    return memo.parsed.value;
  };
}

// Storage: the account the Functions host itself uses (queue triggers, Durable Functions), either as a
// connection string or, as the deployment sets it, the account name and the identity to reach it as.

export type StorageSettings =
  | { kind: 'connectionString'; connectionString: string; plainHttp: boolean }
  | {
      kind: 'identity';
      accountName: string;
      endpoints: { blob: string; queue: string; table: string };
      /** `__credential=managedidentity`: the managed identity; otherwise DefaultAzureCredential. */
      managedIdentity: boolean;
      clientId?: string;
    };

const STORAGE_KEYS = [
  'AzureWebJobsStorage',
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'AZURE_CLIENT_ID',
] as const;

const storageConnection = text().superRefine((value, ctx) => {
  const pairs = connectionStringPairs(value);
  const has = (name: string) => !!pairs?.get(name.toLowerCase());
  if (!pairs) ctx.addIssue({ code: 'custom', message: 'must be name=value pairs separated by semicolons' });
  else if (pairs.get('usedevelopmentstorage')?.toLowerCase() === 'true') return;
  else if (has('AccountName') && has('AccountKey')) return;
  else if (has('SharedAccessSignature') && (has('BlobEndpoint') || has('QueueEndpoint') || has('TableEndpoint'))) return;
  else ctx.addIssue({ code: 'custom', message: 'must hold AccountName and AccountKey (or UseDevelopmentStorage=true)' });
});

// Azurite (local and tests) speaks plain http; the Tables SDK refuses that unless told.
const isPlainHttp = (connectionString: string) =>
  /(^|;)\s*(DefaultEndpointsProtocol=http|UseDevelopmentStorage=true)\s*(;|$)/i.test(connectionString);

const storageGroup: Group<StorageSettings> = {
  keys: STORAGE_KEYS,
  scope: 'start',
  what: 'Herald’s storage is not configured',
  parse: (env) => {
    const parsed = parse(
      env,
      STORAGE_KEYS,
      z
        .object({
          AzureWebJobsStorage: storageConnection.optional(),
          AzureWebJobsStorage__accountName: text()
            .regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name (3 to 24 lower-case letters and digits)')
            .optional(),
          AzureWebJobsStorage__credential: z.literal('managedidentity', 'must be managedidentity').optional(),
          AzureWebJobsStorage__clientId: guid().optional(),
          AZURE_CLIENT_ID: guid().optional(),
        })
        .refine((s) => s.AzureWebJobsStorage || s.AzureWebJobsStorage__accountName, {
          path: ['AzureWebJobsStorage'],
          message: 'is not set, nor is AzureWebJobsStorage__accountName',
        }),
      'start',
    );
    if (!parsed.ok) return parsed;
    const s = parsed.value;
    if (s.AzureWebJobsStorage)
      return {
        ok: true,
        value: { kind: 'connectionString', connectionString: s.AzureWebJobsStorage, plainHttp: isPlainHttp(s.AzureWebJobsStorage) },
      };
    const account = s.AzureWebJobsStorage__accountName!;
    const clientId = s.AzureWebJobsStorage__clientId ?? s.AZURE_CLIENT_ID;
    return {
      ok: true,
      value: {
        kind: 'identity',
        accountName: account,
        endpoints: {
          blob: `https://${account}.blob.core.windows.net`,
          queue: `https://${account}.queue.core.windows.net`,
          table: `https://${account}.table.core.windows.net`,
        },
        managedIdentity: s.AzureWebJobsStorage__credential === 'managedidentity',
        ...(clientId ? { clientId } : {}),
      },
    };
  },
};
export const storageSettings = accessor(storageGroup);

// The identity Herald calls other Azure services and Entra as (ACS email, Graph's federated credential).

export interface IdentitySettings {
  /** A managed identity (on Azure), else DefaultAzureCredential (a developer's sign-in). */
  managedIdentity: boolean;
  clientId?: string;
}

const IDENTITY_KEYS = ['AZURE_CLIENT_ID', 'AzureWebJobsStorage__credential', 'AzureWebJobsStorage__clientId'] as const;
const identityGroup: Group<IdentitySettings> = {
  keys: IDENTITY_KEYS,
  scope: 'start',
  what: 'the app’s identity is not configured',
  parse: (env) => {
    const parsed = parse(
      env,
      IDENTITY_KEYS,
      z.object({
        AZURE_CLIENT_ID: guid().optional(),
        AzureWebJobsStorage__credential: z.string().optional(),
        AzureWebJobsStorage__clientId: guid().optional(),
      }),
      'start',
    );
    if (!parsed.ok) return parsed;
    const s = parsed.value;
    const clientId = s.AZURE_CLIENT_ID ?? s.AzureWebJobsStorage__clientId;
    return {
      ok: true,
      value: {
        managedIdentity: !!s.AZURE_CLIENT_ID || s.AzureWebJobsStorage__credential === 'managedidentity',
        ...(clientId ? { clientId } : {}),
      },
    };
  },
};
export const identitySettings = accessor(identityGroup);

// Access tokens (adapters/runtime/auth.ts).

export interface AuthSettings {
  /** The issuer with `{tenantid}` where the tenant goes, as Entra multi-tenant apps validate it. */
  issuerTemplate: string;
  audience: string;
  jwksUri: string;
}

const AUTH_KEYS = ['AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URI'] as const;
const authGroup: Group<AuthSettings> = {
  keys: AUTH_KEYS,
  scope: 'start',
  what: 'authentication is not configured',
  parse: (env) => {
    const parsed = parse(
      env,
      AUTH_KEYS,
      z.object({
        AUTH_ISSUER: text()
          .includes('{tenantid}', 'must contain {tenantid}')
          .refine((v) => isHttpUrl(v.replace('{tenantid}', 'tenant')), 'must be an http(s) URL'),
        AUTH_AUDIENCE: text(),
        AUTH_JWKS_URI: httpUrl(),
      }),
      'start',
    );
    if (!parsed.ok) return parsed;
    const s = parsed.value;
    return { ok: true, value: { issuerTemplate: s.AUTH_ISSUER, audience: s.AUTH_AUDIENCE, jwksUri: s.AUTH_JWKS_URI } };
  },
};
export const authSettings = accessor(authGroup);

// The console's sign-in (functions/http/consoleConfig.ts): the same issuer as the API's tokens.

export interface ConsoleSettings {
  clientId: string;
  tenant: string;
}

const CONSOLE_KEYS = ['CONSOLE_CLIENT_ID', 'CONSOLE_TENANT'] as const;
const consoleGroup: Group<ConsoleSettings> = {
  keys: CONSOLE_KEYS,
  scope: 'start',
  what: 'the console’s sign-in is not configured',
  parse: (env) => {
    const parsed = parse(
      env,
      CONSOLE_KEYS,
      z.object({
        CONSOLE_CLIENT_ID: text().optional(),
        CONSOLE_TENANT: text()
          .regex(/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|organizations)$/i, 'must be a tenant id or organizations')
          .optional(),
      }),
      'start',
    );
    if (!parsed.ok) return parsed;
    const audience = read(env, 'AUTH_AUDIENCE') ?? '';
    return {
      ok: true,
      value: { clientId: parsed.value.CONSOLE_CLIENT_ID ?? audience, tenant: parsed.value.CONSOLE_TENANT ?? 'organizations' },
    };
  },
};
export const consoleSettings = accessor(consoleGroup);

// Click links (adapters/runtime/clickLinks.ts) and Herald's address, which links and notices carry.

/** Shortest secret accepted: HS256 is only as strong as its key (RFC 7518 §3.2 asks for 256 bits or more). */
export const MIN_SECRET_LENGTH = 32;

const CLICK_KEYS = ['CLICK_LINK_SECRET'] as const;
const clickGroup: Group<string> = {
  keys: CLICK_KEYS,
  scope: 'start',
  what: 'click-tracking links cannot be signed',
  parse: (env) => {
    const parsed = parse(
      env,
      CLICK_KEYS,
      z.object({ CLICK_LINK_SECRET: text().min(MIN_SECRET_LENGTH, `is shorter than ${MIN_SECRET_LENGTH} characters`) }),
      'start',
    );
    return parsed.ok ? { ok: true, value: parsed.value.CLICK_LINK_SECRET } : parsed;
  },
};
export const clickLinkSecret = accessor(clickGroup);

const ADDRESS_KEYS = ['PUBLIC_BASE_URL'] as const;
const addressGroup: Group<string | undefined> = {
  keys: ADDRESS_KEYS,
  scope: 'start',
  what: 'Herald’s public address is not configured',
  parse: (env) => {
    const parsed = parse(env, ADDRESS_KEYS, z.object({ PUBLIC_BASE_URL: httpUrl().optional() }), 'start');
    return parsed.ok ? { ok: true, value: parsed.value.PUBLIC_BASE_URL?.replace(/\/+$/, '') } : parsed;
  },
};
/** `PUBLIC_BASE_URL` without a trailing slash, if set. */
export const publicBaseUrlSetting = accessor(addressGroup);

// The platform's reviewers of Global actionable-message providers (functions/http/providersDecisions.ts).

/** devhost's sample organisation (its Graph stand-in generates it at first start): the local operator. */
export const LOCAL_PLATFORM_TENANT_ID = '5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90';

const PLATFORM_KEYS = ['PLATFORM_TENANT_ID'] as const;
const platformGroup: Group<string | undefined> = {
  keys: PLATFORM_KEYS,
  scope: 'start',
  what: 'the platform’s reviewers cannot be told apart',
  parse: (env) => {
    const parsed = parse(
      env,
      PLATFORM_KEYS,
      z.object({ PLATFORM_TENANT_ID: text().regex(GUID, 'must be a tenant id (a GUID)').optional() }),
      'start',
    );
    if (!parsed.ok) return parsed;
    // Unset on Azure: nobody reviews Global submissions, which wait.
    return {
      ok: true,
      value: (parsed.value.PLATFORM_TENANT_ID ?? (isDevelopment(env) ? LOCAL_PLATFORM_TENANT_ID : undefined))?.toLowerCase(),
    };
  },
};
/** The operator's tenant id (lower case), whose Providers.Review holders review Global providers; undefined: none. */
export const platformTenantId = accessor(platformGroup);

/**
 * The host name the platform gives the app. Read when a link is made, not at start: devhost sets it only
 * once it listens, after the app has loaded.
 */
export const websiteHostname = (env: Env = process.env) => read(env, 'WEBSITE_HOSTNAME');

// Microsoft Graph (adapters/services/graphClient.ts).

export const GRAPH_ORIGIN = 'https://graph.microsoft.com';
export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';

export interface GraphSettings {
  clientId: string;
  /** Without one, the managed identity's token is the client assertion (a federated credential). */
  clientSecret?: string;
  authority: string;
  endpoint: string;
}

const GRAPH_KEYS = ['GRAPH_CLIENT_ID', 'GRAPH_CLIENT_SECRET', 'GRAPH_AUTHORITY', 'GRAPH_ENDPOINT'] as const;
const graphGroup: Group<GraphSettings> = {
  keys: GRAPH_KEYS,
  scope: 'graph',
  what: 'Microsoft Graph cannot be called',
  parse: (env) => {
    const parsed = parse(
      env,
      GRAPH_KEYS,
      z.object({
        GRAPH_CLIENT_ID: text(),
        GRAPH_CLIENT_SECRET: text().optional(),
        GRAPH_AUTHORITY: httpUrl().optional(),
        GRAPH_ENDPOINT: httpUrl().optional(),
      }),
      'graph',
    );
    if (!parsed.ok) return parsed;
    const s = parsed.value;
    return {
      ok: true,
      value: {
        clientId: s.GRAPH_CLIENT_ID,
        ...(s.GRAPH_CLIENT_SECRET ? { clientSecret: s.GRAPH_CLIENT_SECRET } : {}),
        authority: (s.GRAPH_AUTHORITY ?? DEFAULT_AUTHORITY).replace(/\/+$/, ''),
        endpoint: (s.GRAPH_ENDPOINT ?? GRAPH_ORIGIN).replace(/\/+$/, ''),
      },
    };
  },
};
export const graphSettings = accessor(graphGroup);

// Email through Azure Communication Services (adapters/services/acsEmailSender.ts).

export const DEFAULT_SENDER_ADDRESS = 'DoNotReply@herald.example';

export type EmailSettings = {
  /** The resource's endpoint, with no trailing slash: what the log says was called. */
  endpoint: string;
  senderAddress: string;
  /** Only a local endpoint (devhost's stand-in) is plain http. */
  plainHttp: boolean;
} & ({ kind: 'connectionString'; connectionString: string } | { kind: 'identity' });

const acsConnection = text().superRefine((value, ctx) => {
  const pairs = connectionStringPairs(value);
  const endpoint = pairs?.get('endpoint');
  const key = pairs?.get('accesskey');
  if (!endpoint || !isHttpUrl(endpoint)) ctx.addIssue({ code: 'custom', message: 'must hold endpoint=<http(s) URL>' });
  if (!key || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) ctx.addIssue({ code: 'custom', message: 'must hold accesskey=<base64 key>' });
});

const EMAIL_KEYS = ['ACS_EMAIL_CONNECTION_STRING', 'ACS_EMAIL_ENDPOINT', 'EMAIL_SENDER_ADDRESS'] as const;
const emailGroup: Group<EmailSettings> = {
  keys: EMAIL_KEYS,
  scope: 'email',
  what: 'email cannot be sent',
  parse: (env) => {
    const parsed = parse(
      env,
      EMAIL_KEYS,
      z
        .object({
          ACS_EMAIL_CONNECTION_STRING: acsConnection.optional(),
          ACS_EMAIL_ENDPOINT: httpUrl().optional(),
          EMAIL_SENDER_ADDRESS: z.email('must be an email address').optional(),
        })
        .refine((s) => s.ACS_EMAIL_CONNECTION_STRING || s.ACS_EMAIL_ENDPOINT, {
          path: ['ACS_EMAIL_ENDPOINT'],
          message: 'is not set, nor is ACS_EMAIL_CONNECTION_STRING',
        }),
      'email',
    );
    if (!parsed.ok) return parsed;
    const s = parsed.value;
    const senderAddress = s.EMAIL_SENDER_ADDRESS ?? DEFAULT_SENDER_ADDRESS;
    // A key the user supplied wins; the endpoint alone means the app's identity.
    const endpoint = (
      s.ACS_EMAIL_CONNECTION_STRING ? connectionStringPairs(s.ACS_EMAIL_CONNECTION_STRING)!.get('endpoint')! : s.ACS_EMAIL_ENDPOINT!
    ).replace(/\/+$/, '');
    const common = { endpoint, senderAddress, plainHttp: endpoint.startsWith('http://') };
    return {
      ok: true,
      value: s.ACS_EMAIL_CONNECTION_STRING
        ? { ...common, kind: 'connectionString', connectionString: s.ACS_EMAIL_CONNECTION_STRING }
        : { ...common, kind: 'identity' },
    };
  },
};
export const emailSettings = accessor(emailGroup);

// Mobile push (adapters/services/pushProviders.ts). A platform with none of its settings is simply not
// configured (not every tenant has the mobile app): its sends fail saying so, and health stays 200.

/**
 * A secret as a file (locally, devhost's stand-in keys) or as the setting's own text: a Flex Consumption app
 * has no place for secret files, so on Azure it is a Key Vault reference the platform resolves.
 */
export type SecretSource = { file: string } | { text: string };

export interface FcmSettings {
  serviceAccount: SecretSource;
}
const FCM_KEYS = ['FCM_SERVICE_ACCOUNT_FILE', 'FCM_SERVICE_ACCOUNT'] as const;
const serviceAccountJson = text().refine((v) => {
  try {
    const account = JSON.parse(v) as Record<string, unknown>;
    return typeof account.client_email === 'string' && typeof account.private_key === 'string';
  } catch {
    return false;
  }
}, 'must be a service-account JSON with client_email and private_key');
const always = () => true;
const oneOf = (a: string, b: string) => ({ path: [b], message: `is set beside ${a}: set one of the two` });
const fcmGroup: Group<FcmSettings | undefined> = {
  keys: FCM_KEYS,
  scope: 'fcm',
  what: 'Android push cannot be sent',
  parse: (env) => {
    const parsed = parse(
      env,
      FCM_KEYS,
      z
        .object({ FCM_SERVICE_ACCOUNT_FILE: text().optional(), FCM_SERVICE_ACCOUNT: serviceAccountJson.optional() })
        .refine((s) => !(s.FCM_SERVICE_ACCOUNT_FILE && s.FCM_SERVICE_ACCOUNT), oneOf('FCM_SERVICE_ACCOUNT_FILE', 'FCM_SERVICE_ACCOUNT')),
      'fcm',
    );
    if (!parsed.ok) return parsed;
    const { FCM_SERVICE_ACCOUNT_FILE: file, FCM_SERVICE_ACCOUNT: json } = parsed.value;
    return { ok: true, value: file ? { serviceAccount: { file } } : json ? { serviceAccount: { text: json } } : undefined };
  },
};
export const fcmSettings = accessor(fcmGroup);

export interface ApnsSettings {
  key: SecretSource;
  keyId: string;
  teamId: string;
  topic: string;
  production: boolean;
}
const APNS_REQUIRED = ['APNS_KEY_FILE', 'APNS_KEY', 'APNS_KEY_ID', 'APNS_TEAM_ID', 'APNS_TOPIC'] as const;
const APNS_KEYS = [...APNS_REQUIRED, 'APNS_PRODUCTION'] as const;
const appleId = (what: string) => text().regex(/^[A-Z0-9]{10}$/, `must be the 10-character ${what} (capital letters and digits)`);
const apnsGroup: Group<ApnsSettings | undefined> = {
  keys: APNS_KEYS,
  scope: 'apns',
  what: 'iOS push cannot be sent',
  parse: (env) => {
    if (APNS_REQUIRED.every((k) => read(env, k) === undefined) && read(env, 'APNS_PRODUCTION') === undefined)
      return { ok: true, value: undefined };
    const parsed = parse(
      env,
      APNS_KEYS,
      z
        .object({
          APNS_KEY_FILE: text().optional(),
          APNS_KEY: text().includes('-----BEGIN PRIVATE KEY-----', 'must be the .p8 key’s text, -----BEGIN PRIVATE KEY-----…').optional(),
          APNS_KEY_ID: appleId('key id'),
          APNS_TEAM_ID: appleId('team id'),
          APNS_TOPIC: text().regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'must be a bundle id such as com.contoso.herald'),
          APNS_PRODUCTION: z.enum(['true', 'false'], 'must be true or false').optional(),
        })
        // Run beside the other settings' own checks, so one answer names everything that is missing.
        .refine((s) => s.APNS_KEY_FILE || s.APNS_KEY, { path: ['APNS_KEY_FILE'], message: 'is not set, nor is APNS_KEY', when: always })
        .refine((s) => !(s.APNS_KEY_FILE && s.APNS_KEY), { ...oneOf('APNS_KEY_FILE', 'APNS_KEY'), when: always }),
      'apns',
    );
    if (!parsed.ok) return parsed;
    const s = parsed.value;
    return {
      ok: true,
      value: {
        key: s.APNS_KEY_FILE ? { file: s.APNS_KEY_FILE } : { text: s.APNS_KEY! },
        keyId: s.APNS_KEY_ID,
        teamId: s.APNS_TEAM_ID,
        topic: s.APNS_TOPIC,
        production: s.APNS_PRODUCTION !== 'false',
      },
    };
  },
};
export const apnsSettings = accessor(apnsGroup);

export interface PushRedirect {
  host: string;
  port: number;
  caFile?: string;
}
const REDIRECT_KEYS = ['PUSH_CONNECT_TO', 'PUSH_CA_FILE'] as const;
const redirectGroup: Group<PushRedirect | undefined> = {
  keys: REDIRECT_KEYS,
  scope: 'push',
  what: 'mobile push cannot be sent',
  parse: (env) => {
    const parsed = parse(
      env,
      REDIRECT_KEYS,
      z.object({
        PUSH_CONNECT_TO: text()
          .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port')
          .optional(),
        PUSH_CA_FILE: text().optional(),
      }),
      'push',
    );
    if (!parsed.ok) return parsed;
    const { PUSH_CONNECT_TO: to, PUSH_CA_FILE: caFile } = parsed.value;
    if (!to) return { ok: true, value: undefined };
    const at = to.lastIndexOf(':');
    return {
      ok: true,
      value: { host: to.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(to.slice(at + 1)), ...(caFile ? { caFile } : {}) },
    };
  },
};
/** Where both providers' connections go instead of the providers (devhost's stand-in), if anywhere. */
export const pushRedirect = accessor(redirectGroup);

// Pacing and leases: whole-app numbers, so a typo stops the start rather than silently using the default.

export interface Limits {
  teamsRequestsPerSecond: number;
  emailSendsPerSecond: number;
  pushThrottlePauseMs: number;
  deliveryLeaseMs: number;
}
const LIMIT_KEYS = [
  'TEAMS_REQUESTS_PER_SECOND',
  'EMAIL_SENDS_PER_SECOND',
  'PUSH_THROTTLE_PAUSE_SECONDS',
  'DELIVERY_LEASE_SECONDS',
] as const;
const limitsGroup: Group<Limits> = {
  keys: LIMIT_KEYS,
  scope: 'start',
  what: 'delivery pacing is not configured',
  parse: (env) => {
    const parsed = parse(
      env,
      LIMIT_KEYS,
      z.object({
        TEAMS_REQUESTS_PER_SECOND: number('zero').default(2),
        EMAIL_SENDS_PER_SECOND: number('zero').default(0.5),
        PUSH_THROTTLE_PAUSE_SECONDS: number('above zero').default(30),
        DELIVERY_LEASE_SECONDS: number('above zero').default(10),
      }),
      'start',
    );
    if (!parsed.ok) return parsed;
    const s = parsed.value;
    return {
      ok: true,
      value: {
        teamsRequestsPerSecond: s.TEAMS_REQUESTS_PER_SECOND,
        emailSendsPerSecond: s.EMAIL_SENDS_PER_SECOND,
        pushThrottlePauseMs: s.PUSH_THROTTLE_PAUSE_SECONDS * 1000,
        deliveryLeaseMs: s.DELIVERY_LEASE_SECONDS * 1000,
      },
    };
  },
};
export const limits = accessor(limitsGroup);

// Actionable email (functions/http/actionable*.ts): how Outlook's action tokens are checked
// (adapters/runtime/actionTokenValidator.ts) and the key Herald signs relayed actions with.

export const ENTRA_ACTION_ISSUERS = ['https://sts.windows.net/{tenantid}/', 'https://login.microsoftonline.com/{tenantid}/v2.0'];
export const ENTRA_ACTION_JWKS_URI = 'https://login.microsoftonline.com/{tenantid}/discovery/v2.0/keys';

export interface ActionableSettings {
  tokenIssuers: string[];
  tokenJwksUri: string;
  tokenScopes: string[];
  /** PKCS#8 PEM or a private JWK as JSON. Unset: a key made at start in Development, else actionable email is off. */
  signingKey?: string;
}

const ACTIONABLE_KEYS = [
  'ACTIONABLE_TOKEN_ISSUERS',
  'ACTIONABLE_TOKEN_JWKS_URI',
  'ACTIONABLE_TOKEN_SCOPES',
  'ACTIONABLE_SIGNING_KEY',
] as const;
const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const looksLikePrivateKey = (v: string) => {
  if (/^-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----\s*$/.test(v.trim())) return true;
  try {
    const jwk = JSON.parse(v) as { kty?: unknown; d?: unknown };
    return jwk.kty === 'RSA' && typeof jwk.d === 'string';
  } catch {
    return false;
  }
};
const actionableGroup: Group<ActionableSettings> = {
  keys: ACTIONABLE_KEYS,
  scope: 'actionable',
  what: 'actionable email cannot be sent or its actions relayed',
  parse: (env) => {
    const parsed = parse(
      env,
      ACTIONABLE_KEYS,
      z.object({
        ACTIONABLE_TOKEN_ISSUERS: text()
          .refine(
            (v) => list(v).length > 0 && list(v).every((i) => i.includes('{tenantid}') && isHttpUrl(i.replace('{tenantid}', 'tenant'))),
            'must be http(s) URLs, each with {tenantid}',
          )
          .optional(),
        ACTIONABLE_TOKEN_JWKS_URI: text()
          .refine((v) => isHttpUrl(v.replace('{tenantid}', 'tenant')), 'must be an http(s) URL')
          .optional(),
        ACTIONABLE_TOKEN_SCOPES: text().optional(),
        ACTIONABLE_SIGNING_KEY: text().refine(looksLikePrivateKey, 'must be an RSA private key: PKCS#8 PEM or a private JWK').optional(),
      }),
      'actionable',
    );
    if (!parsed.ok) return parsed;
    const s = parsed.value;
    return {
      ok: true,
      value: {
        tokenIssuers: s.ACTIONABLE_TOKEN_ISSUERS ? list(s.ACTIONABLE_TOKEN_ISSUERS) : ENTRA_ACTION_ISSUERS,
        tokenJwksUri: s.ACTIONABLE_TOKEN_JWKS_URI ?? ENTRA_ACTION_JWKS_URI,
        tokenScopes: list(s.ACTIONABLE_TOKEN_SCOPES),
        ...(s.ACTIONABLE_SIGNING_KEY ? { signingKey: s.ACTIONABLE_SIGNING_KEY } : {}),
      },
    };
  },
};
export const actionableSettings = accessor(actionableGroup);

const GROUPS: readonly Group<unknown>[] = [
  storageGroup,
  identityGroup,
  authGroup,
  consoleGroup,
  clickGroup,
  addressGroup,
  platformGroup,
  limitsGroup,
  graphGroup,
  emailGroup,
  fcmGroup,
  apnsGroup,
  redirectGroup,
  actionableGroup,
];

// Outside Development: the values local.settings.sample.json ships, and endpoints on this machine, are
// devhost's stand-ins. On Azure they would mean forgeable click links or calls that go nowhere.

const SAMPLE_SECRETS: Record<string, readonly string[]> = {
  CLICK_LINK_SECRET: ['local-only-click-link-secret-change-me-in-azure'],
  GRAPH_CLIENT_SECRET: ['local-secret'],
};

/** The host each endpoint setting names, however the setting writes it. */
const ENDPOINT_HOSTS: Record<string, (value: string) => string | undefined> = {
  AUTH_ISSUER: (v) => hostOf(v.replace('{tenantid}', 'tenant')),
  AUTH_JWKS_URI: (v) => hostOf(v),
  GRAPH_AUTHORITY: (v) => hostOf(v),
  GRAPH_ENDPOINT: (v) => hostOf(v),
  ACS_EMAIL_ENDPOINT: (v) => hostOf(v),
  ACS_EMAIL_CONNECTION_STRING: (v) => hostOf(connectionStringPairs(v)?.get('endpoint') ?? ''),
  PUSH_CONNECT_TO: (v) => v.slice(0, v.lastIndexOf(':')).replace(/^\[|\]$/g, ''),
  ACTIONABLE_TOKEN_JWKS_URI: (v) => hostOf(v.replace('{tenantid}', 'tenant')),
};

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

export const isLoopback = (host: string) => {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h) || h === '::1';
};

function productionProblems(env: Env): SettingProblem[] {
  const problems: SettingProblem[] = [];
  for (const [setting, samples] of Object.entries(SAMPLE_SECRETS)) {
    if (samples.includes(read(env, setting) ?? ''))
      problems.push({
        setting,
        problem: 'is the sample value from local.settings.sample.json, refused outside Development',
        fix: fixFor(setting),
        scope: 'start',
      });
  }
  for (const [setting, hostIn] of Object.entries(ENDPOINT_HOSTS)) {
    const value = read(env, setting);
    const host = value === undefined ? undefined : hostIn(value);
    if (host !== undefined && isLoopback(host))
      problems.push({
        setting,
        problem: `points at this machine (${host}), refused outside Development`,
        fix: fixFor(setting),
        scope: 'start',
      });
  }
  return problems;
}

/** Every setting that is wrong in `env`, each once, the app-stopping ones first. */
export function settingsProblems(env: Env = process.env): SettingProblem[] {
  const found = [
    ...GROUPS.flatMap((g) => g.parse(env)).flatMap((p) => (p.ok ? [] : p.problems)),
    ...(isDevelopment(env) ? [] : productionProblems(env)),
  ];
  const seen = new Set<string>();
  const unique = found.filter((p) => {
    const key = `${p.setting}\n${p.problem}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return [...unique.filter((p) => p.scope === 'start'), ...unique.filter((p) => p.scope !== 'start')];
}

const count = (problems: readonly SettingProblem[]) => (problems.length === 1 ? 'a setting is' : `${problems.length} settings are`);

/** What the problems stop, in one line. */
export function settingsHeadline(problems: readonly SettingProblem[], env: Env = process.env): string {
  const mode = isDevelopment(env)
    ? 'AZURE_FUNCTIONS_ENVIRONMENT is Development'
    : 'AZURE_FUNCTIONS_ENVIRONMENT is not Development, so local values are refused';
  if (problems.some((p) => p.scope === 'start')) return `Herald cannot start: ${count(problems)} wrong (${mode})`;
  const stopped = [...new Set(problems.map((p) => SCOPES[p.scope]))].join(', ');
  return `Herald is running without ${stopped}: ${count(problems)} wrong (${mode})`;
}

/** One message naming every problem and how to fix it, for a person reading the host's log. */
export function settingsReport(problems: readonly SettingProblem[], env: Env = process.env): string {
  const lines = problems.map((p) => `  - ${describeProblem(p)}${p.scope === 'start' ? '' : ` [stops ${SCOPES[p.scope]}]`}`);
  return [
    `${settingsHeadline(problems, env)}:`,
    ...lines,
    'Set them in the function app’s environment variables (locally: local.settings.json) and restart it.',
  ].join('\n');
}

/**
 * The load-time check: throws when a setting stops the app (the host then reports the function app failed
 * to start, with this message); returns the problems that only stop one outside service.
 */
export function checkSettingsAtStart(env: Env = process.env): SettingProblem[] {
  const problems = settingsProblems(env);
  if (problems.some((p) => p.scope === 'start')) throw new Error(settingsReport(problems, env));
  return problems;
}
