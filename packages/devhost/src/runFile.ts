/**
 * How a CLI finds the devhost serving an app without being told its port: each running host writes
 * `<app>/.devhost/hosts/<pid>.json` with its URL and removes it when it stops. A host that was killed leaves
 * its file behind; readers skip (and remove) files whose process is gone.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface RunningHost {
  url: string;
  pid: number;
  appDir: string;
  startedAt: string;
  keysEnforced: boolean;
}

export const hostsDir = (appDir: string) => join(resolve(appDir), '.devhost', 'hosts');

/** Records this process as the host serving `appDir` at `url`; returns the file, to remove at stop. */
export function writeRunFile(host: Omit<RunningHost, 'pid'>): string {
  const dir = hostsDir(host.appDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ ...host, pid: process.pid }, null, 2) + '\n');
  return file;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The hosts running for `appDir`, oldest first. */
export function runningHosts(appDir: string): RunningHost[] {
  const dir = hostsDir(appDir);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const hosts: RunningHost[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let host: RunningHost;
    try {
      host = JSON.parse(readFileSync(file, 'utf8')) as RunningHost;
    } catch {
      continue;
    }
    if (alive(host.pid)) hosts.push(host);
    else rmSync(file, { force: true });
  }
  return hosts.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/**
 * The URL a CLI talks to: `--url`, else `DEVHOST_URL`, else the one host running for `appDir`. Throws an
 * error saying what to do when there is none or several.
 */
export function findHostUrl(options: { url?: string; appDir: string }): string {
  const given = options.url ?? process.env.DEVHOST_URL;
  if (given) return given.replace(/\/+$/, '');
  const hosts = runningHosts(options.appDir);
  if (hosts.length === 1) return hosts[0]!.url;
  if (hosts.length === 0)
    throw new Error(`no devhost is running for ${resolve(options.appDir)}: start one (npm start), or pass --url or --app`);
  throw new Error(
    `${hosts.length} devhosts are running for ${resolve(options.appDir)} (${hosts.map((h) => h.url).join(', ')}): pass --url`,
  );
}
