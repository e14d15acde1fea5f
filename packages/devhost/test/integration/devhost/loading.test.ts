// Loading apps the way the Node worker does: ESM and CommonJS, a glob "main", and the apps that must
// not start (a glob matching nothing, a syntax error), run through the CLI itself. Fixtures: glob, cjs, nomatch.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHost, type TestHost } from '../../../src/testing.js';

const CLI = 'dist/cli.js';

/** Runs the devhost CLI for an app that should fail to start, and reports how it ended. */
function runCli(app: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--app', app, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`devhost did not exit for ${app}:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('apps that load', () => {
  let esm: TestHost;
  let cjs: TestHost;

  beforeAll(async () => {
    [esm, cjs] = await Promise.all([startHost({ app: 'test/fixtures/devhost/glob' }), startHost({ app: 'test/fixtures/devhost/cjs' })]);
  });

  afterAll(async () => {
    await Promise.all([esm?.stop(), cjs?.stop()]);
  });

  test('an ESM app whose "main" is a glob loads every matching file, and only those', async () => {
    const listed = (await (await esm.adminFetch('/admin/functions')).json()) as { name: string }[];
    expect(listed.map((f) => f.name)).toEqual(['alpha', 'beta', 'gamma']);
    for (const name of ['alpha', 'beta', 'gamma']) {
      const res = await esm.fetch(`/api/${name}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ name, file: `${name}.js`, moduleSystem: 'esm' });
    }
  });

  test('a CommonJS app (no "type": "module") loads with require, and its host.json route prefix applies', async () => {
    const res = await cjs.fetch('/legacy/whoami');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ moduleSystem: 'commonjs', file: 'app.js' });
    expect((await cjs.fetch('/api/whoami')).status).toBe(404);
  });
});

describe('apps that do not start', () => {
  test('a "main" glob that matches no file is a clear error and a non-zero exit', async () => {
    const { code, stdout, stderr } = await runCli('test/fixtures/devhost/nomatch');
    expect(code).not.toBe(0);
    expect(stderr).toContain('Found zero files matching the supplied pattern "build/functions/*.js"');
    expect(stderr).toContain('has the app been built?');
    expect(stdout).not.toContain('Host started');
  });

  test.each([
    ['CommonJS', undefined, "const { app } = require('@azure/functions');"],
    ['ESM', 'module', "import { app } from '@azure/functions';"],
  ])('a %s entry file with a syntax error exits non-zero and names the file', async (_kind, type, importLine) => {
    const app = mkdtempSync(join(tmpdir(), 'devhost-broken-'));
    mkdirSync(join(app, 'src'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'broken', ...(type ? { type } : {}), main: 'src/handlers.js' }));
    writeFileSync(join(app, 'src/handlers.js'), `${importLine}\n\napp.http('broken', {\n  handler: async () => ({ body: 'never' }),\n);\n`);
    const { code, stdout, stderr } = await runCli(app);
    expect(code).not.toBe(0);
    expect(stderr).toContain('src/handlers.js');
    expect(stderr).toContain('SyntaxError');
    expect(stdout).not.toContain('Host started');
  });
});
