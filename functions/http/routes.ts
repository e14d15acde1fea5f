/**
 * Every HTTP function is declared once, with `route`: it registers the function with the host (`app.http`,
 * or `df.app.client.http` for handlers that need the Durable client) and records what each of its methods
 * needs, reads and answers, which is what the OpenAPI document is built from (openapiDocument.ts).
 * What is declared is also what is enforced, so the document cannot promise what the handler does not do:
 * the caller is authenticated and authorized for the declared role before the handler runs, the query and
 * body it reads are validated by the declared schemas, and a thrown Problem becomes its problem+json answer.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import type { Action } from '../../core/roles.js';
import type { Tag } from './openapiDocument.js';
import { Unavailable } from '../../core/outage.js';
import { Problem, validationProblem, type ProblemKind } from './problem.js';
import { authorize, jsonBody, signedIn } from './request.js';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type Method = (typeof METHODS)[number];

/**
 * Who may call: a caller whose roles allow the Action, any signed-in user of the tenant whatever their roles
 * (`device`: what recipients' devices call), or anyone (`public`).
 */
export type Access = Action | 'device' | 'public';

/** A body that is not JSON (an image's bytes), described by its media types alone; the handler reads it. */
export interface RawBody {
  content: Record<string, object>;
  description: string;
}

type Query = z.ZodObject | undefined;
type Body = z.ZodType | RawBody | undefined;

export const isSchema = (body: Body): body is z.ZodType => body instanceof z.ZodType;

export interface Success {
  status: 200 | 201 | 202 | 204 | 302 | 303;
  description: string;
  /** The JSON body, named in responseComponents. */
  schema?: z.ZodType;
  /** A body described by media type, when it is not one of the named schemas. */
  content?: Record<string, object>;
  /** The ETag header: the version to send back as If-Match. */
  etag?: true;
  /** The Location header: the URL of what was created, or where a redirect goes. */
  location?: 'created' | 'redirect';
  /**
   * A 202 with the same body, when the work was accepted but has not shown yet (an orchestration that has not
   * moved the message within the wait): what it means, for the document. Location and Retry-After say where and
   * when to look again.
   */
  accepted?: string;
}

/** One method of a route, as the OpenAPI document describes it. */
export interface Operation<A extends Access = Access, Q extends Query = Query, B extends Body = Body> {
  operationId: string;
  summary: string;
  description?: string;
  role: A;
  query?: Q;
  /** A zod schema is a JSON body, named in requestComponents. */
  body?: B;
  /** The handler checks If-Match: 412 when it names another version, and 428 without it when required. */
  ifMatch?: 'required' | 'optional';
  response: Success;
  /**
   * What the handler answers beyond what the rest of the declaration implies: 401 and 403 from the role,
   * 400 from a query or JSON body, 412 and 428 from If-Match.
   */
  problems: readonly ProblemKind[];
}

/** `{id}` and `{token}` of `messages/{id}/…` and `r/{token}`. */
type PathParams<R extends string> = R extends `${string}{${infer P}}${infer Rest}` ? P | PathParams<Rest> : never;

/**
 * What a handler is given: the caller as the role requires (none for a public operation), the path
 * parameters, and the declared query and body, each validated when the handler asks for it, so a handler
 * keeps its order of checks (a message that does not exist answers 404 before its query's 400).
 */
export type Call<P extends string, A extends Access, Q extends Query, B extends Body, D extends boolean> = {
  request: HttpRequest;
  context: InvocationContext;
  params: Readonly<Record<P, string>>;
  caller: A extends 'public' ? undefined : Caller;
  client: D extends true ? df.DurableClient : undefined;
} & (Q extends z.ZodObject ? { query: () => z.output<Q> } : unknown) &
  (B extends z.ZodType ? { body: () => Promise<z.output<B>> } : unknown);

type Handler<P extends string, A extends Access, Q extends Query, B extends Body, D extends boolean> = (
  call: Call<P, A, Q, B, D>,
) => Promise<HttpResponseInit>;

/** An operation with its handler, its types spent: what the registry keeps and the dispatcher calls. */
interface Declared extends Operation {
  handler: (call: never) => Promise<HttpResponseInit>;
}

/** Declares one method of a route with several (see `route`). */
export type OperationOf<P extends string, D extends boolean> = <A extends Access, Q extends Query = undefined, B extends Body = undefined>(
  operation: Operation<A, Q, B> & { handler: Handler<P, A, Q, B, D> },
) => Declared;

