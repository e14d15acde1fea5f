import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parseDuration, readHostConfig, readLocalSettings, resolveSettingRefs } from '../../../src/config.js';

function appWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'devhost-config-'));
  for (const [name, value] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(value));
  return dir;
}

test('TimeSpans and milliseconds', () => {
  expect(parseDuration('00:01:00', 'x')).toBe(60_000);
  expect(parseDuration('1.02:00:00', 'x')).toBe(26 * 3600_000);
  expect(parseDuration('00:00:00.250', 'x')).toBe(250);
  expect(parseDuration(1500, 'x')).toBe(1500);
  expect(() => parseDuration('soon', 'extensions.queues.maxPollingInterval')).toThrow(/extensions.queues.maxPollingInterval/);
});

test('queue defaults follow the Queues extension', () => {
  const c = readHostConfig(appWith({ 'host.json': { version: '2.0' } }), 2);
  expect(c.routePrefix).toBe('api');
  expect(c.queues).toEqual({
    batchSize: 16,
    newBatchThreshold: 16,
    maxPollingIntervalMs: 60_000,
    visibilityTimeoutMs: 0,
    maxDequeueCount: 5,
    messageEncoding: 'base64',
  });
});

test('bad host.json values are named', () => {
  expect(() => readHostConfig(appWith({ 'host.json': { version: '1.0' } }), 2)).toThrow(/"version" must be "2.0"/);
  expect(() => readHostConfig(appWith({ 'host.json': { version: '2.0', extensions: { queues: { batchSize: 64 } } } }), 2)).toThrow(
    /extensions.queues.batchSize must be a whole number from 1 to 32/,
  );
});

test('local settings: values as strings, CORS list, credentials need explicit origins', () => {
  const dir = appWith({ 'local.settings.json': { Values: { A: 'x', N: 3 }, Host: { LocalHttpPort: 7075, CORS: 'http://a, http://b' } } });
  expect(readLocalSettings(dir)).toEqual({
    file: join(dir, 'local.settings.json'),
    values: { A: 'x', N: '3' },
    port: 7075,
    cors: ['http://a', 'http://b'],
    corsCredentials: false,
  });
  expect(() => readLocalSettings(appWith({ 'local.settings.json': { Host: { CORS: '*', CORSCredentials: true } } }))).toThrow(
    /CORSCredentials/,
  );
});

test('local settings: local.settings.json, else the committed local.settings.sample.json, else none; --settings names another', () => {
  const both = appWith({ 'local.settings.json': { Values: { A: 'mine' } }, 'local.settings.sample.json': { Values: { A: 'sample' } } });
  expect(readLocalSettings(both).values).toEqual({ A: 'mine' });
  const fresh = appWith({ 'local.settings.sample.json': { Values: { A: 'sample' } } });
  expect(readLocalSettings(fresh)).toMatchObject({ file: join(fresh, 'local.settings.sample.json'), values: { A: 'sample' } });
  expect(readLocalSettings(appWith({}))).toMatchObject({ file: undefined, values: {} });
  expect(readLocalSettings(both, join(both, 'local.settings.sample.json')).values).toEqual({ A: 'sample' });
  expect(() => readLocalSettings(both, join(both, 'missing.json'))).toThrow(/--settings: .*missing.json does not exist/);
});

test('%Setting% indirection fails loudly on a missing setting', () => {
  expect(resolveSettingRefs('%Q%-x', { Q: 'jobs' }, 'fn')).toBe('jobs-x');
  expect(() => resolveSettingRefs('%Missing%', {}, 'work: queueName')).toThrow(/work: queueName: app setting "Missing"/);
});

test('app settings override host.json as AzureFunctionsJobHost__path__to__key', () => {
  const dir = appWith({ 'host.json': { version: '2.0', extensions: { queues: { batchSize: 8 } } } });
  const c = readHostConfig(dir, 2, {
    AzureFunctionsJobHost__extensions__queues__batchSize: '4',
    AzureFunctionsJobHost__extensions__queues__messageEncoding: 'none',
    AzureFunctionsJobHost__extensions__durableTask__hubName: 'Other',
  });
  expect(c.queues.batchSize).toBe(4);
  expect(c.queues.messageEncoding).toBe('none');
  expect((c.raw.extensions as { durableTask: { hubName: string } }).durableTask.hubName).toBe('Other');
});
