import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** An error that explains itself to the person at the terminal; the CLI prints only its message. */
export class DevhostError extends Error {
  override name = 'DevhostError';
}

export interface QueueOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

export interface HostConfig {
  routePrefix: string;
  queues: QueueOptions;
  /** extensions.blobs.poisonBlobThreshold: attempts at a blob before it goes to the blob poison queue. */
  poisonBlobThreshold: number;
  logLevelDefault: string;
  logLevels: Record<string, string>;
  functionTimeoutMs: number | undefined;
  raw: Record<string, unknown>;
}

export interface LocalSettings {
  /** The file the settings came from, or undefined when there is none. */
  file: string | undefined;
  values: Record<string, string>;
  port: number | undefined;
  cors: string[];
  corsCredentials: boolean;
}

/** Parses .NET TimeSpan text ("hh:mm:ss", "d.hh:mm:ss", "hh:mm:ss.fff") or a number of milliseconds. */
export function parseDuration(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(value.trim());
    if (m) {
      const [, d, h, min, s, frac] = m;
      const ms = frac ? Number(`0.${frac}`) * 1000 : 0;
      return ((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000 + ms;
    }
  }
  throw new DevhostError(
    `host.json: ${field} must be a TimeSpan like "00:01:00" or a number of milliseconds, got ${JSON.stringify(value)}`,
  );
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new DevhostError(`${file}: ${(error as Error).message}`);
  }
}

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function int(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new DevhostError(`host.json: ${field} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

const OVERRIDE_PREFIX = 'AzureFunctionsJobHost__';

/** A setting's text as host.json would have held it: booleans and numbers typed, the rest as strings. */
function settingValue(text: string): unknown {
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/**
 * The Functions host lets app settings override host.json: `AzureFunctionsJobHost__extensions__queues__batchSize`
 * sets `extensions.queues.batchSize` (keys matched case-insensitively).
 */
export function applyHostOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.startsWith(OVERRIDE_PREFIX)) continue;
    const path = name.slice(OVERRIDE_PREFIX.length).split('__').filter(Boolean);
    let node = raw;
    path.forEach((segment, i) => {
      const key = Object.keys(node).find((k) => k.toLowerCase() === segment.toLowerCase()) ?? segment;
      if (i === path.length - 1) node[key] = settingValue(value);
      else {
        if (!node[key] || typeof node[key] !== 'object') node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
    });
  }
  return raw;
}

export function readHostConfig(appDir: string, processorCount: number, env: NodeJS.ProcessEnv = {}): HostConfig {
  const raw = applyHostOverrides(readJson(join(appDir, 'host.json')) ?? { version: '2.0' }, env);
  if (raw.version !== '2.0')
    throw new DevhostError(`host.json: "version" must be "2.0" (the v4 host schema), got ${JSON.stringify(raw.version)}`);
  const extensions = obj(raw.extensions);
  const http = obj(extensions.http);
  const q = obj(extensions.queues);
  const blobs = obj(extensions.blobs);
  const batchSize = int(q.batchSize, 'extensions.queues.batchSize', 1, 32, 16);
  const encoding = q.messageEncoding ?? 'base64';
  if (encoding !== 'base64' && encoding !== 'none') {
    throw new DevhostError(`host.json: extensions.queues.messageEncoding must be "base64" or "none", got ${JSON.stringify(encoding)}`);
  }
  const maxPolling =
    q.maxPollingInterval === undefined ? 60_000 : parseDuration(q.maxPollingInterval, 'extensions.queues.maxPollingInterval');
  if (maxPolling < 100) throw new DevhostError('host.json: extensions.queues.maxPollingInterval must be at least 100 ms');
  const logging = obj(raw.logging);
  const logLevel = obj(logging.logLevel);
  const logLevels: Record<string, string> = {};
  for (const [k, v] of Object.entries(logLevel)) if (typeof v === 'string') logLevels[k] = v;
  let routePrefix = typeof http.routePrefix === 'string' ? http.routePrefix : 'api';
  routePrefix = routePrefix.replace(/^\/+|\/+$/g, '');
  return {
    routePrefix,
    queues: {
      batchSize,
      newBatchThreshold: int(
        q.newBatchThreshold,
        'extensions.queues.newBatchThreshold',
        0,
        10_000,
        Math.floor(batchSize / 2) * processorCount,
      ),
      maxPollingIntervalMs: maxPolling,
      visibilityTimeoutMs:
        q.visibilityTimeout === undefined ? 0 : parseDuration(q.visibilityTimeout, 'extensions.queues.visibilityTimeout'),
      maxDequeueCount: int(q.maxDequeueCount, 'extensions.queues.maxDequeueCount', 1, 1000, 5),
      messageEncoding: encoding,
    },
    poisonBlobThreshold: int(blobs.poisonBlobThreshold, 'extensions.blobs.poisonBlobThreshold', 1, 1000, 5),
    logLevelDefault: logLevels.default ?? 'Information',
    logLevels,
    functionTimeoutMs: raw.functionTimeout === undefined ? undefined : parseDuration(raw.functionTimeout, 'functionTimeout'),
    raw,
  };
}

/** What an app commits beside the local.settings.json it keeps out of source control. */
export const SAMPLE_SETTINGS_FILE = 'local.settings.sample.json';

/**
 * The app's local settings: `file` when given, else `<app>/local.settings.json`, else (a fresh clone, which
 * has no local.settings.json) `<app>/local.settings.sample.json`, else none.
 */
export function readLocalSettings(appDir: string, file?: string): LocalSettings {
  if (file !== undefined && !existsSync(file)) throw new DevhostError(`--settings: ${file} does not exist`);
  const candidates = file !== undefined ? [file] : [join(appDir, 'local.settings.json'), join(appDir, SAMPLE_SETTINGS_FILE)];
  const found = candidates.find((f) => existsSync(f));
  return parseLocalSettings(found, found ? (readJson(found) ?? {}) : {});
}

function parseLocalSettings(file: string | undefined, raw: Record<string, unknown>): LocalSettings {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(raw.Values))) {
    if (typeof v === 'object' && v !== null) throw new DevhostError(`${file}: Values.${k} must be a string, number or boolean`);
    values[k] = String(v);
  }
  const host = obj(raw.Host);
  const port = host.LocalHttpPort === undefined ? undefined : Number(host.LocalHttpPort);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new DevhostError(`${file}: Host.LocalHttpPort must be a port number`);
  }
  const cors =
    typeof host.CORS === 'string'
      ? host.CORS.split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  const corsCredentials = host.CORSCredentials === true || host.CORSCredentials === 'true';
  if (corsCredentials && cors.includes('*')) {
    throw new DevhostError(`${file}: Host.CORSCredentials cannot be true while Host.CORS allows "*"; list the origins instead`);
  }
  return { file, values, port, cors, corsCredentials };
}

/** Like the real host: resolves `%Name%` from app settings, and fails loudly on a missing setting. */
export function resolveSettingRefs(text: string, env: NodeJS.ProcessEnv, what: string): string {
  return text.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new DevhostError(`${what}: app setting "${name}" (from "%${name}%") is not set`);
    return value;
  });
}

/** The host id keys per-app state (timer status); the real host derives it from the site name. */
export function hostIdFor(appDir: string, env: NodeJS.ProcessEnv): string {
  const name = env.AzureFunctionsWebHost__hostid ?? env.WEBSITE_SITE_NAME ?? basename(appDir);
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '')
      .replace(/^-+|-+$/g, '') || 'devhost'
  ).slice(0, 32);
}
