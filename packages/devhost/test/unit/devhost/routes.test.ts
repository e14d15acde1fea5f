import { describe, expect, test } from 'vitest';
import { compareRoutes, compileRoute, matchRoute } from '../../../src/http/routes.js';

describe('route templates', () => {
  test('plain and optional parameters', () => {
    const r = compileRoute('hello/{name?}');
    expect(matchRoute(r, '/hello/bob')).toEqual({ name: 'bob' });
    expect(matchRoute(r, '/hello')).toEqual({});
    expect(matchRoute(r, '/hello/')).toEqual({});
    expect(matchRoute(r, '/hello/a/b')).toBeUndefined();
  });

  test('literals match case-insensitively and values are URL-decoded', () => {
    expect(matchRoute(compileRoute('Users/{id}'), '/users/a%20b')).toEqual({ id: 'a b' });
  });

  test('constraints reject values that do not fit', () => {
    const r = compileRoute('items/{id:int}');
    expect(matchRoute(r, '/items/42')).toEqual({ id: '42' });
    expect(matchRoute(r, '/items/abc')).toBeUndefined();
    expect(matchRoute(r, '/items/99999999999')).toBeUndefined();
    expect(matchRoute(compileRoute('c/{code:length(3)}'), '/c/abcd')).toBeUndefined();
    expect(matchRoute(compileRoute('r/{n:range(1,9)}'), '/r/5')).toEqual({ n: '5' });
    expect(matchRoute(compileRoute('g/{id:guid}'), '/g/not-a-guid')).toBeUndefined();
    expect(matchRoute(compileRoute('x/{v:regex(^[a-c]+$)}'), '/x/abc')).toEqual({ v: 'abc' });
  });

  test('catch-all takes the rest of the path', () => {
    const r = compileRoute('files/{*path}');
    expect(matchRoute(r, '/files/a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(matchRoute(r, '/files')).toEqual({});
  });

  test('bad templates fail with the template named', () => {
    expect(() => compileRoute('a/{id:nosuch}')).toThrow(/route "a\/\{id:nosuch\}": unknown constraint "nosuch"/);
    expect(() => compileRoute('a/{*rest}/b')).toThrow(/catch-all/);
    expect(() => compileRoute('a/{id}/{id}')).toThrow(/appears twice/);
  });

  test('literal segments win over parameters, constrained over plain, plain over catch-all', () => {
    const routes = ['items/{*rest}', 'items/{id}', 'items/{id:int}', 'items/new'].map(compileRoute).sort(compareRoutes);
    expect(routes.map((r) => r.template)).toEqual(['items/new', 'items/{id:int}', 'items/{id}', 'items/{*rest}']);
  });
});
