import { spawn, type ChildProcess } from 'node:child_process';

/** Set for instances 2..N: their stdin is the first instance's pipe, closed when it exits. */
export const PARENT_PIPE = 'DEVHOST_PARENT_PIPE';

export interface InstanceOptions {
  /** The CLI script to run (this one). */
  cli: string;
  app: string;
  /** The first instance's storage, which the others share. */
  connectionString: string;
  /** `--host`: instances 2..N listen where the first does. */
  host?: string;
  keys?: string;
  settings?: string;
  verbose?: boolean;
  /** The environment devhost started with, before it applied the app's settings and what it supplies. */
  env: NodeJS.ProcessEnv;
  write: (line: string) => void;
}

/**
 * Instances 2..N of `--instances N`: devhost processes of the same app over the first one's storage, as Azure
 * scales a Function app out. Each has its own port (a free one) and stand-ins; their output is prefixed
 * with `[instance k]`. One that exits is reported, not restarted: the others take its work over.
 */
export class ExtraInstances {
  #children: ChildProcess[] = [];
  #stopping = false;

  start(count: number, options: InstanceOptions): void {
    for (let k = 2; k <= count; k++) {
      const args = [options.cli, '--app', options.app, '--port', '0', '--storage', options.connectionString];
      if (options.host) args.push('--host', options.host);
      if (options.keys) args.push('--keys', options.keys);
      if (options.settings) args.push('--settings', options.settings);
      if (options.verbose) args.push('--verbose');
      // A fixed push port is the first instance's; the others pick free ones.
      // Its stdin is a pipe from this process: when this one dies, even by kill -9, the pipe closes and it stops too.
      const child = spawn(process.execPath, args, {
        env: { ...options.env, DEVHOST_PUSH_PORT: '0', [PARENT_PIPE]: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const prefix = `[instance ${k}] `;
      let partial = '';
      const forward = (chunk: Buffer) => {
        const text = partial + chunk.toString();
        const lines = text.split('\n');
        partial = lines.pop()!;
        for (const line of lines) options.write(`${prefix}${line}\n`);
      };
      child.stdout!.on('data', forward);
      child.stderr!.on('data', forward);
      child.once('exit', (code, signal) => {
        if (!this.#stopping) options.write(`${prefix}exited (${signal ?? `code ${code}`}); the other instances take its partitions over\n`);
      });
      this.#children.push(child);
    }
  }

  /** Ctrl-C for each, then waits for them to exit. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGINT');
          }),
      ),
    );
  }
}
