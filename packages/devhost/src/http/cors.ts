import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CorsOptions {
  origins: string[];
  credentials: boolean;
}

function allowedOrigin(opts: CorsOptions, origin: string | undefined): string | undefined {
  if (!origin || opts.origins.length === 0) return undefined;
  if (opts.origins.includes('*')) return opts.credentials ? origin : '*';
  return opts.origins.some((o) => o.toLowerCase() === origin.toLowerCase()) ? origin : undefined;
}

/** Adds CORS response headers for an allowed origin (local.settings.json Host.CORS / CORSCredentials). */
export function applyCors(opts: CorsOptions, req: IncomingMessage, res: ServerResponse): void {
  const origin = allowedOrigin(opts, req.headers.origin);
  if (!origin) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  if (origin !== '*') res.appendHeader('Vary', 'Origin');
  if (opts.credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
}

/** Answers a preflight request; returns false when the request is not one. */
export function answerPreflight(opts: CorsOptions, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method'] || opts.origins.length === 0) return false;
  applyCors(opts, req, res);
  if (res.hasHeader('Access-Control-Allow-Origin')) {
    res.setHeader('Access-Control-Allow-Methods', String(req.headers['access-control-request-method']));
    const headers = req.headers['access-control-request-headers'];
    if (headers) res.setHeader('Access-Control-Allow-Headers', headers);
    res.setHeader('Access-Control-Max-Age', '86400');
  }
  res.writeHead(204).end();
  return true;
}
