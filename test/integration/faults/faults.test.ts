// The fault suite (bench/faults.mjs) in its short form, one scenario per test: each runs the real runner
// against the built app on devhost and must print PASS.
import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const runner = resolve(root, 'bench/faults.mjs');

const scenarios = execFileSync(process.execPath, [runner, '--list'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .map((line) => line.split('\t')[0]!);

function run(name: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [runner, '--short', '--only', name], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => done({ code, output }));
  });
}

test('the runner finds the scenarios of every fault this suite is for', () => {
  expect(scenarios).toEqual(
    expect.arrayContaining([
      'kill-teams',
      'kill-email',
      'kill-push',
      'cancel-email',
      'cancel-teams',
      'kill-during-cancel',
      'two-instances',
    ]),
  );
});

for (const name of scenarios) {
  test(`${name}: PASS in the short run`, { timeout: 900_000 }, async () => {
    const { code, output } = await run(name);
    expect(output, output).toMatch(new RegExp(`^${name}: (.* — )?PASS$`, 'm'));
    expect(code, output).toBe(0);
  });
}
