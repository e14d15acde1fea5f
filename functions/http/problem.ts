/**
 * Every error Herald's HTTP API returns, as RFC 9457 `application/problem+json`. Each kind has a stable
 * `type` URI clients can switch on; `detail` is for people; `errors` names each offending field and rule.
 * Handlers throw a Problem and the route it is declared with (routes.ts) turns it into the response, so no
 * handler shapes errors itself.
 */
import type { HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { responseComponents } from './schemas/components.js';

export const KINDS = {
  'malformed-body': { status: 400, title: 'The request body is not valid JSON' },
  validation: { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'You are not allowed to do this' },
  'not-found': { status: 404, title: 'Not found' },
  'status-conflict': { status: 409, title: 'The message is not in a status that allows this' },
  'precondition-failed': { status: 412, title: 'The message has changed since you read it' },
  'precondition-required': { status: 428, title: 'An If-Match header is required' },
  'rate-limited': { status: 429, title: 'Too many sends: wait for the time in Retry-After' },
} as const;
export type ProblemKind = keyof typeof KINDS;

export const PROBLEM_BASE = 'https://herald.example/problems/';

/** The body of every problem response. */
export const ProblemDetails = z
  .object({
    type: z.enum(Object.keys(KINDS).map((kind) => PROBLEM_BASE + kind) as [string, ...string[]]),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .register(responseComponents, {
    id: 'Problem',
    description:
      'An RFC 9457 problem: `type` is stable and can be switched on, `detail` is for people, `errors` names each offending field.',
  });
export type ProblemDetails = z.output<typeof ProblemDetails>;

export interface FieldError {
  path: string;
  message: string;
}

export class Problem extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  response(): HttpResponseInit {
    const { status, title } = KINDS[this.kind];
    const body: ProblemDetails = {
      type: PROBLEM_BASE + this.kind,
      title,
      status,
      detail: this.detail,
      ...(this.errors.length ? { errors: this.errors } : {}),
    };
    return { status, headers: { ...this.headers, 'content-type': 'application/problem+json' }, body: JSON.stringify(body) };
  }
}

/** zod issues as field errors: an unknown key is reported on its own path, not on the object holding it. */
export function fieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: [...at, key].join('.'), message: 'is not a known field' }));
    return [{ path: at.join('.') || '(body)', message: issue.message }];
  });
}

export const validationProblem = (issues: readonly z.core.$ZodIssue[]) => {
  const errors = fieldErrors(issues);
  return new Problem('validation', `${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
};
