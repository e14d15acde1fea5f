// The OpenAPI document, generated from the routes as declared: served anonymously, lists every HTTP function
// the app registers with its methods, names who may call each operation and what it can answer, and its
// schemas say what the API really accepts and answers — checked against zod and against real responses with
// the small JSON Schema checker below (no validator is a dependency of this project).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { DraftInput, LIMITS, LOCATIONS, OBJECTIVES } from '../../../core/message.js';
import { ROLES } from '../../../core/roles.js';
import { as, startHerald, TENANT_A, type Client } from './support.js';

type Schema = Record<string, unknown>;
type Content = Record<string, { schema?: Schema }>;
interface Doc {
  openapi: string;
  info: { title: string; version: string };
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, Schema>;
    headers: Record<string, Schema>;
    securitySchemes: Record<string, Schema>;
  };
}
interface Operation {
  operationId: string;
  tags: string[];
  summary: string;
  description: string;
  parameters?: { name: string; in: string; required: boolean; schema: Schema }[];
  requestBody?: { required: boolean; content: Content };
  security: Record<string, string[]>[];
  'x-required-roles'?: string[];
  responses: Record<string, Schema>;
}

let host: TestHost;
let doc: Doc;
let writer: Client;
beforeAll(async () => {
  host = await startHerald();
  writer = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write']);
  const res = await host.fetch('/api/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await res.json()) as Doc;
});
afterAll(async () => {
  await host?.stop();
});

/** `#/components/…` to what it names. */
const resolve = (node: Schema): Schema => {
  if (typeof node.$ref !== 'string') return node;
  const [, , section, name] = node.$ref.split('/');
  return resolve((doc.components as unknown as Record<string, Record<string, Schema>>)[section!]![name!]!);
};

/**
 * The JSON Schema 2020-12 keywords zod emits, enough to check an instance. An unknown keyword fails the
 * check rather than being ignored, so the checker cannot pass something it did not understand.
 */
function errors(schema: Schema, value: unknown, at = '$'): string[] {
  const s = resolve(schema);
  const out: string[] = [];
  const fail = (why: string) => out.push(`${at} ${why}`);
  const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  for (const [keyword, arg] of Object.entries(s)) {
    const a = arg as never;
    switch (keyword) {
      case 'type':
        if (!(arg === type || (arg === 'integer' && Number.isInteger(value)) || (arg === 'number' && type === 'number'))) fail(`not ${a}`);
        break;
      case 'enum':
        if (!(arg as unknown[]).includes(value)) fail('not in enum');
        break;
      case 'const':
        if (value !== arg) fail(`not ${a}`);
        break;
      case 'minLength':
      case 'maxLength':
        if (typeof value === 'string' && (keyword === 'minLength' ? [...value].length < a : [...value].length > a)) fail(`${keyword} ${a}`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(a, 'u').test(value)) fail('does not match pattern');
        break;
      case 'minimum':
      case 'maximum':
        if (typeof value === 'number' && (keyword === 'minimum' ? value < a : value > a)) fail(`${keyword} ${a}`);
        break;
      case 'minItems':
      case 'maxItems':
        if (Array.isArray(value) && (keyword === 'minItems' ? value.length < a : value.length > a)) fail(`${keyword} ${a}`);
        break;
      case 'items':
        if (Array.isArray(value)) value.forEach((item, i) => out.push(...errors(a, item, `${at}[${i}]`)));
        break;
      case 'properties':
        if (type === 'object')
          for (const [key, sub] of Object.entries(arg as Record<string, Schema>))
            if (key in (value as object)) out.push(...errors(sub, (value as Record<string, unknown>)[key], `${at}.${key}`));
        break;
      case 'required':
        if (type === 'object') for (const key of arg as string[]) if (!(key in (value as object))) fail(`lacks ${key}`);
        break;
      case 'additionalProperties':
        if (type === 'object')
          for (const [key, v] of Object.entries(value as object))
            if (!(key in ((s.properties as object | undefined) ?? {})))
              out.push(...(arg === false ? [`${at}.${key} is not allowed`] : errors(a, v, `${at}.${key}`)));
        break;
      case 'propertyNames':
        if (type === 'object') for (const key of Object.keys(value as object)) out.push(...errors(a, key, `${at} key ${key}`));
        break;
      case 'oneOf': {
        const matches = (arg as Schema[]).filter((sub) => errors(sub, value, at).length === 0).length;
        if (matches !== 1) fail(`matches ${matches} of oneOf`);
        break;
      }
      case 'anyOf':
        if (!(arg as Schema[]).some((sub) => errors(sub, value, at).length === 0)) fail('matches nothing in anyOf');
        break;
      case 'default':
      case 'format':
      case 'description':
        break;
      default:
        throw new Error(`the checker does not know the keyword ${keyword} (at ${at})`);
    }
  }
  return out;
}

/** Every operation of the document as `method path`, with the operation. */
const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => [`${m} ${path}`, op] as const));

