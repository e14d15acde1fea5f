// Fixture apps that pin their own @azure/functions and durable-functions (test/fixtures/compat/*) install from
// their committed lock file once; later runs reuse the fixture's node_modules while the lock is unchanged.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const COMPAT = resolve('test/fixtures/compat');

export function setup(): void {
  for (const name of readdirSync(COMPAT)) {
    const dir = join(COMPAT, name);
    const lock = join(dir, 'package-lock.json');
    if (!existsSync(lock)) continue;
    const installed = join(dir, 'node_modules', '.package-lock.json');
    if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) continue;
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  }
}
