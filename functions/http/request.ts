/**
 * Reading a request the same way for every route (routes.ts does it before and for its handler): who is
 * calling and may they (401/403), and its JSON body (400 when it is not JSON or not valid). Failures are
 * thrown as Problems, which the route answers.
 */
import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { authenticate, Unauthenticated, type Caller } from '../../adapters/runtime/auth.js';
import { ACTIONS, can, type Action } from '../../core/roles.js';
import { Problem, validationProblem } from './problem.js';

/** The verified caller, whatever roles they hold (what recipients' devices call needs none). */
export async function signedIn(request: HttpRequest): Promise<Caller> {
  try {
    return await authenticate(request.headers.get('authorization'));
  } catch (error) {
    if (!(error instanceof Unauthenticated)) throw error;
    // RFC 6750 §3: tell the client which scheme to use and, for a bad token, why it failed.
    const challenge = request.headers.has('authorization') ? `Bearer error="invalid_token", error_description="${error.reason}"` : 'Bearer';
    throw new Problem('unauthenticated', error.reason, [], { 'www-authenticate': challenge });
  }
}

/** The verified caller, provided they hold a role that allows `action`. */
export async function authorize(request: HttpRequest, action: Action): Promise<Caller> {
  const caller = await signedIn(request);
  if (!can(caller, action)) throw new Problem('forbidden', `this needs one of the roles ${ACTIONS[action].join(', ')}`);
  return caller;
}

/** The body parsed as JSON and validated by `schema`. */
export async function jsonBody<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.output<S>> {
  const text = await request.text();
  // No body is an empty object: an action whose fields are all optional (approve, submit) needs none, and
  // one with a required field says which is missing.
  if (text.trim() === '') return parsed(schema, {});
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== undefined && type !== 'application/json' && !type.endsWith('+json'))
    throw new Problem('unsupported-media-type', `the body must be application/json, not ${type}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Problem('malformed-body', `the body must be JSON: ${(error as Error).message}`);
  }
  return parsed(schema, raw);
}

function parsed<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationProblem(parsed.error.issues);
  return parsed.data;
}
