/**
 * The OpenAPI 3.1 document of Herald's public HTTP API, generated: its operations from the routes as
 * declared (routes.ts), its schemas from the zod schemas the handlers validate with and answer in
 * (`z.toJSONSchema`, named in schemas/components.ts), so it cannot drift from what the app registers,
 * accepts and answers. What zod cannot say in JSON Schema (refinements such as "an IANA time zone" or "an
 * https URL", trimming before a length check) the API still enforces; the descriptions say so where it matters.
 */
import { z } from 'zod';
import { ACTIONS, ROLES } from '../../core/roles.js';
import { KINDS, ProblemDetails, type ProblemKind } from './problem.js';
import { API_PREFIX, isSchema, METHODS, type Operation, type RouteDescriptor } from './routes.js';
import { requestComponents, responseComponents, type ComponentRegistry } from './schemas/components.js';

const ROUTE_PREFIX = `/${API_PREFIX}`;

/** The groups operations are listed in. */
export const TAGS = {
  messages: 'Drafting messages',
  lifecycle: 'Moving a message through submission, approval and delivery',
  tenant: 'Per-tenant settings',
  delivery: 'Progress and per-recipient status of Teams and email delivery',
  reports: 'Impressions, clicks and click-through rate, and CSV exports of them and of each message’s recipients',
  devices: 'The devices the organisation’s mobile app registers, which custom notifications reach',
  notifications: 'Custom notifications to groups or to one device, and their history',
  inbox: 'What recipients’ devices show (Spotlight, Notification Center, Taskbar), and click links',
  actionable:
    'Actionable email sent through Herald: the send, what the card gate decided per recipient, the relayed actions and the keys they are signed with',
  providers: 'The actionable-message provider registry: registering, approving, consenting to and exporting providers',
  service: 'About the service itself',
} as const;
export type Tag = keyof typeof TAGS;

type JsonSchema = Record<string, unknown>;
type ProblemStatus = (typeof KINDS)[ProblemKind]['status'];

const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });

function components(registry: ComponentRegistry, io: 'input' | 'output'): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, metadata: registry, uri: (id) => ref(id).$ref });
  // OpenAPI 3.1's dialect is the document's; a component carries neither its own $schema nor an $id.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema as JsonSchema]));
}

/** The reference to a schema's component; a schema without a name would have nothing to refer to. */
function named(registry: ComponentRegistry, schema: z.ZodType, what: string) {
  const id = registry.get(schema)?.id;
  if (!id)
    throw new Error(
      `${what} has no name: register its schema in ${registry === requestComponents ? 'requestComponents' : 'responseComponents'}`,
    );
  return ref(id);
}

/** Query parameters from a zod object, one per field, as the handler reads them (all strings, coerced by zod). */
function queryParameters(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _s, ...json } = z.toJSONSchema(field as z.ZodType, { target: 'draft-2020-12', io: 'input' });
    return { name, in: 'query', required: !(field as z.ZodType).isOptional(), schema: json };
  });
}

// ---- responses -------------------------------------------------------------------------------------------

const PROBLEM_RESPONSES: Record<ProblemStatus, string> = {
  400: 'BadRequest',
  415: 'UnsupportedMediaType',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'StatusConflict',
  412: 'PreconditionFailed',
  428: 'PreconditionRequired',
  429: 'TooManyRequests',
  503: 'Misconfigured',
};

const HEADERS = {
  ETag: {
    description: 'The message’s version: send it as If-Match to modify or delete the message.',
    schema: { type: 'string' },
  },
  Location: { description: 'The URL of what was created.', schema: { type: 'string', format: 'uri' } },
  Destination: {
    description: 'Where to go: a click link’s call to action, or an export’s file.',
    schema: { type: 'string', format: 'uri' },
  },
  'Retry-After': { description: 'Seconds until the next send is allowed.', schema: { type: 'integer' } },
  Status: { description: 'Where to read how the accepted work went.', schema: { type: 'string', format: 'uri' } },
  'Retry-After-Status': { description: 'Seconds before reading it again.', schema: { type: 'integer' } },
  'WWW-Authenticate': {
    description: 'RFC 6750 challenge: `Bearer`, with `error="invalid_token"` and a description when a token was sent but refused.',
    schema: { type: 'string' },
  },
};

function problemResponses() {
  const problem = named(responseComponents, ProblemDetails, 'The problem body');
  const byStatus = new Map<ProblemStatus, string[]>();
  for (const [kind, { status, title }] of Object.entries(KINDS))
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${kind}\`: ${title}`]);
  return Object.fromEntries(
    [...byStatus].map(([status, kinds]) => [
      PROBLEM_RESPONSES[status],
      {
        description: `Problem: ${kinds.join('; ')}.`,
        ...(status === 401 ? { headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } } } : {}),
        ...(status === 412 ? { headers: { ETag: { $ref: '#/components/headers/ETag' } } } : {}),
        ...(status === 429 ? { headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } } : {}),
        content: { 'application/problem+json': { schema: problem } },
      },
    ]),
  );
}

