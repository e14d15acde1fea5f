// `node --import` preload that counts the HTTP requests a process makes (for devhost: its storage requests,
// and those its fetch sends, to the Graph stand-in say), by method, table / queue / container (Graph: its
// resource) and status, while the file named by BENCH_COUNT_REQUESTS_FLAG exists. When the file goes away it
// writes the counts to `<flag>.<pid>.json`, so a benchmark can say what one operation costs in requests.
// Uses node:diagnostics_channel: the process's own code is untouched.
import { subscribe } from 'node:diagnostics_channel';
import { existsSync, writeFileSync } from 'node:fs';

const flag = process.env.BENCH_COUNT_REQUESTS_FLAG;
if (flag) {
  const counts = new Map();
  let counting = false;
  // Storage paths are /<account>/<table or queue or container>[(keys)|/…]; `$batch` is a transaction.
  const keyOf = (request, status) => {
    const [account, resource = ''] = (request.path ?? '').split('?')[0].split('/').filter(Boolean);
    return `${request.method} ${resource.replace(/\(.*$/, '') || account || '/'} ${status}`;
  };
  const count = (request, status) => {
    if (!counting) return;
    const key = keyOf(request, status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  subscribe('http.client.response.finish', ({ request, response }) => count(request, response.statusCode));
  // fetch (undici) does not go through node:http: the Graph SDK's requests, say (path /v1.0/<resource>/…).
  subscribe('undici:request:headers', ({ request, response }) => count(request, response.statusCode));
  setInterval(() => {
    const now = existsSync(flag);
    if (counting && !now)
      writeFileSync(`${flag}.${process.pid}.json`, JSON.stringify(Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]))));
    if (!counting && now) counts.clear();
    counting = now;
  }, 50).unref();
}
