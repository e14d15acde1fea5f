import { relative } from 'node:path';
import { LOOPBACK, type Host } from './host.js';
import { resolveSettingRefs } from './config.js';

const resolved = (text: unknown) => {
  try {
    return resolveSettingRefs(String(text), process.env, 'banner');
  } catch {
    return String(text);
  }
};

/** The startup listing, in the spirit of `func start`: every function, its trigger and where it answers. */
export function banner(host: Host): string {
  const lines: string[] = [];
  const prefix = host.config.routePrefix ? `/${host.config.routePrefix}` : '';
  lines.push(`Azure Functions devhost — app ${relative(process.cwd(), host.appDir) || '.'}`);
  lines.push(`Storage:  ${host.storage.description}`);
  lines.push(
    `Settings: ${host.settings.file ? relative(process.cwd(), host.settings.file) : 'none (no local.settings.json)'}; ` +
      `devhost supplies WEBSITE_HOSTNAME and DEVHOST_* (${host.url}/admin/devhost/info lists them)`,
  );
  for (const stale of host.otherPorts)
    lines.push(`          warning: ${stale}, not this host's port; %DEVHOST_…% references follow the port (devhost/README.md)`);
  lines.push(`Clock:    ${host.clock.mode === 'test' ? `test (virtual, now ${new Date(host.clock.now()).toISOString()})` : 'real'}`);
  lines.push(
    host.keys
      ? `HTTP keys: enforced (master key + ${Object.keys(host.keys.functionKeys).length} host function key(s)); pass ?code= or x-functions-key`
      : 'HTTP keys: not enforced (no --keys given; every authLevel is open, as with func start)',
  );
  if (host.durable) lines.push(`Durable:  task hub ${host.durable.hubName}; HTTP API ${host.url}/runtime/webhooks/durabletask`);
  lines.push(...exposure(host));
  lines.push('', 'Functions:', '');
  const unsupported: string[] = [];
  for (const e of host.entries) {
    const name = e.fn.metadata.name;
    if (e.unsupported && e.triggerType !== 'httpTrigger') {
      unsupported.push(`        ${name}: ${e.triggerType} — ${e.unsupported}`);
      continue;
    }
    const state = e.disabled ? ' (disabled)' : e.unsupported ? ` (answers 501: ${e.unsupported})` : '';
    if (e.triggerType === 'httpTrigger') {
      const http = host.http.all.find((h) => h.fn === e.fn);
      const methods = http?.methods ? [...http.methods].join(',') : 'ALL';
      const template = http?.route.template.replace(/^\/+/, '') ?? name;
      const auth = http && http.authLevel !== 'anonymous' ? ` (authLevel ${http.authLevel})` : '';
      lines.push(`        ${name}: [${methods}] ${host.url}${prefix}/${template}${auth}${state}`);
    } else if (e.triggerType === 'queueTrigger') {
      lines.push(`        ${name}: queueTrigger (queue ${resolved(e.trigger.queueName)})${state}`);
    } else if (e.triggerType === 'timerTrigger') {
      const timer = host.timers.find((t) => t.fn === e.fn);
      const next = timer ? `, next ${new Date(timer.schedule.next(host.clock.now())).toISOString()}` : '';
      lines.push(`        ${name}: timerTrigger (${resolved(e.trigger.schedule)}${next})${state}`);
    } else {
      lines.push(`        ${name}: ${e.triggerType}${state}`);
    }
  }
  if (unsupported.length)
    lines.push('', 'Not supported by devhost (registered; every invocation fails, naming the binding):', ...unsupported);
  lines.push('', `Admin: ${host.url}/admin/host/status, ${host.url}/admin/functions`);
  lines.push(`Host started: ${host.url} (Ctrl-C to stop)`);
  return lines.join('\n');
}

/** Who can reach what: the address the port listens on, and which control endpoints answer without a key. */
function exposure(host: Host): string[] {
  const local = host.listenHost === LOOPBACK || host.listenHost === 'localhost' || host.listenHost === '::1';
  const where = local ? 'this machine only' : 'the network';
  const open = [
    'the admin API (/admin/…: it mints tokens for any tenant, moves the clock)',
    ...(host.durable ? ['the Durable HTTP API (/runtime/webhooks/durabletask: it raises events, terminates instances)'] : []),
  ];
  return [
    `Listening: ${host.listenHost} (${where}${local ? '; --host 0.0.0.0 opens it' : ''})`,
    host.keys
      ? `          with a key only: ${open.join('; ')} (the master key${host.durable ? ', or the durabletask system key' : ''})`
      : `          open${local ? ' to this machine' : ' TO THE NETWORK'}, without a key: ${open.join('; ')}; pass --keys to require one`,
  ];
}
