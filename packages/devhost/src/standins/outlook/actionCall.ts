/**
 * What Outlook does when a person presses an `Action.Http` (or opens a mail whose card has an
 * `autoInvokeAction`): inputs substituted, the URL checked (https, under one of the provider's target
 * URLs), an Entra-shaped bearer token minted for the person, the request sent with `Card-Correlation-Id`,
 * `Action-Request-Id` and the card's headers, and the answer read as Outlook reads it: 2xx shows
 * `CARD-ACTION-STATUS` and, with `CARD-UPDATE-IN-BODY: true`, replaces the card; 4xx shows the header or
 * the generic error; 401 with `ACTION-AUTHENTICATE` asks the person to sign in; 5xx and timeouts show
 * the generic error. Clicks wait 15 s, auto-invoke 2 s.
 */
import { randomUUID } from 'node:crypto';
import type { Provider } from './dashboard.js';
import { forOutlook, parseCard, substitute, type Json } from './outlookCard.js';

export const CLICK_TIMEOUT_MS = 15_000;
export const AUTO_INVOKE_TIMEOUT_MS = 2_000;
export const GENERIC_ERROR = 'An error occurred. Please try again later.';

export type ActionOutcome =
  | { kind: 'status'; httpStatus: number; status?: string }
  | { kind: 'refresh'; httpStatus: number; status?: string; card: Json }
  | { kind: 'error'; httpStatus?: number; status: string; detail: string }
  | { kind: 'authenticate'; httpStatus: 401; url: string }
  /** Refused before any request went out (the URL, the message's age). */
  | { kind: 'refused'; status: string; detail: string };

export interface ActionCallDeps {
  /** A bearer token for the person, shaped as Entra issues one to the Actions app for the provider's API. */
  token: (audience: string, scope: string | undefined) => Promise<string>;
  fetch: typeof fetch;
  /** http(s)://localhost and 127.0.0.1 action URLs are allowed (DEVHOST_OUTLOOK_ALLOW_LOOPBACK). */
  allowLoopback: boolean;
}

export interface ActionCall {
  action: Json;
  inputs: Record<string, string>;
  provider: Provider | undefined;
  correlationId: string | undefined;
  timeoutMs: number;
  /** A request id for this execution: given when a test wants to see a retry of the same one. */
  requestId?: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why Outlook would not call `url` for this provider, or undefined when it would. */
export function urlProblem(url: string, provider: Provider | undefined, allowLoopback: boolean): string | undefined {
  if (!URL.canParse(url)) return `The action URL ${url} is not a URL.`;
  const u = new URL(url);
  const loopback = LOOPBACK.has(u.hostname);
  if (loopback && !allowLoopback) return `The action URL ${url} names localhost, which Outlook cannot reach.`;
  if (u.protocol !== 'https:' && !(loopback && u.protocol === 'http:')) return `The action URL ${url} is not https.`;
  if (!provider) return undefined;
  const under = provider.targetUrls.some((t) => {
    const target = new URL(t);
    const sameHost = u.hostname === target.hostname || u.hostname.endsWith(`.${target.hostname}`);
    const path = target.pathname.endsWith('/') ? target.pathname : `${target.pathname}/`;
    return (
      u.protocol === target.protocol && u.port === target.port && sameHost && (`${u.pathname}/`.startsWith(path) || target.pathname === '/')
    );
  });
  return under
    ? undefined
    : `The action URL ${url} is not under a target URL of provider ${provider.id} (${provider.targetUrls.join(', ')}).`;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers.get(name);
  return value === null || value === '' ? undefined : value;
}

export async function callAction(call: ActionCall, deps: ActionCallDeps): Promise<ActionOutcome> {
  const { action, inputs, provider } = call;
  const method = typeof action.method === 'string' ? action.method.toUpperCase() : 'POST';
  const url = substitute(typeof action.url === 'string' ? action.url : '', inputs, true);
  const problem = urlProblem(url, provider, deps.allowLoopback);
  if (problem) return { kind: 'refused', status: GENERIC_ERROR, detail: problem };
  if (method !== 'GET' && method !== 'POST')
    return { kind: 'refused', status: GENERIC_ERROR, detail: `method ${method} is neither GET nor POST` };

  // Without an Entra app (a self-mail card), the token is for the action's origin, as the retired token was.
  const token = await deps.token(provider?.entraAppId ?? new URL(url).origin, provider?.apiScope);
  const headers = new Headers();
  let tokenHeader = 'Authorization';
  for (const h of Array.isArray(action.headers) ? (action.headers as Json[]) : []) {
    if (typeof h.name !== 'string') continue;
    const value = substitute(typeof h.value === 'string' ? h.value : '', inputs, false);
    // An empty Authorization header asks for the token in Action-Authorization instead.
    if (h.name.toLowerCase() === 'authorization' && value === '') tokenHeader = 'Action-Authorization';
    else headers.set(h.name, value);
  }
  headers.set(tokenHeader, `Bearer ${token}`);
  headers.set('Action-Request-Id', call.requestId ?? randomUUID());
  if (call.correlationId) headers.set('Card-Correlation-Id', call.correlationId);
  const body = method === 'POST' ? substitute(typeof action.body === 'string' ? action.body : '', inputs, false) : undefined;

  let res: Response;
  let text: string;
  try {
    const signal = AbortSignal.timeout(call.timeoutMs);
    res = await deps.fetch(url, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual', signal });
    text = await res.text();
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return {
      kind: 'error',
      status: GENERIC_ERROR,
      detail: timedOut ? `no answer within ${call.timeoutMs / 1000} s` : `the request failed: ${(error as Error).message}`,
    };
  }
  const status = header(res.headers, 'CARD-ACTION-STATUS');
  if (res.status === 401 && header(res.headers, 'ACTION-AUTHENTICATE'))
    return { kind: 'authenticate', httpStatus: 401, url: header(res.headers, 'ACTION-AUTHENTICATE')! };
  if (res.status >= 200 && res.status < 300) {
    if (header(res.headers, 'CARD-UPDATE-IN-BODY')?.toLowerCase() !== 'true')
      return { kind: 'status', httpStatus: res.status, ...(status ? { status } : {}) };
    const parsed = parseCard(text);
    if ('error' in parsed)
      return { kind: 'error', httpStatus: res.status, status: GENERIC_ERROR, detail: `the refresh card: ${parsed.error}` };
    return { kind: 'refresh', httpStatus: res.status, ...(status ? { status } : {}), card: forOutlook(parsed.card).card };
  }
  if (res.status >= 400 && res.status < 500)
    return { kind: 'error', httpStatus: res.status, status: status ?? GENERIC_ERROR, detail: `${res.status} ${res.statusText}` };
  return { kind: 'error', httpStatus: res.status, status: GENERIC_ERROR, detail: `${res.status} ${res.statusText}` };
}
