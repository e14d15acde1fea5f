/** Which file of dist/web answers a path, as what, and for how long a browser may keep it. Pure. */

export type ConsoleFile = { kind: 'file'; path: string; contentType: string; cacheControl: string } | { kind: 'not-found'; path: string };

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  map: 'application/json',
  txt: 'text/plain; charset=utf-8',
};

/** Vite names what it writes to assets/ by its content: a new build is a new name, so it never goes stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function consoleFile(pathname: string): ConsoleFile {
  let path: string;
  try {
    path = decodeURIComponent(pathname).replace(/^\/+/, '');
  } catch {
    return { kind: 'not-found', path: pathname };
  }
  // The API answers its own paths, and an unknown one is the API's 404, never the console's page.
  if (/^api(\/|$)/i.test(path) || path.split('/').some((s) => s === '..' || s.startsWith('.')) || path.includes('\\'))
    return { kind: 'not-found', path: `/${path}` };
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  // A path without an extension is one of the console's own screens (/messages/…): the page routes it.
  if (!ext) return { kind: 'file', path: 'index.html', contentType: TYPES.html!, cacheControl: 'no-store' };
  const contentType = TYPES[ext];
  if (!contentType) return { kind: 'not-found', path: `/${path}` };
  return {
    kind: 'file',
    path,
    contentType,
    cacheControl: path.startsWith('assets/') ? IMMUTABLE : ext === 'html' ? 'no-store' : 'no-cache',
  };
}