/** Every `$ref` under `node`. */
const refs = (node: unknown): string[] =>
  node && typeof node === 'object'
    ? Object.entries(node).flatMap(([key, value]) => (key === '$ref' && typeof value === 'string' ? [value] : refs(value)))
    : [];

/** Open to anyone: the service's own endpoints, and the click redirect (its signed token is the credential). */
const ANONYMOUS = [
  'get /api/health',
  'get /api/openapi.json',
  'get /api/r/{token}',
  'get /api/console/config',
  'get /api/actionable/keys',
  // Outlook's own token and the action's single-use token, checked by the handler (a refusal is a 200 card status).
  'get /api/actionable/actions/{token}',
  'post /api/actionable/actions/{token}',
  // The same for Herald's own approval cards (functions/http/approvalCards.ts).
  'post /api/approval-cards/{token}',
];
/** A provider's Entra app token: no Herald role, 403 when the app is not an approved provider's. */
const APP_TOKEN = ['post /api/actionable/messages', 'get /api/actionable/messages/{id}'];
/** Any signed-in user, no role: what recipients' devices call. */
const SIGNED_IN = [
  'get /api/inbox',
  'post /api/inbox/{messageId}/events',
  'get /api/devices',
  'post /api/devices',
  'get /api/devices/{id}',
  'delete /api/devices/{id}',
  'get /api/devices/{id}/notifications',
  'post /api/notifications/{id}/opened',
];
/** Signed in too, but only writers and approvers see a message's image before it is sent: 403 until then. */
const SIGNED_IN_UNTIL_SENT = 'get /api/messages/{id}/image';

