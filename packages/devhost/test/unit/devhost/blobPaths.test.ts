// Blob binding paths: %Setting% references and {…} expressions resolved from the invocation's binding data, as
// the host resolves them; an expression with no value fails instead of writing to a wrong name.
import { expect, test } from 'vitest';
import { bindingData, blobPath } from '../../../src/bindings/blobs.js';

test('a queue message gives {queueTrigger} and its JSON properties; keys compare without case', () => {
  const data = bindingData('queueTrigger', { string: '{"Id":"o-1","n":2}' }, { DequeueCount: { json: '1' } });
  expect(blobPath({ path: 'orders/{id}-{N}-{dequeueCount}.json' }, data, {}, 'x')).toEqual({ container: 'orders', blob: 'o-1-2-1.json' });
  expect(blobPath({ path: 'raw/{queueTrigger}' }, bindingData('queueTrigger', { string: 'plain' }, {}), {}, 'x').blob).toBe('plain');
});

test('an HTTP request gives {Query.x} and its route parameters; %Setting% comes from the settings', () => {
  const data = bindingData('httpTrigger', { http: { query: { size: 'L' }, params: { id: '7' } } }, undefined);
  expect(blobPath({ path: '%BOX%/{id}/{Query.size}' }, data, { BOX: 'boxes' }, 'x')).toEqual({ container: 'boxes', blob: '7/L' });
});

test('{rand-guid} is fresh each time; a missing value or a path without a blob name is refused, naming it', () => {
  const a = blobPath({ path: 'c/{rand-guid}' }, {}, {}, 'x').blob;
  expect(a).toMatch(/^[0-9a-f-]{36}$/);
  expect(blobPath({ path: 'c/{rand-guid}' }, {}, {}, 'x').blob).not.toBe(a);
  expect(() => blobPath({ path: 'c/{id}' }, {}, {}, 'fn: blob output copy')).toThrow("fn: blob output copy: the path's {id} has no value");
  expect(() => blobPath({ path: 'only-container' }, {}, {}, 'fn')).toThrow('is not container/blob');
});
