/** `GET /api/openapi.json`, anonymous: the OpenAPI 3.1 document of the HTTP API (built in openapiDocument.ts). */
import { readFileSync } from 'node:fs';
import { buildOpenApiDocument, type OpenApiDocument } from './openapiDocument.js';
import { declaredRoutes, route } from './routes.js';

let document: OpenApiDocument | undefined;

/**
 * Built on first use, once: every route is declared while the app's modules load, before any request,
 * and neither they nor the schemas change while the app runs.
 */
function openApiDocument(): OpenApiDocument {
  return (document ??= buildOpenApiDocument(declaredRoutes(), appVersion()));
}

/** This module runs as dist/functions/http/openapi.js; the app's package.json is at the root. */
const appVersion = () =>
  (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

route({
  name: 'openapi',
  route: 'openapi.json',
  tag: 'service',
  method: 'GET',
  operationId: 'getOpenApiDocument',
  summary: 'This document',
  role: 'public',
  response: {
    status: 200,
    description: 'The OpenAPI 3.1 document of the API.',
    content: { 'application/json': { schema: { type: 'object' } } },
  },
  problems: [],
  handler: async () => ({ jsonBody: openApiDocument() }),
});
