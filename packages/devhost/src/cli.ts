#!/usr/bin/env node
import { banner } from './banner.js';
import { cliOptions, failWith } from './cliArgs.js';
import { DevhostError } from './config.js';
import { Host } from './host.js';
import { ExtraInstances, PARENT_PIPE } from './instances.js';

const USAGE = `usage: devhost --app <dir> [--port <n>] [--host <address>] [--storage memory|disk|<connection string>]
               [--clock real|test|test=<ISO time>] [--keys <file>] [--settings <file>] [--instances <n>] [--verbose]

  --app       the Functions app directory (package.json, host.json, local.settings.json)
  --port      HTTP port; default local.settings.json Host.LocalHttpPort, else 7071; 0 picks a free one
  --host      the address to listen on; default 127.0.0.1 (this machine only); 0.0.0.0 opens it to the network,
              admin API (it mints tokens) and Durable HTTP API included: pass --keys with it
  --storage   memory (default): Azurite in memory; disk: Azurite in <app>/.azurite; or a storage connection string
  --clock     real (default), or test: virtual time from now (or from <ISO time>) moved through the admin API
  --keys      a keys file ({"masterKey", "functionKeys"}): enforce authLevel
  --settings  the local settings file; default <app>/local.settings.json, else <app>/local.settings.sample.json
  --instances run n instances of the app over one storage account, as Azure scales out (default 1): queue
              messages are shared out, a timer fires on one instance, Durable partitions are split by lease.
              Instances 2..n get free ports. Hosts started separately with one --storage scale out the same way
  --verbose   every log line, each invocation's start and duration
  --help      this text

The app is told where the host and its stand-ins answer: WEBSITE_HOSTNAME and DEVHOST_* settings, which
its settings may refer to as %DEVHOST_…% (devhost/README.md, "Settings devhost supplies").`;

const fail: (message: string) => never = failWith('devhost');

const values = cliOptions('devhost', USAGE, {
  app: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  storage: { type: 'string' },
  clock: { type: 'string' },
  keys: { type: 'string' },
  settings: { type: 'string' },
  instances: { type: 'string' },
  verbose: { type: 'boolean' },
});
if (!values.app) fail(`--app is required\n${USAGE}`);
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && (!/^\d+$/.test(values.port!) || port > 65535)) fail(`--port must be a port number, got "${values.port}"`);
const instances = values.instances === undefined ? 1 : Number(values.instances);
if (!/^\d+$/.test(values.instances ?? '1') || instances < 1 || instances > 16)
  fail(`--instances must be a whole number from 1 to 16, got "${values.instances}"`);
if (instances > 1 && values.clock && values.clock !== 'real')
  fail('--instances needs the real clock: each instance would have a test clock of its own');
let clock: { mode: 'real' } | { mode: 'test'; start: number } = { mode: 'real' };
if (values.clock && values.clock !== 'real') {
  const m = /^test(?:=(.+))?$/.exec(values.clock);
  const start = m?.[1] ? Date.parse(m[1]) : Date.now();
  if (!m || !Number.isFinite(start)) fail(`--clock must be real, test or test=<ISO time>, got "${values.clock}"`);
  clock = { mode: 'test', start };
}

// The others start from the environment as it was, not with this instance's settings and supplied values.
const startEnv = { ...process.env };
const extra = new ExtraInstances();
const host = new Host({
  app: values.app,
  port,
  ...(values.host ? { host: values.host } : {}),
  storage: values.storage,
  clock,
  keysFile: values.keys,
  settingsFile: values.settings,
  verbose: values.verbose,
});
let stopping = false;
const stop = (signal: string) => {
  if (stopping) {
    process.stderr.write('devhost: forced exit\n');
    process.exit(130);
  }
  stopping = true;
  process.stdout.write(`\nStopping (${signal})…\n`);
  // The others first: with storage in memory, this instance's Azurite is theirs too.
  extra
    .stop()
    .then(() => host.stop())
    .then(
      () => process.exit(0),
      (error: Error) => fail(error.message),
    );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
if (process.env[PARENT_PIPE]) {
  delete process.env[PARENT_PIPE];
  process.stdin.on('end', () => stop('the first instance exited'));
  process.stdin.on('error', () => stop('the first instance exited'));
  process.stdin.resume();
}
try {
  await host.start();
} catch (error) {
  await host.stop().catch(() => undefined);
  if (error instanceof DevhostError) fail(error.message);
  fail((error as Error).stack ?? String(error));
}
process.stdout.write(banner(host) + '\n');
if (instances > 1) {
  process.stdout.write(`Scale-out: starting ${instances - 1} more instance(s) over this storage\n`);
  extra.start(instances, {
    cli: process.argv[1]!,
    app: values.app,
    connectionString: host.storage.connectionString,
    host: values.host,
    keys: values.keys,
    settings: values.settings,
    verbose: values.verbose,
    env: startEnv,
    write: (line) => process.stdout.write(line),
  });
}
