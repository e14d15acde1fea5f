// Stopping devhost leaves nothing behind: Ctrl-C (SIGINT) exits 0 with its Azurite child gone, and after a
// SIGKILL of devhost the Azurite child ends by itself. Fixture: mixed (HTTP, queue and timer functions).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { beforeAll, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

/** The Azurite process devhost started: its direct child running azuriteGuard.js. */
function azuriteChild(devhostPid: number): number {
  const out = execFileSync('pgrep', ['-P', String(devhostPid), '-f', 'azuriteGuard\\.js'], { encoding: 'utf8' });
  const pids = out.split('\n').filter(Boolean).map(Number);
  expect(pids).toHaveLength(1);
  return pids[0]!;
}

/** Whether a process still runs (a zombie waiting to be reaped has ended). */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) return existsSync(stat) && !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const queuePort = (host: TestHost) => Number(/QueueEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(host.storage)![1]);

let interrupted: TestHost;
let killed: TestHost;

beforeAll(async () => {
  [interrupted, killed] = await Promise.all([
    startHost({ app: 'test/fixtures/devhost/mixed' }),
    startHost({ app: 'test/fixtures/devhost/mixed' }),
  ]);
});

test('SIGINT stops devhost with exit code 0 and its Azurite with it', async () => {
  const pid = interrupted.process.pid!;
  const azurite = azuriteChild(pid);
  const port = queuePort(interrupted);
  expect(await answers(port)).toBe(true);
  expect((await interrupted.fetch('/api/ping')).status).toBe(200);

  expect(await interrupted.stop()).toBe(0);
  expect(interrupted.output()).toContain('Stopping (SIGINT)');
  expect(alive(pid)).toBe(false);
  // devhost waits for Azurite to exit before it exits itself: nothing to wait for here.
  expect(alive(azurite)).toBe(false);
  expect(await answers(port)).toBe(false);
});

test('after SIGKILL of devhost, its Azurite ends by itself within a few seconds', async () => {
  const pid = killed.process.pid!;
  const azurite = azuriteChild(pid);
  const port = queuePort(killed);
  expect(await answers(port)).toBe(true);

  await killed.kill();
  expect(alive(pid)).toBe(false);
  // Nothing to wait on but the process itself: poll until it is gone and its ports with it.
  const ended = async () => !alive(azurite) && !(await answers(port));
  const deadline = Date.now() + 10_000;
  while (!(await ended()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(alive(azurite)).toBe(false);
  expect(await answers(port)).toBe(false);
});
