// `npm run check:functions` says what the real Functions host would refuse. Run on an app made of the
// mistakes it refuses, every one is named; Herald itself is checked by the same script in .ci/run.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);

test('an app the host would refuse: every mistake is named and the check fails', async () => {
  const result = await run('node', ['scripts/check-functions.mjs', '--app', 'test/fixtures/functions-check/wrong']).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
  expect(result.code).toBe(1);
  const said = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('  - '))
    .map((line) => line.slice(4));
  expect(said).toEqual([
    'host.json: logLevel is not a setting of the host',
    'host.json.functionTimeout: must match pattern "^(-1|(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d)$"',
    'host.json.extensionBundle.version: [3.3.0, 4.0.0) allows bundles older than 3.15, which durable-functions 3 cannot use; use [4.*, 5.0.0)',
    'local.settings.json: Hosts is not a section Core Tools reads',
    'local.settings.json: Values.QUEUE_BATCH must be a string (Core Tools passes every setting as text)',
    'function "Orders": registered twice (names are compared without case)',
    'function "hostStatus": route "admin/host/status" is under a path the host keeps for itself',
    'function "nightly": schedule "0 2 * * *" is not a six-field NCRONTAB expression',
    'function "intake": queue name "Orders_Intake" is not a valid Storage queue name',
    'function "sms": binding "message" has type "twilioSms", which the host does not know',
  ]);
});

test('--help answers with the usage and exits 0', async () => {
  const { stdout } = await run('node', ['scripts/check-functions.mjs', '--help']);
  expect(stdout).toContain('usage: node scripts/check-functions.mjs');
});