// ---- operations ------------------------------------------------------------------------------------------

/** The problems an operation can answer: those its handler declares and those the rest of its declaration implies. */
function problemStatuses(op: Operation): ProblemStatus[] {
  const kinds: ProblemKind[] = [...op.problems];
  if (op.role !== 'public') kinds.push('unauthenticated');
  if (op.role !== 'public' && op.role !== 'device') kinds.push('forbidden');
  if (op.query || isSchema(op.body)) kinds.push('validation');
  if (isSchema(op.body)) kinds.push('unsupported-media-type');
  if (op.ifMatch) kinds.push('precondition-failed');
  if (op.ifMatch === 'required') kinds.push('precondition-required');
  return [...new Set(kinds.map((kind) => KINDS[kind].status))].sort((a, b) => a - b);
}

function who(op: Operation): string {
  if (op.role === 'public') return 'Anonymous.';
  if (op.role === 'device') return 'Needs a bearer token of any user of the tenant; no role is needed.';
  const allowed = ACTIONS[op.role];
  return allowed.length === ROLES.length
    ? `Needs a bearer token with any Herald role (${allowed.join(', ')}).`
    : `Needs a bearer token with the role ${allowed.join(' or ')}.`;
}

function operation(route: RouteDescriptor, op: Operation) {
  const pathParams = [...route.route.matchAll(/\{(\w+)\}/g)].map(([, name = '']) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: route.params[name],
  }));
  const ifMatch = op.ifMatch
    ? [
        {
          name: 'If-Match',
          in: 'header',
          required: op.ifMatch === 'required',
          description: 'The ETag the message was read with, or `*`.' + (op.ifMatch === 'required' ? ' Without it: 428.' : ''),
          schema: { type: 'string' },
        },
      ]
    : [];
  const parameters = [...pathParams, ...(op.query ? queryParameters(op.query) : []), ...ifMatch];
  const roles: readonly string[] = op.role === 'public' || op.role === 'device' ? [] : ACTIONS[op.role];

  const { response } = op;
  const headers = {
    ...(response.etag ? { ETag: { $ref: '#/components/headers/ETag' } } : {}),
    ...(response.location === 'created' ? { Location: { $ref: '#/components/headers/Location' } } : {}),
    ...(response.location === 'redirect' ? { Location: { $ref: '#/components/headers/Destination' } } : {}),
  };
  const content = response.schema
    ? { 'application/json': { schema: named(responseComponents, response.schema, `The response of ${op.operationId}`) } }
    : response.content;
  const body = isSchema(op.body)
    ? { content: { 'application/json': { schema: named(requestComponents, op.body, `The request body of ${op.operationId}`) } } }
    : op.body && { description: op.body.description, content: op.body.content };

  const accepted = response.accepted && {
    description: response.accepted,
    headers: {
      ...headers,
      Location: { $ref: '#/components/headers/Status' },
      'Retry-After': { $ref: '#/components/headers/Retry-After-Status' },
    },
    ...(content ? { content } : {}),
  };
  const responses: Record<number, object> = {
    [response.status]: {
      description: response.description,
      ...(Object.keys(headers).length ? { headers } : {}),
      ...(content ? { content } : {}),
    },
    ...Object.fromEntries(problemStatuses(op).map((status) => [status, { $ref: `#/components/responses/${PROBLEM_RESPONSES[status]}` }])),
  };
  if (accepted) responses[202] = accepted;
  return {
    operationId: op.operationId,
    tags: [route.tag],
    summary: op.summary,
    description: [who(op), op.description].filter(Boolean).join('\n\n'),
    ...(parameters.length ? { parameters } : {}),
    ...(body ? { requestBody: { required: true, ...body } } : {}),
    // One requirement per role: any one of them is enough (roles are not scopes, so this names them for people).
    security: op.role === 'device' ? [{ bearer: [] }] : roles.map((role) => ({ bearer: [role] })),
    ...(roles.length ? { 'x-required-roles': roles } : {}),
    responses,
  };
}

/** The whole document of `routes`; `version` is the app's (package.json). */
export function buildOpenApiDocument(routes: readonly RouteDescriptor[], version: string) {
  const paths: Record<string, Record<string, ReturnType<typeof operation>>> = {};
  for (const route of routes)
    for (const method of METHODS) {
      const op = route.operations[method];
      if (op) (paths[`${ROUTE_PREFIX}/${route.route}`] ??= {})[method.toLowerCase()] = operation(route, op);
    }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Herald',
      version,
      description:
        'Organizational messages: writers draft them, approvers decide, Herald delivers them on schedule. ' +
        'Errors are RFC 9457 problem documents (`application/problem+json`).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: { ...components(requestComponents, 'input'), ...components(responseComponents, 'output') },
      responses: problemResponses(),
      headers: HEADERS,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Microsoft Entra ID v2.0 access token for the API’s audience (RS256; `tid`, `oid`, `exp` required). ' +
            `The token’s \`roles\` claim carries the app roles (${ROLES.join(', ')}); each operation names the roles it needs.`,
        },
      },
    },
  };
}
export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
