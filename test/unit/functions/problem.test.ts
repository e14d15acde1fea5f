import { z } from 'zod';
import { describe, expect, test } from 'vitest';
import { fieldErrors, Problem, validationProblem } from '../../../functions/http/problem.js';

describe('problem responses', () => {
  test('are RFC 9457 problem+json with a stable type', () => {
    const res = new Problem('not-found', 'there is no message x', [], { etag: '"1"' }).response();
    expect(res.status).toBe(404);
    expect(res.headers).toEqual({ etag: '"1"', 'content-type': 'application/problem+json' });
    expect(JSON.parse(String(res.body))).toEqual({
      type: 'https://herald.example/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'there is no message x',
    });
  });

  test('zod issues name each field, unknown keys on their own path', () => {
    const schema = z.object({ a: z.object({ b: z.string().min(2, 'too short') }).strict(), n: z.number() }).strict();
    const issues = schema.safeParse({ a: { b: 'x', c: 1, d: 2 }, n: 'one', e: true }).error!.issues;
    expect(fieldErrors(issues)).toEqual([
      { path: 'a.b', message: 'too short' },
      { path: 'a.c', message: 'is not a known field' },
      { path: 'a.d', message: 'is not a known field' },
      // Herald's own words where the schema has none (never zod's "Invalid input: expected …").
      { path: 'n', message: 'must be a number' },
      { path: 'e', message: 'is not a known field' },
    ]);
    const body = JSON.parse(String(validationProblem(z.array(z.number()).safeParse('x').error!.issues).response().body));
    expect(body).toMatchObject({ status: 400, type: 'https://herald.example/problems/validation', errors: [{ path: '(body)' }] });
  });
});
