/**
 * Microsoft Graph clients, one per tenant, authenticated as Herald's app registration (OAuth 2.0 client
 * credentials). Settings (adapters/runtime/settings.ts `graphSettings`): `GRAPH_CLIENT_ID`, and the proof of
 * being that app: `GRAPH_CLIENT_SECRET` when given, else a token of the app's managed identity for
 * `api://AzureADTokenExchange`, which the app registration trusts as a federated credential (docs/deploy.md,
 * section 3 B). `GRAPH_AUTHORITY` (default login.microsoftonline.com) and `GRAPH_ENDPOINT` (default
 * graph.microsoft.com) point a local run at devhost's stand-ins. Requests are built for graph.microsoft.com
 * either way (so the SDK attaches the token and follows nextLinks) and the last middleware sends them to
 * `GRAPH_ENDPOINT`.
 */
import {
  AuthenticationHandler,
  Client,
  RetryHandler,
  RetryHandlerOptions,
  type AuthenticationProvider,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import type { TokenCredential } from '@azure/identity';
import { appCredential } from '../runtime/credentials.js';
import { addressOf, fetchFrom, whyFailed } from '../runtime/outsideCalls.js';
import { GRAPH_ORIGIN, graphSettings, type GraphSettings as Settings } from '../runtime/settings.js';

export { GRAPH_ORIGIN } from '../runtime/settings.js';
/** Refresh this long before expiry: the bulk Teams call refuses tokens with less than 45 minutes left. */
const REFRESH_MARGIN_MS = 50 * 60_000;
/** What a managed identity's token must be for to be accepted as an app registration's federated credential. */
export const TOKEN_EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';

interface CachedToken {
  token: string;
  /** Wall-clock epoch ms: token lifetimes are real time, whatever clock the app runs on. */
  expiresAt: number;
}

const tokens = new Map<string, Promise<CachedToken>>();
const clients = new Map<string, Client>();
const cacheKey = (tenantId: string, s: Settings) => `${tenantId.toLowerCase()}|${s.authority}|${s.endpoint}|${s.clientId}`;

/**
 * How Herald proves it is the app registration: its secret, or a token of the managed identity that the
 * registration trusts (no secret to store or rotate).
 */
export async function clientProof(s: Settings, credential: () => TokenCredential = appCredential): Promise<Record<string, string>> {
  if (s.clientSecret) return { client_secret: s.clientSecret };
  let assertion: string | undefined;
  try {
    assertion = (await credential().getToken(TOKEN_EXCHANGE_SCOPE))?.token;
  } catch (error) {
    throw new Error(
      `Graph token: GRAPH_CLIENT_SECRET is not set and the managed identity gave no token for ${TOKEN_EXCHANGE_SCOPE}: ${whyFailed(error)}`,
      {
        cause: error,
      },
    );
  }
  if (!assertion) throw new Error(`Graph token: the managed identity gave no token for ${TOKEN_EXCHANGE_SCOPE}`);
  return { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
}

async function requestToken(tenantId: string, s: Settings): Promise<CachedToken> {
  const url = `${s.authority}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
  const res = await fetchFrom('Graph token', url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: s.clientId,
      ...(await clientProof(s)),
      scope: `${GRAPH_ORIGIN}/.default`,
    }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!res.ok || !body.access_token)
    throw new Error(
      `Graph token for tenant ${tenantId} from ${addressOf(url)}: ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`.trim(),
    );
  return { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3599) * 1000 };
}

/**
 * An app token for the tenant, cached and refreshed once fewer than 50 minutes remain. `fresh` drops the
 * cached one first (after Graph refused it, e.g. 412 on a bulk Teams send).
 */
export async function graphToken(tenantId: string, options: { fresh?: boolean } = {}): Promise<string> {
  const s = graphSettings();
  const key = cacheKey(tenantId, s);
  const cached = tokens.get(key);
  if (!options.fresh && cached) {
    const current = await cached.catch(() => undefined);
    if (current && current.expiresAt - Date.now() > REFRESH_MARGIN_MS) return current.token;
  }
  // One request at a time per tenant: concurrent callers share it.
  const pending = requestToken(tenantId, s);
  tokens.set(key, pending);
  try {
    return (await pending).token;
  } catch (error) {
    if (tokens.get(key) === pending) tokens.delete(key);
    throw error;
  }
}

/** The last middleware: sends the request, to `GRAPH_ENDPOINT` instead of graph.microsoft.com when it is set. */
class EndpointFetchHandler implements Middleware {
  constructor(private readonly endpoint: string) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const target = url.startsWith(GRAPH_ORIGIN) ? this.endpoint + url.slice(GRAPH_ORIGIN.length) : url;
    context.response = await fetchFrom('Graph', target, context.options as RequestInit);
  }
}

/**
 * The tenant's Graph client: bearer token, retries of 429/503/504 honouring `Retry-After` (up to 3, as the SDK
 * defaults), then the request. A call that must see a 429 itself passes `noRetry` as a middleware option.
 */
export function graphClient(tenantId: string): Client {
  const s = graphSettings();
  const key = cacheKey(tenantId, s);
  let client = clients.get(key);
  if (!client) {
    const authProvider: AuthenticationProvider = { getAccessToken: () => graphToken(tenantId) };
    client = Client.initWithMiddleware({
      middleware: [
        new AuthenticationHandler(authProvider),
        new RetryHandler(new RetryHandlerOptions()),
        new EndpointFetchHandler(s.endpoint),
      ],
    });
    clients.set(key, client);
  }
  return client;
}

/** Per-request middleware option that turns the RetryHandler off (the caller schedules its own retries). */
export const noRetry = () => new RetryHandlerOptions(0, 0);
