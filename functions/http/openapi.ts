/** `GET /api/openapi.json`, anonymous: the OpenAPI 3.1 document of the HTTP API (built in openapiDocument.ts). */
import { readFileSync } from 'node:fs';
import { app } from '@azure/functions';
import { buildOpenApiDocument, type OpenApiDocument } from './openapiDocument.js';

let document: OpenApiDocument | undefined;

/** Built on first use, once: the schemas do not change while the app runs. */
function openApiDocument(): OpenApiDocument {
  return (document ??= buildOpenApiDocument(appVersion()));
}

/** This module runs as dist/functions/http/openapi.js; the app's package.json is at the root. */
const appVersion = () =>
  (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

app.http('openapi', {
  methods: ['GET'],
  route: 'openapi.json',
  authLevel: 'anonymous',
  handler: async () => ({ jsonBody: openApiDocument() }),
});
