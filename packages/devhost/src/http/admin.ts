import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { HOST_VERSION } from '../coreApi.js';
import { TestClock } from '../clock.js';
import type { RegisteredFunction } from '../coreTypes.js';
import type { HostView } from '../hostView.js';
import { parseExpiry } from '../identity/expiry.js';
import { GRAPH_AUDIENCES } from '../standins/graph/index.js';
import { authorized, presentedKey } from './keys.js';

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(text);
}

function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  const text = JSON.stringify({ type: 'about:blank', title, status, detail });
  res.writeHead(status, { 'content-type': 'application/problem+json' }).end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? {} : JSON.parse(text);
}

const TokenBody = z
  .object({
    tenant: z.string().min(1),
    user: z.string().min(1),
    roles: z.array(z.string()).default([]),
    audience: z.string().min(1),
    expiresIn: z.union([z.number(), z.string()]).optional(),
    name: z.string().optional(),
    oid: z.string().optional(),
  })
  .strict();

/** The body's `expiresIn`, its errors named after it. */
function expiresInSeconds(value: number | string): number {
  try {
    return parseExpiry(value);
  } catch (error) {
    throw new RangeError(`expiresIn: ${(error as Error).message}`);
  }
}

/** Parses a time given as ISO 8601 text or epoch milliseconds. */
function parseTime(value: unknown): number {
  const t = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(t)) throw new RangeError('must be an ISO 8601 time or epoch milliseconds');
  return t;
}

/**
 * The real host's admin API (`/admin/host/status`, `/admin/functions`, `POST /admin/functions/{name}`)
 * plus devhost's own controls under `/admin/devhost/` (clock, idle, info). Needs the master key when keys are set.
 */
export class AdminApi {
  constructor(private readonly host: HostView) {}

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname.replace(/\/+$/, '');
    if (!path.toLowerCase().startsWith('/admin/')) return false;
    if (!authorized(this.host.keys, 'admin', '', presentedKey(url, req.headers))) {
      send(res, 401);
      return true;
    }
    const method = req.method ?? 'GET';
    const segments = path.split('/').slice(2);
    try {
      if (method === 'GET' && path === '/admin/host/status') return this.#status(res);
      if (method === 'GET' && path === '/admin/functions') return (send(res, 200, this.#functions()), true);
      if (segments[0] === 'functions' && segments.length === 2)
        return await this.#function(req, res, decodeURIComponent(segments[1]!), method);
      if (segments[0] === 'devhost') return await this.#devhost(req, res, segments.slice(1).join('/'), method, url);
      problem(res, 404, 'Not Found', `no admin endpoint ${method} ${path}`);
    } catch (error) {
      const status =
        error instanceof SyntaxError || error instanceof RangeError ? 400 : (error as Error).name === 'DevhostError' ? 409 : 500;
      problem(res, status, status === 500 ? 'Internal Server Error' : 'Bad Request', (error as Error).message);
    }
    return true;
  }

  #status(res: ServerResponse): true {
    send(res, 200, {
      id: this.host.hostId,
      state: this.host.state,
      version: HOST_VERSION,
      versionDetails: `${HOST_VERSION} (devhost)`,
      platformVersion: '',
      instanceId: String(process.pid),
      computerName: 'localhost',
      processUptime: Date.now() - this.host.startedAt,
      functionAppContentEditingState: 'NotAllowed',
    });
    return true;
  }