describe('GET /api/openapi.json', () => {
  test('is an OpenAPI 3.1 document of this version of the app, with the Entra bearer scheme', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(doc.info).toMatchObject({ title: 'Herald', version });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  test('documents every HTTP route the app registers, and nothing else', async () => {
    const functions = (await (await host.adminFetch('/admin/functions')).json()) as {
      name: string;
      invoke_url_template: string | null;
      config: { bindings: { type: string; methods?: string[] }[] };
    }[];
    // The console's files at / (functions/web/console.ts) are not the API.
    expect(functions.find((f) => f.name === 'console')?.invoke_url_template).toBe(`${host.url}/{*path}`);
    const registered = functions.flatMap((f) => {
      const trigger = f.config.bindings.find((b) => b.type === 'httpTrigger');
      if (!trigger || !f.invoke_url_template || f.name === 'console') return [];
      const path = f.invoke_url_template.slice(host.url.length);
      return (trigger.methods ?? []).map((m) => `${m.toLowerCase()} ${path}`);
    });
    expect(registered.length).toBeGreaterThan(15);
    expect(registered.every((r) => / \/api\//.test(r))).toBe(true);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(registered.sort());
  });

  const LIFECYCLE_ACTIONS = ['submit', 'approve', 'reject', 'cancel', 'send'].map((a) => `post /api/messages/{id}/${a}`);

  test('each operation: its id, tag, path parameters, roles, and problems as problem+json with the Problem schema', () => {
    const ids = operations().map(([, op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = doc.tags.map((t) => t.name);
    for (const [where, op] of operations()) {
      const [method, path] = where.split(' ') as [string, string];
      expect(op.summary, where).toBeTruthy();
      expect(op.tags.length, where).toBe(1);
      expect(tags, where).toContain(op.tags[0]);
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name);
      expect(op.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? [], where).toEqual(pathParams);
      for (const p of op.parameters ?? []) expect(p.schema, `${where} ${p.name}`).toBeTypeOf('object');
      const statuses = Object.keys(op.responses).map(Number);
      // One success, or for a lifecycle action 200 and the 202 of an action the orchestration has not shown yet.
      const successes = statuses.filter((s) => s < 400);
      if (LIFECYCLE_ACTIONS.includes(where)) {
        expect(successes, where).toEqual([200, 202]);
        expect(Object.keys(resolve(op.responses[202]!).headers as object).sort(), where).toEqual(['ETag', 'Location', 'Retry-After']);
      } else expect(successes.length, where).toBe(1);
      expect([200, 201, 202, 204, 302, 303], where).toContain(successes[0]);
      for (const status of statuses.filter((s) => s >= 400)) {
        expect([400, 401, 403, 404, 409, 412, 415, 428, 429, 503], where).toContain(status);
        expect(Object.keys(resolve(op.responses[status]!).content as object), where).toEqual(['application/problem+json']);
        const { schema } = (resolve(op.responses[status]!).content as Record<string, { schema: Schema }>)['application/problem+json']!;
        expect(schema, where).toEqual({ $ref: '#/components/schemas/Problem' });
      }
      const roles = op.security.flatMap((r) => r.bearer ?? []);
      if (ANONYMOUS.includes(where)) {
        expect(op.security, where).toEqual([]);
        expect(statuses, where).not.toContain(401);
      } else if (APP_TOKEN.includes(where)) {
        expect(op.security, where).toEqual([{ bearer: [] }]);
        expect(statuses, where).toEqual(expect.arrayContaining([401, 403]));
      } else if (SIGNED_IN.includes(where) || where === SIGNED_IN_UNTIL_SENT) {
        // Any signed-in user of the tenant: a bearer token with no role, so 401 but never 403 (but for the image not yet sent).
        expect(op.security, where).toEqual([{ bearer: [] }]);
        expect(op['x-required-roles'], where).toBeUndefined();
        expect(statuses, where).toContain(401);
        if (where === SIGNED_IN_UNTIL_SENT) expect(statuses, where).toContain(403);
        else expect(statuses, where).not.toContain(403);
      } else {
        expect(roles.length, where).toBeGreaterThan(0);
        expect(op['x-required-roles'], where).toEqual(roles);
        expect(ROLES, where).toEqual(expect.arrayContaining(roles));
        expect(statuses, where).toEqual(expect.arrayContaining([401, 403]));
        for (const role of roles) expect(op.description, where).toContain(role);
      }
      if (method === 'get' || method === 'delete') expect(op.requestBody, where).toBeUndefined();
    }
    const create = doc.paths['/api/messages']!.post!;
    expect(create.security).toEqual([{ bearer: ['Messages.Write'] }]);
    expect(Object.keys(create.responses)).toEqual(['201', '400', '401', '403', '415']);
    expect(Object.keys((create.responses['201'] as { headers: object }).headers)).toEqual(['ETag', 'Location']);
    expect(create.requestBody!.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/DraftInput' });
    const modify = doc.paths['/api/messages/{id}']!.patch!;
    expect(Object.keys(modify.responses)).toEqual(['200', '400', '401', '403', '404', '409', '412', '415', '428']);
    expect(modify.parameters).toContainEqual(expect.objectContaining({ name: 'If-Match', in: 'header', required: true }));
    expect(doc.paths['/api/messages/{id}/approve']!.post!.security).toEqual([{ bearer: ['Messages.Approve'] }]);
    expect(Object.keys(doc.paths['/api/messages/{id}']!.delete!.responses)[0]).toBe('204');
  });

  test('request and response schemas resolve: bodies and answers name their component, every reference leads somewhere', () => {
    const components = doc.components as unknown as Record<string, Record<string, unknown>>;
    for (const ref of refs(doc)) {
      expect(ref).toMatch(/^#\/components\/\w+\/[\w-]+$/);
      const [, , section, name] = ref.split('/');
      expect(components[section!]?.[name!], ref).toBeDefined();
    }
    const used = new Set<string>();
    for (const [where, op] of operations()) {
      const contents = [op.requestBody?.content, ...Object.values(op.responses).map((r) => resolve(r).content as Content | undefined)];
      for (const [type, { schema }] of contents.flatMap((content) => Object.entries(content ?? {})))
        if (type.endsWith('json') && where !== 'get /api/openapi.json') {
          expect(schema?.$ref, `${where} ${type}`).toMatch(/^#\/components\/schemas\/\w+$/);
          used.add(String(schema!.$ref));
        }
    }
    // Every component is sent or answered by an operation, or held by one that is.
    let size = 0;
    while (size < used.size) {
      size = used.size;
      for (const ref of [...used]) for (const inner of refs(resolve({ $ref: ref }))) used.add(inner);
    }
    expect(Object.keys(doc.components.schemas).sort()).toEqual([...used].map((ref) => ref.split('/').pop()).sort());
    const settings = doc.paths['/api/tenant/settings']!;
    expect(settings.put!.requestBody!.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/TenantSettings' });
    expect((settings.get!.responses['200']!.content as Content)['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/TenantSettingsView',
    });
  });

  test('problem responses: one per status, naming its kinds, with the headers the client needs', () => {
    const { responses } = doc.components;
    expect(Object.keys(responses).sort()).toEqual(
      [
        'BadRequest',
        'Forbidden',
        'Misconfigured',
        'NotFound',
        'PreconditionFailed',
        'PreconditionRequired',
        'StatusConflict',
        'TooManyRequests',
        'Unauthenticated',
        'UnsupportedMediaType',
      ].sort(),
    );
    expect(responses.BadRequest!.description).toMatch(/`malformed-body`.*`validation`/);
    expect(responses.Unauthenticated!.headers).toEqual({ 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } });
    expect(responses.PreconditionFailed!.headers).toEqual({ ETag: { $ref: '#/components/headers/ETag' } });
    expect(responses.TooManyRequests!.headers).toEqual({ 'Retry-After': { $ref: '#/components/headers/Retry-After' } });
    expect(doc.paths['/api/notifications']!.post!.responses['429']).toEqual({ $ref: '#/components/responses/TooManyRequests' });
    expect(doc.components.schemas.Problem!.description).toMatch(/RFC 9457/);
  });

  test('list query parameters come from ListParams', () => {
    const params = doc.paths['/api/messages']!.get!.parameters!;
    expect(params.map((p) => [p.name, p.in, p.required])).toEqual(
      ['status', 'location', 'objective', 'name', 'pageSize', 'continuation'].map((name) => [name, 'query', false]),
    );
    expect(params.find((p) => p.name === 'location')!.schema.enum).toEqual([...LOCATIONS]);
    expect(params.find((p) => p.name === 'pageSize')!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 25 });
  });

  test('the DraftInput schema accepts and refuses what zod does', () => {
    const schema = doc.components.schemas.DraftInput!;
    expect(schema.additionalProperties).toBe(false);
    const props = schema.properties as Record<string, Schema>;
    expect(props.objective!.enum).toEqual([...OBJECTIVES]);
    expect(props.name).toMatchObject({ type: 'string', maxLength: LIMITS.name });
    const samples: unknown[] = [
      {},
      { name: 'Welcome', objective: 'onboarding', location: 'teams', urgent: false },
      { name: 'x'.repeat(LIMITS.name + 1) },
      { name: '' },
      { colour: 'red' },
      { objective: 'party' },
      { template: { kind: 'premade', id: 'welcome-1' } },
      { template: { kind: 'premade' } },
      { template: { kind: 'bespoke' } },
      { content: { title: 'Hello', body: 'World', callToAction: { label: 'Go', url: 'https://example.com/' } } },
      { content: { title: 'x'.repeat(LIMITS.title + 1) } },
      { content: { title: 'Hi', subtitle: 'no such field' } },
      { audience: { groups: ['4d8f6a2e-0c1b-4b7e-9f3a-2e5d7c9b1a0f'], segments: ['inactiveCopilotUsers'] } },
      { audience: { groups: ['not-a-guid'] } },
      { audience: { groups: Array.from({ length: LIMITS.audienceItems + 1 }, () => '4d8f6a2e-0c1b-4b7e-9f3a-2e5d7c9b1a0f') } },
      { schedule: { start: '2030-01-01T09:00:00+01:00', end: '2030-01-02T09:00:00Z', frequency: 'weekly' } },
      { schedule: { start: 'next Tuesday' } },
      { schedule: { frequency: 'hourly' } },
      { urgent: 'yes' },
    ];
    const verdicts = samples.map((sample) => [sample, errors(schema, sample).length === 0]);
    expect(verdicts).toEqual(samples.map((sample) => [sample, DraftInput.safeParse(sample).success]));
    expect(verdicts.filter(([, ok]) => ok).length).toBe(7);
  });

  test('real responses match their documented schemas and headers', async () => {
    const schemas = doc.components.schemas;
    const created = await writer('/api/messages', {
      body: { name: 'Spec check', objective: 'security', content: { title: 'Patch Tuesday', body: 'Reboot tonight' } },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBeTruthy();
    expect(created.headers.get('location')).toMatch(/\/api\/messages\/\S+$/);
    const message = (await created.json()) as { id: string };
    expect(errors(schemas.MessageView!, message)).toEqual([]);

    const list = await (await writer('/api/messages?pageSize=5')).json();
    expect(errors(schemas.MessagePage!, list)).toEqual([]);
    const audit = await (await writer(`/api/messages/${message.id}/audit`)).json();
    expect(errors(schemas.AuditTrail!, audit)).toEqual([]);
    const health = await (await host.fetch('/api/health')).json();
    expect(errors(schemas.Health!, health)).toEqual([]);

    const problems = [
      await writer('/api/messages/nope'),
      await host.fetch('/api/messages'),
      await writer('/api/messages', { body: { objective: 'party', colour: 'red' } }),
      await writer(`/api/messages/${message.id}`, { method: 'PATCH', body: { name: 'x' } }),
    ];
    expect(problems.map((p) => p.status)).toEqual([404, 401, 400, 428]);
    for (const res of problems) {
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(errors(schemas.Problem!, await res.json())).toEqual([]);
    }
  });
});