type RouteFields<R extends string, D extends boolean> = {
  /** The function's name, as the host and devhost know it. */
  name: string;
  /** Below `/api` (API_PREFIX, which registration adds). */
  route: R;
  tag: Tag;
  durable?: D;
} & ([PathParams<R>] extends [never] ? { params?: never } : { params: Record<PathParams<R>, string> });

/** What the registry keeps of a route: everything the OpenAPI document says of it. */
export interface RouteDescriptor {
  name: string;
  route: string;
  tag: Tag;
  /** What each path parameter is. */
  params: Readonly<Record<string, string>>;
  operations: Partial<Record<Method, Operation>>;
}

const declared: RouteDescriptor[] = [];

/**
 * Where the API lives. host.json's routePrefix is empty so that the console can be served at `/`
 * (functions/web/console.ts); every API route is registered below this prefix instead, so its URLs stay `/api/…`.
 */
export const API_PREFIX = 'api';

/** Every route declared so far: all of the app's once its entry module has loaded. */
export const declaredRoutes = (): readonly RouteDescriptor[] => declared;

/**
 * Registers an HTTP function and records its descriptor. A function with one method is declared in one
 * object (`method` beside the operation); one with several gives `methods`, declaring each with `op`.
 */
export function route<
  R extends string,
  A extends Access,
  Q extends Query = undefined,
  B extends Body = undefined,
  D extends boolean = false,
>(declaration: RouteFields<R, D> & Operation<A, Q, B> & { method: Method; handler: Handler<PathParams<R>, A, Q, B, D> }): void;
export function route<R extends string, D extends boolean = false>(
  declaration: RouteFields<R, D> & { methods: (op: OperationOf<PathParams<R>, D>) => Partial<Record<Method, Declared>> },
): void;
export function route(
  declaration: { name: string; route: string; tag: Tag; params?: Record<string, string>; durable?: boolean } & (
    (Declared & { method: Method }) | { methods: (op: (operation: Declared) => Declared) => Partial<Record<Method, Declared>> }
  ),
): void {
  const { name, route: path, tag, params = {}, durable } = declaration;
  const operations = 'methods' in declaration ? declaration.methods((operation) => operation) : { [declaration.method]: declaration };
  declared.push({ name, route: path, tag, params, operations });

  const answer = async (request: HttpRequest, context: InvocationContext, client?: df.DurableClient): Promise<HttpResponseInit> => {
    const operation = operations[request.method as Method]!;
    let response: HttpResponseInit;
    try {
      response = await operation.handler((await callOf(operation, request, context, client)) as never);
    } catch (error) {
      response = problemOf(error).response();
    }
    return withSafeHeaders(response);
  };
  const options = { methods: METHODS.filter((m) => operations[m]), route: `${API_PREFIX}/${path}`, authLevel: 'anonymous' } as const;
  if (durable) df.app.client.http(name, { ...options, handler: (request, client, context) => answer(request, context, client) });
  else app.http(name, { ...options, handler: (request, context) => answer(request, context) });
}

/** What a handler threw, as its answer: a dependency that is down is a 503 with Retry-After, never a 500. */
function problemOf(error: unknown): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof Unavailable)
    return new Problem('unavailable', `${error.message}; try again in ${error.retryAfterSeconds} s`, [], {
      'retry-after': String(error.retryAfterSeconds),
    });
  throw error;
}

async function callOf(operation: Operation, request: HttpRequest, context: InvocationContext, client: df.DurableClient | undefined) {
  const { role, query, body } = operation;
  const caller = role === 'public' ? undefined : role === 'device' ? await signedIn(request) : await authorize(request, role);
  return {
    request,
    context,
    params: request.params,
    caller,
    client,
    ...(query ? { query: () => parsedQuery(request, query) } : {}),
    ...(isSchema(body) ? { body: () => jsonBody(request, body) } : {}),
  };
}

/**
 * Every answer: a browser never sniffs another type into it, and a shared cache keeps none of it unless the
 * handler said it may (answers are per caller and per moment).
 */
function withSafeHeaders(response: HttpResponseInit): HttpResponseInit {
  const headers = new Headers(response.headers as ConstructorParameters<typeof Headers>[0]);
  headers.set('x-content-type-options', 'nosniff');
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
  return { ...response, headers: Object.fromEntries(headers) };
}

function parsedQuery<S extends z.ZodObject>(request: HttpRequest, schema: S): z.output<S> {
  // The Functions host joins a parameter given twice with a comma (status=Draft,Active), so neither value is
  // picked silently: the joined text fails the parameter's own rule, named.
  const parsed = schema.safeParse(Object.fromEntries(request.query));
  if (!parsed.success) throw validationProblem(parsed.error.issues);
  return parsed.data;
}