  #functions() {
    const base = this.host.url;
    return this.host.entries.map((e) => {
      const name = e.fn.metadata.name;
      const http = e.triggerType === 'httpTrigger' ? this.host.http.all.find((h) => h.fn === e.fn) : undefined;
      const prefix = this.host.config.routePrefix ? `/${this.host.config.routePrefix}` : '';
      return {
        name,
        href: `${base}/admin/functions/${encodeURIComponent(name)}`,
        invoke_url_template: http ? `${base}${prefix}/${http.route.template.replace(/^\/+/, '')}` : null,
        language: 'node',
        isDisabled: e.disabled,
        isDirect: false,
        isProxy: false,
        supported: !e.unsupported,
        unsupportedReason: e.unsupported ?? null,
        config: { bindings: Object.entries(e.fn.metadata.bindings).map(([bindingName, b]) => ({ ...b, name: bindingName })) },
      };
    });
  }

  async #function(req: IncomingMessage, res: ServerResponse, name: string, method: string): Promise<true> {
    const entry = this.host.entries.find((e) => e.fn.metadata.name.toLowerCase() === name.toLowerCase());
    if (!entry) return (problem(res, 404, 'Not Found', `no function named '${name}'`), true);
    if (method === 'GET')
      return (
        send(
          res,
          200,
          this.#functions().find((f) => f.name === entry.fn.metadata.name),
        ),
        true
      );
    if (method !== 'POST') return (problem(res, 405, 'Method Not Allowed', 'use GET or POST'), true);
    // Like the real host: run a non-HTTP function once with {"input": "..."} as its trigger value; 202 at once.
    if (entry.triggerType === 'httpTrigger')
      return (problem(res, 400, 'Bad Request', `'${name}' is HTTP-triggered: call its URL instead`), true);
    if (entry.unsupported) return (problem(res, 501, 'Not Implemented', entry.unsupported), true);
    const body = (await readJson(req)) as { input?: unknown };
    const input = typeof body.input === 'string' ? body.input : JSON.stringify(body.input ?? '');
    if (entry.triggerType === 'blobTrigger') return this.#runOnBlob(res, entry.fn, input);
    const data =
      entry.triggerType === 'timerTrigger'
        ? { json: JSON.stringify({ Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false }) }
        : { string: input };
    // Its output bindings are written as after any invocation; tracked, so idle() waits for the writes.
    const { invoker } = this.host;
    void invoker.track(() => invoker.invokeAndWrite(entry.fn, { inputData: [{ name: entry.triggerName, data }] }));
    send(res, 202);
    return true;
  }

  /** A blob trigger's input is the blob's path, `container/name`, as on the real host; receipts are not consulted. */
  #runOnBlob(res: ServerResponse, fn: RegisteredFunction, input: string): true {
    const trigger = this.host.blobTriggers.find((t) => t.fn === fn);
    const slash = input.indexOf('/');
    if (!trigger || slash <= 0)
      return (problem(res, 400, 'Bad Request', `a blob trigger's input is the blob's path, "container/name", got "${input}"`), true);
    void this.host.invoker.track(() => trigger.run(input.slice(0, slash), input.slice(slash + 1)));
    send(res, 202);
    return true;
  }

  async #devhost(req: IncomingMessage, res: ServerResponse, what: string, method: string, url: URL): Promise<true> {
    const host = this.host;
    const clockView = () => ({
      mode: host.clock.mode,
      now: new Date(host.clock.now()).toISOString(),
      nextDue: host.clock instanceof TestClock && host.clock.nextDue() !== undefined ? new Date(host.clock.nextDue()!).toISOString() : null,
    });
    if (what === 'info' && method === 'GET') {
      send(res, 200, {
        appDir: host.appDir,
        url: host.url,
        storage: host.storage.connectionString,
        clock: clockView(),
        keysEnforced: !!host.keys,
        settingsFile: host.settings.file ?? null,
        supplied: host.supplied,
        developmentStorage: host.developmentStorage,
        // With storage shared by several hosts, the control partitions this one owns now.
        durable: host.durable
          ? { hubName: host.durable.hubName, partitionCount: host.durable.options.partitionCount, partitions: host.durable.partitions }
          : null,
      });
    } else if (what === 'identity/token' && method === 'POST') {
      const parsed = TokenBody.safeParse(await readJson(req));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new RangeError(`${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      const { expiresIn, ...rest } = parsed.data;
      send(
        res,
        200,
        await host.identity.mint(
          host.url,
          { ...rest, expiresIn: expiresIn === undefined ? undefined : expiresInSeconds(expiresIn) },
          // Issued at the time of whoever judges it: the app judges at the host's clock (a test clock too),
          // the Graph stand-in, an outside service, at real time.
          GRAPH_AUDIENCES.includes(rest.audience) ? Date.now() : host.clock.now(),
        ),
      );
    } else if (what === 'clock' && method === 'GET') {
      send(res, 200, clockView());
    } else if (what === 'clock' && method === 'POST') {
      const body = (await readJson(req)) as { set?: unknown; advance?: unknown };
      if (body.set !== undefined) await host.setTime(parseTime(body.set));
      else if (body.advance !== undefined) await host.advance(Number(body.advance));
      else throw new RangeError('give "set" (a time) or "advance" (milliseconds)');
      send(res, 200, clockView());
    } else if (what === 'clock/skip' && method === 'POST') {
      const skippedTo = await host.skipToNextDue();
      send(res, 200, { ...clockView(), skipped: skippedTo !== undefined });
    } else if (what === 'idle' && method === 'POST') {
      const timeout = Number(url.searchParams.get('timeoutMs') ?? 30_000);
      const idle = await host.idle(timeout);
      send(res, idle ? 200 : 504, { idle, inFlight: host.invoker.inFlight });
    } else {
      problem(res, 404, 'Not Found', `no devhost endpoint ${method} /admin/devhost/${what}`);
    }
    return true;
  }
}
