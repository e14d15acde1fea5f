// Azurite's three services are started on ports picked together: picked one after another, the OS may
// hand the same port out twice, and the second service then dies with EADDRINUSE (seen in CI).
import { createServer } from 'node:net';
import { expect, test } from 'vitest';
import { freePorts } from '../../../src/storage/azurite.js';

test('ports picked together are distinct, and each can be listened on right after', async () => {
  const ports = await freePorts(64);
  expect(new Set(ports).size).toBe(64);
  const servers = await Promise.all(
    ports.slice(0, 3).map(
      (port) =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});
