import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OutputBindings } from '../bindings/outputs.js';
import type { RegisteredFunction, RpcHttpCookie, RpcTypedData } from '../coreTypes.js';
import type { Invoker } from '../invoker.js';
import type { Logger } from '../log.js';
import { applyCors, answerPreflight, type CorsOptions } from './cors.js';
import { authorized, presentedKey, type AuthLevel, type Keys } from './keys.js';
import { compareRoutes, compileRoute, matchRoute, type CompiledRoute } from './routes.js';

export interface HttpFunction {
  fn: RegisteredFunction;
  triggerName: string;
  route: CompiledRoute;
  methods: Set<string> | undefined;
  authLevel: AuthLevel;
  /** Set when the function uses something devhost cannot run: it answers 501 with this reason. */
  unsupported?: string;
}

export function httpFunction(fn: RegisteredFunction, triggerName: string, unsupported?: string): HttpFunction {
  const binding = fn.metadata.bindings[triggerName]!;
  const template = typeof binding.route === 'string' && binding.route !== '' ? binding.route : fn.metadata.name;
  const methods =
    Array.isArray(binding.methods) && binding.methods.length > 0 ? new Set(binding.methods.map((m) => String(m).toUpperCase())) : undefined;
  const level = String(binding.authLevel ?? 'anonymous').toLowerCase();
  if (level !== 'anonymous' && level !== 'function' && level !== 'admin') {
    throw new Error(`${fn.metadata.name}: authLevel must be anonymous, function or admin, got "${level}"`);
  }
  let route: CompiledRoute;
  try {
    route = compileRoute(template);
  } catch (error) {
    throw new Error(`${fn.metadata.name}: ${(error as Error).message}`);
  }
  return { fn, triggerName, route, methods, authLevel: level, unsupported };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** The query as the host sends it: one string per key, repeated keys joined with commas (ASP.NET's `StringValues`). */
function queryMap(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) out[key] = url.searchParams.getAll(key).join(',');
  return out;
}

const nullable = (map: Record<string, string>) => Object.fromEntries(Object.entries(map).map(([k, v]) => [k, { value: v }]));

/**
 * The trigger's HTTP data as the Functions host sends it: the query both as `query` and `nullableQuery`, one string
 * per key (the host's `StringValues.ToString()` joins repeated values with commas), and a body only when the
 * request has content. Each @azure/functions 4.x depends on it: 4.3 takes the query from these maps only, never
 * from the URL; up to 4.5 any body, even an empty one, goes to `new Request`, which refuses one on GET and HEAD.
 */
export function httpTriggerData(method: string, url: URL, headers: Record<string, string>, params: Record<string, string>, body: Buffer) {
  const query = queryMap(url);
  return {
    method,
    url: url.href,
    headers,
    nullableHeaders: nullable(headers),
    query,
    nullableQuery: nullable(query),
    params,
    nullableParams: nullable(params),
    ...(body.length > 0 ? { body: { bytes: body } } : {}),
  };
}

function serializeCookie(c: RpcHttpCookie): string {
  const parts = [`${c.name ?? ''}=${c.value ?? ''}`];
  if (c.domain?.value) parts.push(`Domain=${c.domain.value}`);
  if (c.path?.value) parts.push(`Path=${c.path.value}`);
  const expires = c.expires?.value?.seconds;
  if (expires !== undefined && expires !== null) parts.push(`Expires=${new Date(Number(expires) * 1000).toUTCString()}`);
  if (c.maxAge?.value !== undefined && c.maxAge?.value !== null) parts.push(`Max-Age=${c.maxAge.value}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  const sameSite = { lax: 'Lax', strict: 'Strict', explicitNone: 'None' }[String(c.sameSite)];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

function bodyBytes(body: RpcTypedData | null | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes) return Buffer.from(body.bytes);
  if (body.string !== undefined && body.string !== null) return Buffer.from(body.string);
  if (body.json !== undefined && body.json !== null) return Buffer.from(body.json);
  return Buffer.alloc(0);
}

/** Serves the app's HTTP-triggered functions under the route prefix. */
export class HttpFunctions {
  #routes: HttpFunction[] = [];

  constructor(
    private readonly routePrefix: string,
    private readonly cors: CorsOptions,
    private readonly keys: Keys | undefined,
    private readonly invoker: Invoker,
    private readonly outputs: OutputBindings,
    private readonly logger: Logger,
  ) {}

  add(entry: HttpFunction): void {
    this.#routes.push(entry);
    this.#routes.sort((a, b) => compareRoutes(a.route, b.route));
  }

  get all(): readonly HttpFunction[] {
    return this.#routes;
  }

  /** The function path below the prefix, or undefined when the request is outside the prefix. */
  #functionPath(pathname: string): string | undefined {
    if (!this.routePrefix) return pathname;
    const prefix = `/${this.routePrefix}`;
    if (pathname.toLowerCase() === prefix.toLowerCase()) return '/';
    return pathname.toLowerCase().startsWith(prefix.toLowerCase() + '/') ? pathname.slice(prefix.length) : undefined;
  }

  /** Returns false when no function route claims the request. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = this.#functionPath(url.pathname);
    if (path === undefined) return false;
    if (answerPreflight(this.cors, req, res)) return true;
    const method = (req.method ?? 'GET').toUpperCase();
    let allowed: Set<string> | undefined;
    for (const entry of this.#routes) {
      const params = matchRoute(entry.route, path);
      if (!params) continue;
      if (entry.methods && !entry.methods.has(method)) {
        allowed = new Set([...(allowed ?? []), ...entry.methods]);
        continue;
      }
      await this.#invoke(entry, params, req, res, url);
      return true;
    }
    applyCors(this.cors, req, res);
    if (allowed) res.writeHead(405, { Allow: [...allowed].join(', ') }).end();
    else res.writeHead(404).end();
    return true;
  }

  async #invoke(entry: HttpFunction, params: Record<string, string>, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const name = entry.fn.metadata.name;
    applyCors(this.cors, req, res);
    if (!authorized(this.keys, entry.authLevel, name, presentedKey(url, req.headers))) {
      res.writeHead(401).end();
      return;
    }
    if (entry.unsupported) {
      res.writeHead(501, { 'content-type': 'text/plain; charset=utf-8' }).end(entry.unsupported);
      return;
    }
    const body = await readBody(req);
    const trigger = httpTriggerData((req.method ?? 'GET').toUpperCase(), url, flatHeaders(req), params, body);
    const result = await this.invoker.invoke(entry.fn, { inputData: [{ name: entry.triggerName, data: { http: trigger } }] });
    if (!result.ok) {
      res.writeHead(500).end();
      return;
    }
    try {
      await this.outputs.apply(entry.fn, result.response);
    } catch (error) {
      this.logger.error(`writing output bindings failed: ${(error as Error).message}`, {
        functionName: name,
        invocationId: result.invocationId,
      });
      res.writeHead(500).end();
      return;
    }
    const http = this.#httpOutput(entry.fn, result.response.returnValue, result.response.outputData);
    if (!http) {
      // A handler that returns nothing: we answer 204, the closest to the real host's empty response.
      res.writeHead(204).end();
      return;
    }
    const status = Number(http.statusCode ?? 200) || 200;
    for (const [k, v] of Object.entries(http.headers ?? {})) res.setHeader(k, v);
    const cookies = (http.cookies ?? []).map(serializeCookie);
    if (cookies.length) res.appendHeader('Set-Cookie', cookies);
    const bytes = bodyBytes(http.body as RpcTypedData | undefined);
    const noBody = req.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    if (!noBody && !res.hasHeader('content-length')) res.setHeader('content-length', bytes.length);
    res.writeHead(status).end(noBody ? undefined : bytes);
  }

  #httpOutput(
    fn: RegisteredFunction,
    returnValue: RpcTypedData | null | undefined,
    outputData: { name?: string | null; data?: RpcTypedData | null }[] | null | undefined,
  ) {
    if (returnValue?.http) return returnValue.http;
    for (const o of outputData ?? []) {
      const binding = o.name ? fn.metadata.bindings[o.name] : undefined;
      if (binding?.type?.toLowerCase() === 'http' && o.data?.http) return o.data.http;
    }
    return undefined;
  }
}
