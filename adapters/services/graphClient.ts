/**
 * Microsoft Graph clients, one per tenant, authenticated as Herald's app (OAuth 2.0 client credentials).
 * Settings: `GRAPH_CLIENT_ID`, `GRAPH_CLIENT_SECRET`; `GRAPH_AUTHORITY` (default login.microsoftonline.com)
 * and `GRAPH_ENDPOINT` (default graph.microsoft.com) point a local run at devhost's stand-ins. Requests are
 * built for graph.microsoft.com either way (so the SDK attaches the token and follows nextLinks) and the
 * last middleware sends them to `GRAPH_ENDPOINT`.
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

export const GRAPH_ORIGIN = 'https://graph.microsoft.com';
const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
/** Refresh this long before expiry: the bulk Teams call refuses tokens with less than 45 minutes left. */
const REFRESH_MARGIN_MS = 50 * 60_000;

interface Settings {
  clientId: string;
  clientSecret: string;
  authority: string;
  endpoint: string;
}

function settings(): Settings {
  const clientId = process.env.GRAPH_CLIENT_ID;
  const clientSecret = process.env.GRAPH_CLIENT_SECRET;
  if (!clientId || !clientSecret) throw new Error('GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET must be set to call Microsoft Graph');
  return {
    clientId,
    clientSecret,
    authority: (process.env.GRAPH_AUTHORITY || DEFAULT_AUTHORITY).replace(/\/+$/, ''),
    endpoint: (process.env.GRAPH_ENDPOINT || GRAPH_ORIGIN).replace(/\/+$/, ''),
  };
}

interface CachedToken {
  token: string;
  /** Wall-clock epoch ms: token lifetimes are real time, whatever clock the app runs on. */
  expiresAt: number;
}

const tokens = new Map<string, Promise<CachedToken>>();
const clients = new Map<string, Client>();
const cacheKey = (tenantId: string, s: Settings) => `${tenantId.toLowerCase()}|${s.authority}|${s.endpoint}|${s.clientId}`;

async function requestToken(tenantId: string, s: Settings): Promise<CachedToken> {
  const res = await fetch(`${s.authority}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: s.clientId,
      client_secret: s.clientSecret,
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
    throw new Error(`Graph token for tenant ${tenantId}: ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`.trim());
  return { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3599) * 1000 };
}

/**
 * An app token for the tenant, cached and refreshed once fewer than 50 minutes remain. `fresh` drops the
 * cached one first (after Graph refused it, e.g. 412 on a bulk Teams send).
 */
export async function graphToken(tenantId: string, options: { fresh?: boolean } = {}): Promise<string> {
  const s = settings();
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
    context.response = await fetch(target, context.options as RequestInit);
  }
}

/**
 * The tenant's Graph client: bearer token, retries of 429/503/504 honouring `Retry-After` (up to 3, as the SDK
 * defaults), then the request. A call that must see a 429 itself passes `noRetry` as a middleware option.
 */
export function graphClient(tenantId: string): Client {
  const s = settings();
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
