import { describe, expect, test } from 'vitest';
import { consoleFile } from '../../../functions/web/consoleFiles.js';

describe('the console’s files', () => {
  test('a screen’s path is the page, never kept by the browser', () => {
    for (const path of ['/', '/messages', '/messages/123/detail'])
      expect(consoleFile(path)).toEqual({
        kind: 'file',
        path: 'index.html',
        contentType: 'text/html; charset=utf-8',
        cacheControl: 'no-store',
      });
  });

  test('built assets are kept for a year, other files revalidated', () => {
    expect(consoleFile('/assets/index-3f9a.js')).toMatchObject({
      path: 'assets/index-3f9a.js',
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: 'public, max-age=31536000, immutable',
    });
    expect(consoleFile('/favicon.svg')).toMatchObject({ contentType: 'image/svg+xml', cacheControl: 'no-cache' });
  });

  test('the API’s paths, hidden files, climbing out and unknown types are not the console’s', () => {
    for (const path of [
      '/api/nothing',
      '/api',
      '/API/x',
      '/../package.json',
      '/assets/%2e%2e/x.js',
      '/.devhost/identity.json',
      '/x.exe',
      '/%E0%A4%A',
    ])
      expect(consoleFile(path).kind).toBe('not-found');
  });
});
