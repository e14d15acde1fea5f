// A small HTTP client for closed-loop benchmark clients: any method, a JSON body, keep-alive connections to one
// origin, resolving when the whole answer is in. node:http rather than fetch: undici's per-request overhead in
// the bench process would be measured as the server's latency when 50 clients share one core with it.
import { Agent, request } from 'node:http';

/**
 * `send(method, path, { headers, body })` resolves to `{ status, headers, body }` (body as text); a JSON
 * `body` is serialised. `localhost` is dialled as 127.0.0.1, so traffic stays on IPv4 loopback.
 */
export function httpClient(origin, { maxSockets = 64 } = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const base = new URL(origin);
  const hostname = base.hostname === 'localhost' ? '127.0.0.1' : base.hostname;
  const send = (method, path, { headers = {}, body } = {}) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      const req = request(
        {
          agent,
          hostname,
          port: base.port,
          path,
          method,
          headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}), ...headers },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return { send, close: () => agent.destroy() };
}
