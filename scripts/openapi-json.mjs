// Writes Herald's OpenAPI document (what GET /api/openapi.json answers) from the built route registry, with no
// host running: the console's typed client is generated from it (npm run build:web).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const [out = path.join(root, 'dist/openapi.json')] = process.argv.slice(2);
const http = path.join(root, 'dist/functions/http');
// Every module of functions/http declares its routes as it loads; importing them all declares the whole API.
// The sources name them (dist/ may hold a module since deleted); registering outside a host is only warned about.
const warn = console.warn;
console.warn = () => {};
for (const file of readdirSync(path.join(root, 'functions/http'))
  .filter((f) => f.endsWith('.ts'))
  .sort())
  await import(pathToFileURL(path.join(http, file.replace(/\.ts$/, '.js'))).href);
console.warn = warn;
const { declaredRoutes } = await import(pathToFileURL(path.join(http, 'routes.js')).href);
const { buildOpenApiDocument } = await import(pathToFileURL(path.join(http, 'openapiDocument.js')).href);
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
writeFileSync(out, JSON.stringify(buildOpenApiDocument(declaredRoutes(), version), null, 2));
