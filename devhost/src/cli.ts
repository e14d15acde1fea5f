#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { banner } from './banner.js';
import { DevhostError } from './config.js';
import { Host } from './host.js';

const USAGE = `usage: devhost --app <dir> [--port <n>] [--storage memory|disk|<connection string>]
               [--clock real|test|test=<ISO time>] [--keys <file>] [--verbose]`;

function fail(message: string): never {
  process.stderr.write(`devhost: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        app: { type: 'string' },
        port: { type: 'string' },
        storage: { type: 'string' },
        clock: { type: 'string' },
        keys: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (!values.app) fail(`--app is required\n${USAGE}`);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    fail(`--port must be a port number, got "${values.port}"`);
  let clock: { mode: 'real' } | { mode: 'test'; start: number } = { mode: 'real' };
  if (values.clock && values.clock !== 'real') {
    const m = /^test(?:=(.+))?$/.exec(values.clock);
    const start = m?.[1] ? Date.parse(m[1]) : Date.now();
    if (!m || !Number.isFinite(start)) fail(`--clock must be real, test or test=<ISO time>, got "${values.clock}"`);
    clock = { mode: 'test', start };
  }

  const host = new Host({ app: values.app, port, storage: values.storage, clock, keysFile: values.keys, verbose: values.verbose });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stderr.write('devhost: forced exit\n');
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\nStopping (${signal})…\n`);
    host.stop().then(
      () => process.exit(0),
      (error: Error) => fail(error.message),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  try {
    await host.start();
  } catch (error) {
    await host.stop().catch(() => undefined);
    if (error instanceof DevhostError) fail(error.message);
    fail((error as Error).stack ?? String(error));
  }
  process.stdout.write(banner(host) + '\n');
}

void main();
