import { expect, test } from 'vitest';
import { parseBlobPath } from '../../../src/triggers/blobTrigger.js';

test('a trigger path names its container, the prefix to list, and captures its {…} parts', () => {
  const p = parseBlobPath('uploads/in/{name}.{ext}', 'f');
  expect(p.container).toBe('uploads');
  expect(p.prefix).toBe('in/');
  expect(p.match('in/report.final.pdf')).toEqual({ name: 'report', ext: 'final.pdf' });
  expect(p.match('in/folder/a.txt')).toEqual({ name: 'folder/a', ext: 'txt' });
  expect(p.match('out/a.txt')).toBeUndefined();
  expect(p.match('in/noext')).toBeUndefined();
});

test('a container alone matches every blob in it; literal dots and brackets are literal', () => {
  expect(parseBlobPath('images', 'f').match('a/b.png')).toEqual({ name: 'a/b.png' });
  const p = parseBlobPath('logs/app(1).{n}', 'f');
  expect(p.match('app(1).x')).toEqual({ n: 'x' });
  expect(p.match('app1.x')).toBeUndefined();
});

test('a bad container or parameter is refused, naming the function', () => {
  expect(() => parseBlobPath('Uploads/{name}', 'resize')).toThrow(/resize: "Uploads" is not a valid blob container name/);
  expect(() => parseBlobPath('uploads/{na-me}', 'resize')).toThrow(/resize: path "uploads\/\{na-me\}" has a bad parameter/);
});
