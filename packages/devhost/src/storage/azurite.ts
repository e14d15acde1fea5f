import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { DevhostError } from '../config.js';

export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteInstance {
  connectionString: string;
  stop(): Promise<void>;
}

/**
 * `count` distinct TCP ports that are free now (the OS picks them), for servers started right after. Each
 * probe stays bound until all are picked: closed one by one, the OS may hand the same port out twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      server.unref();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (typeof address !== 'object' || !address) throw new Error('no port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** A TCP port that is free now, for a server started right after. */
export const freePort = async (): Promise<number> => (await freePorts(1))[0]!;

export function connectionStringFor(ports: { blob: number; queue: number; table: number }): string {
  const base = `http://127.0.0.1`;
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=${base}:${ports.blob}/${DEV_ACCOUNT}`,
    `QueueEndpoint=${base}:${ports.queue}/${DEV_ACCOUNT}`,
    `TableEndpoint=${base}:${ports.table}/${DEV_ACCOUNT}`,
  ].join(';');
}

/**
 * Starts the azurite npm package's own CLI as a child process on free ports: in memory, or persisted
 * under `location`. The child gets a pipe on stdin and a guard (see azuriteGuard) so it ends with us
 * even when we are killed with SIGKILL.
 */
export async function startAzurite(opts: { location?: string; log?: (line: string) => void } = {}): Promise<AzuriteInstance> {
  const [blob, queue, table] = await freePorts(3);
  const ports = { blob: blob!, queue: queue!, table: table! };
  const require = createRequire(import.meta.url);
  const cli = require.resolve('azurite/dist/src/azurite.js');
  const args = [
    new URL('./azuriteGuard.js', import.meta.url).pathname,
    cli,
    '--silent',
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    String(ports.blob),
    '--queuePort',
    String(ports.queue),
    '--tablePort',
    String(ports.table),
  ];
  if (opts.location) {
    mkdirSync(opts.location, { recursive: true });
    args.push('--location', opts.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = output.match(/successfully listening/g)?.length ?? 0;
      if (listening >= 3) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new DevhostError(`Azurite exited (code ${code}) before it was ready:\n${output.trim()}`)));
    child.once('error', reject);
  });
  child.removeAllListeners('exit');
  child.stdout?.on('data', (chunk: Buffer) => opts.log?.(chunk.toString().trimEnd()));
  child.stderr?.on('data', (chunk: Buffer) => opts.log?.(chunk.toString().trimEnd()));
  let stopped: Promise<void> | undefined;
  return {
    connectionString: connectionStringFor(ports),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
}
