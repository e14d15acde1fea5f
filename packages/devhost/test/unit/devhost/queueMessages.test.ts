import { expect, test } from 'vitest';
import { decodeMessage, encodeMessage, outputMessages } from '../../../src/bindings/queueMessages.js';

test('base64 round trip keeps UTF-8 text', () => {
  const text = '{"greeting":"grüße 👋"}';
  const encoded = encodeMessage(text, 'base64');
  expect(encoded).toBe(Buffer.from(text).toString('base64'));
  expect(decodeMessage(encoded, 'base64')).toBe(text);
  expect(decodeMessage('plain text!', 'base64')).toBeUndefined();
  expect(decodeMessage('plain text!', 'none')).toBe('plain text!');
});

test('an array output is one message per element; objects become JSON', () => {
  expect(outputMessages({ json: JSON.stringify([{ a: 1 }, 'two', 3]) })).toEqual(['{"a":1}', 'two', '3']);
  expect(outputMessages({ json: JSON.stringify({ a: 1 }) })).toEqual(['{"a":1}']);
  expect(outputMessages({ string: 'hello' })).toEqual(['hello']);
  expect(outputMessages({ int: 7 })).toEqual(['7']);
});
