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
  'unsupported-media-type': { status: 415, title: 'The request body is not JSON' },
  validation: { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'You are not allowed to do this' },
  'not-found': { status: 404, title: 'Not found' },
  'status-conflict': { status: 409, title: 'The message is not in a status that allows this' },
  'precondition-failed': { status: 412, title: 'The message has changed since you read it' },
  'precondition-required': { status: 428, title: 'An If-Match header is required' },
  'rate-limited': { status: 429, title: 'Too many sends: wait for the time in Retry-After' },
  misconfigured: { status: 503, title: 'A setting of the app is wrong: part of Herald cannot work until it is fixed' },
  unavailable: { status: 503, title: 'A service Herald depends on is not answering: try again after Retry-After' },
} as const;
export type ProblemKind = keyof typeof KINDS;

export const PROBLEM_BASE = 'https://herald.example/problems/';

const a = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
const UNITS: Record<string, [string, string]> = { string: ['character', 'characters'], array: ['entry', 'entries'] };
const count = (n: number | bigint, origin: string) => {
  const [one, many] = UNITS[origin] ?? ['', ''];
  return `${n}${one ? ` ${Number(n) === 1 ? one : many}` : ''}`;
};

/**
 * Herald's words for what zod would otherwise word itself ("Invalid input: expected string, received
 * undefined"): a schema's own message wins; this speaks for the rest, in the API's "<field> <rule>" style.
 */
z.config({
  customError: (issue) => {
    switch (issue.code) {
      case 'invalid_type':
        return issue.input === undefined ? 'is required' : `must be ${a(issue.expected)}`;
      case 'invalid_value':
        return `must be ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`}`;
      case 'too_small':
        return `must be at least ${count(issue.minimum, issue.origin)}`;
      case 'too_big':
        return `must be at most ${count(issue.maximum, issue.origin)}`;
      case 'invalid_format':
        return `must be ${issue.format === 'email' ? 'an email address' : issue.format === 'url' ? 'a URL' : `a valid ${issue.format}`}`;
      case 'invalid_union':
        return 'is not one of the allowed shapes';
      case 'unrecognized_keys':
        return 'is not a known field';
      default:
        return undefined;
    }
  },
});

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
