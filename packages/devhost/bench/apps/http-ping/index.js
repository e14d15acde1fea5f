// Fixture for bench/devhost-http.mjs: one trivial anonymous GET function answering a small JSON body.
// bench/lib/bare-http-server.mjs answers the same route with the same body, without devhost.
import { app } from '@azure/functions';

app.http('ping', {
  route: 'ping',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => ({ jsonBody: { ok: true, service: 'herald', message: 'pong' } }),
});
