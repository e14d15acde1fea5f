// The route registry and the OpenAPI builder on a few routes declared here: what `route` registers with the
// host, what its dispatcher enforces, and the document built from the declarations (no host needed).
import { HttpRequest, InvocationContext, type HttpFunctionOptions, type HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { z } from 'zod';
import { buildOpenApiDocument } from '../../../functions/http/openapiDocument.js';
import { Problem } from '../../../functions/http/problem.js';
import { declaredRoutes, route } from '../../../functions/http/routes.js';
import { requestComponents, responseComponents } from '../../../functions/http/schemas/components.js';

type Registered = Omit<HttpFunctionOptions, 'handler'> & { handler: (...args: unknown[]) => Promise<HttpResponseInit> };
const host = vi.hoisted(() => ({ http: new Map<string, Registered>(), durable: new Map<string, Registered>() }));
vi.mock('@azure/functions', async (actual) => ({
  ...(await actual<typeof import('@azure/functions')>()),
  app: { http: (name: string, options: Registered) => host.http.set(name, options) },
}));
vi.mock('durable-functions', () => ({
  app: { client: { http: (name: string, options: Registered) => host.durable.set(name, options) } },
}));

const ThingInput = z
  .object({ name: z.string().min(1), size: z.number().int().default(1) })
  .strict()
  .register(requestComponents, { id: 'ThingInput', description: 'A thing to make.' });
const ThingView = z.object({ id: z.string(), name: z.string(), size: z.number().int() }).register(responseComponents, { id: 'ThingView' });
const ThingPage = z.object({ items: z.array(ThingView) }).register(responseComponents, { id: 'ThingPage' });
const ThingQuery = z.object({ pageSize: z.coerce.number().int().min(1).max(100).default(10), name: z.string().optional() }).strict();

route({
  name: 'things',
  route: 'things',
  tag: 'messages',
  methods: (op) => ({
    POST: op({
      operationId: 'makeThing',
      summary: 'Make a thing',
      role: 'message.write',
      body: ThingInput,
      response: { status: 201, description: 'Made.', schema: ThingView, location: 'created' },
      problems: [],
      handler: async ({ body }) => ({ status: 201, jsonBody: { id: 't1', ...(await body()) } }),
    }),
    GET: op({
      operationId: 'listThings',
      summary: 'List things',
      role: 'public',
      query: ThingQuery,
      response: { status: 200, description: 'A page of things.', schema: ThingPage },
      problems: [],
      handler: async ({ query }) => ({ jsonBody: { items: [], pageSize: query().pageSize } }),
    }),
  }),
});

route({
  name: 'thing',
  route: 'things/{id}',
  tag: 'messages',
  params: { id: 'The thing id.' },
  methods: (op) => ({
    GET: op({
      operationId: 'getThing',
      summary: 'Read a thing',
      role: 'device',
      response: { status: 200, description: 'The thing.', schema: ThingView, etag: true },
      problems: ['not-found'],
      handler: async ({ params }) => {
        throw new Problem('not-found', `there is no thing ${params.id}`);
      },
    }),
    DELETE: op({
      operationId: 'deleteThing',
      summary: 'Delete a thing',
      description: 'Only a Tenant.Admin.',
      role: 'tenant.configure',
      ifMatch: 'required',
      response: { status: 204, description: 'Deleted.' },
      problems: ['status-conflict'],
      handler: async () => ({ status: 204 }),
    }),
  }),
});

route({
  name: 'thingPing',
  route: 'things/{id}/ping',
  tag: 'lifecycle',
  params: { id: 'The thing id.' },
  durable: true,
  method: 'POST',
  operationId: 'pingThing',
  summary: 'Ping a thing',
  role: 'public',
  response: { status: 200, description: 'Pong.' },
  problems: [],
  handler: async ({ params, client }) => ({ jsonBody: { id: params.id, client: client !== undefined } }),
});

const doc = buildOpenApiDocument(declaredRoutes(), '1.2.3');
const call = (name: string, { body, ...init }: { method: string; url: string; params?: Record<string, string>; body?: string }) =>
  host.http.get(name)!.handler(new HttpRequest({ ...init, ...(body ? { body: { string: body } } : {}) }), new InvocationContext());
const json = (res: HttpResponseInit) => (res.jsonBody ?? JSON.parse(String(res.body))) as Record<string, unknown>;

describe('route', () => {
  test('registers each function once, under its name and route, anonymous, with its methods', () => {
    const seen = (m: Map<string, Registered>) =>
      [...m].map(([name, { methods, route, authLevel }]) => ({ name, methods, route, authLevel }));
    expect(seen(host.http)).toEqual([
      { name: 'things', methods: ['GET', 'POST'], route: 'api/things', authLevel: 'anonymous' },
      { name: 'thing', methods: ['GET', 'DELETE'], route: 'api/things/{id}', authLevel: 'anonymous' },
    ]);
    expect(seen(host.durable)).toEqual([{ name: 'thingPing', methods: ['POST'], route: 'api/things/{id}/ping', authLevel: 'anonymous' }]);
    expect(declaredRoutes().map((r) => [r.name, Object.keys(r.operations)])).toEqual([
      ['things', ['POST', 'GET']],
      ['thing', ['GET', 'DELETE']],
      ['thingPing', ['POST']],
    ]);
  });

  describe('dispatch', () => {
    const env = { ...process.env };
    beforeAll(() => {
      process.env.AUTH_ISSUER = 'https://login.example/{tenantid}/v2.0';
      process.env.AUTH_AUDIENCE = 'api://things';
      process.env.AUTH_JWKS_URI = 'https://login.example/keys';
    });
    afterAll(() => {
      process.env = env;
    });

    test('hands the handler its validated query, path parameters and the Durable client it was registered with', async () => {
      expect(json(await call('things', { method: 'GET', url: 'http://h/api/things?pageSize=3' }))).toEqual({ items: [], pageSize: 3 });
      const ping = await host.durable
        .get('thingPing')!
        .handler(
          new HttpRequest({ method: 'POST', url: 'http://h/api/things/t7/ping', params: { id: 't7' } }),
          {},
          new InvocationContext(),
        );
      expect(ping.jsonBody).toEqual({ id: 't7', client: true });
    });

    test('a thrown Problem, an invalid query and a missing token answer problem+json', async () => {
      const problems = [
        await call('things', { method: 'GET', url: 'http://h/api/things?pageSize=0' }),
        await call('things', { method: 'GET', url: 'http://h/api/things?colour=red' }),
        await call('things', { method: 'POST', url: 'http://h/api/things', body: '{"name":"x"}' }),
        await call('thing', { method: 'GET', url: 'http://h/api/things/t1', params: { id: 't1' } }),
      ];
      expect(problems.map((p) => p.status)).toEqual([400, 400, 401, 401]);
      for (const p of problems) expect(p.headers).toMatchObject({ 'content-type': 'application/problem+json' });
      expect(json(problems[1]!)).toMatchObject({ errors: [{ path: 'colour', message: 'is not a known field' }] });
      expect(problems[2]!.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
    });
  });
});

describe('buildOpenApiDocument', () => {
  test('each declared method is an operation at its path, under the host prefix', () => {
    expect(doc).toMatchObject({ openapi: '3.1.1', info: { title: 'Herald', version: '1.2.3' } });
    expect(Object.entries(doc.paths).map(([path, ops]) => [path, Object.keys(ops)])).toEqual([
      ['/api/things', ['get', 'post']],
      ['/api/things/{id}', ['get', 'delete']],
      ['/api/things/{id}/ping', ['post']],
    ]);
    expect(doc.paths['/api/things']!.get).toMatchObject({ operationId: 'listThings', tags: ['messages'], summary: 'List things' });
    expect(doc.tags.map((t) => t.name)).toContain('lifecycle');
  });

  test('who may call: the role’s app roles, any signed-in user, or anyone', () => {
    const make = doc.paths['/api/things']!.post!;
    expect(make.security).toEqual([{ bearer: ['Messages.Write'] }]);
    expect(make['x-required-roles']).toEqual(['Messages.Write']);
    expect(make.description).toBe('Needs a bearer token with the role Messages.Write.');
    const read = doc.paths['/api/things/{id}']!.get!;
    expect(read.security).toEqual([{ bearer: [] }]);
    expect(read).not.toHaveProperty('x-required-roles');
    const remove = doc.paths['/api/things/{id}']!.delete!;
    expect(remove.description).toBe('Needs a bearer token with the role Tenant.Admin.\n\nOnly a Tenant.Admin.');
    expect(doc.paths['/api/things']!.get!.security).toEqual([]);
    expect(doc.paths['/api/things']!.get!.description).toBe('Anonymous.');
  });

  test('problems: those declared plus those the role, query, body and If-Match imply, each a shared problem+json response', () => {
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path]![method]!.responses);
    expect(statuses('/api/things', 'get')).toEqual(['200', '400']);
    expect(statuses('/api/things', 'post')).toEqual(['201', '400', '401', '403', '415']);
    expect(statuses('/api/things/{id}', 'get')).toEqual(['200', '401', '404']);
    expect(statuses('/api/things/{id}', 'delete')).toEqual(['204', '401', '403', '409', '412', '428']);
    expect(statuses('/api/things/{id}/ping', 'post')).toEqual(['200']);
    expect(doc.paths['/api/things/{id}']!.delete!.responses[428]).toEqual({ $ref: '#/components/responses/PreconditionRequired' });
    expect(doc.components.responses.Unauthenticated).toMatchObject({
      headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } },
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
  });

  test('parameters: path ones as described, query ones from the zod object, If-Match as declared', () => {
    expect(doc.paths['/api/things']!.get!.parameters).toEqual([
      { name: 'pageSize', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 } },
      { name: 'name', in: 'query', required: false, schema: { type: 'string' } },
    ]);
    expect(doc.paths['/api/things/{id}']!.delete!.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The thing id.' },
      expect.objectContaining({ name: 'If-Match', in: 'header', required: true }),
    ]);
  });

  test('bodies and answers refer to named components: requests as zod reads them, responses as it writes them', () => {
    const make = doc.paths['/api/things']!.post!;
    expect(make.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ThingInput' } } },
    });
    expect(make.responses[201]).toEqual({
      description: 'Made.',
      headers: { Location: { $ref: '#/components/headers/Location' } },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ThingView' } } },
    });
    expect(doc.paths['/api/things/{id}']!.get!.responses[200]).toMatchObject({ headers: { ETag: { $ref: '#/components/headers/ETag' } } });
    const { schemas } = doc.components;
    expect(Object.keys(schemas).sort()).toEqual(['Problem', 'ThingInput', 'ThingPage', 'ThingView']);
    // A default makes a field optional to send.
    expect(schemas.ThingInput).toMatchObject({ description: 'A thing to make.', required: ['name'], additionalProperties: false });
    expect(schemas.ThingPage).toMatchObject({ properties: { items: { items: { $ref: '#/components/schemas/ThingView' } } } });
    expect(JSON.stringify(schemas)).not.toMatch(/"\$(schema|id)"/);
  });

  test('a schema without a name is refused: there would be nothing to refer to', () => {
    const unnamed = z.object({ ok: z.boolean() });
    const descriptor = {
      name: 'unnamed',
      route: 'unnamed',
      tag: 'service' as const,
      params: {},
      operations: {
        GET: {
          operationId: 'unnamed',
          summary: 'x',
          role: 'public' as const,
          response: { status: 200 as const, description: 'x', schema: unnamed },
          problems: [],
        },
      },
    };
    expect(() => buildOpenApiDocument([descriptor], '1.2.3')).toThrow(
      /The response of unnamed has no name: register its schema in responseComponents/,
    );
  });
});
