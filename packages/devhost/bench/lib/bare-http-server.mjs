// The baseline for bench/devhost-http.mjs: a bare node:http server doing the same work as the
// bench/apps/http-ping function (GET /api/ping → the same small JSON body), run as its own process.
// Listens on 127.0.0.1 (port from argv[2], default 0 = free port) and prints `listening <port>`.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  if (url.pathname.toLowerCase() !== '/api/ping') return void res.writeHead(404).end();
  if (req.method !== 'GET') return void res.writeHead(405, { Allow: 'GET' }).end();
  const body = JSON.stringify({ ok: true, service: 'herald', message: 'pong' });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
});
server.keepAliveTimeout = 65_000; // as devhost sets it
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// End with the parent even if it is killed hard: it holds the other end of our stdin.
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
