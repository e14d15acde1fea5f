/**
 * The admin console (web/, built by Vite into dist/web) served by the Function app itself, at `/`: one
 * deployment, one origin, so the console calls the API with no CORS. host.json's routePrefix is empty for
 * this; the API's routes carry their own `api/` (functions/http/routes.ts) and, being literal, win over
 * this catch-all on the host and on devhost alike.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { consoleFile } from './consoleFiles.js';

/** This module runs as dist/functions/web/console.js; Vite writes dist/web. */
const ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

async function serve(request: HttpRequest): Promise<HttpResponseInit> {
  const file = consoleFile(new URL(request.url).pathname);
  const headers = { 'x-content-type-options': 'nosniff' };
  if (file.kind === 'not-found')
    return {
      status: 404,
      headers: { ...headers, 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
      jsonBody: { type: 'about:blank', title: 'Not Found', status: 404, detail: `nothing is served at ${file.path}` },
    };
  try {
    const body = await readFile(ROOT + file.path);
    return { status: 200, headers: { ...headers, 'content-type': file.contentType, 'cache-control': file.cacheControl }, body };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const missing = file.path === 'index.html' ? 'the console is not built: npm run build' : `nothing is served at /${file.path}`;
    return {
      status: 404,
      headers: { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
      body: missing,
    };
  }
}

app.http('console', { methods: ['GET', 'HEAD'], route: '{*path}', authLevel: 'anonymous', handler: serve });
