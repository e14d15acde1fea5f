import type { IncomingMessage, ServerResponse } from 'node:http';
import { RUNTIME_STATUSES, type RuntimeStatus } from './history.js';
import { parseEntityInstanceId, entityInstanceId } from './ids.js';
import { readEntityState } from './entityRunner.js';
import { statusPayload, statusTime } from './instanceStatus.js';
import { isTerminal } from './orchestrationRunner.js';
import { ClientError, type ClientOperations } from './clientOperations.js';
import type { TaskHubStore } from './taskHubStore.js';

export interface ApiUrls {
  /** `http://host:port/runtime/webhooks/durabletask` */
  baseUrl: string;
  hubName: string;
  /** `code=…` when keys are enforced, else empty. */
  requiredQuery: string;
}

/** The management URLs for one instance (HttpApiHandler.CreateHttpManagementPayload). */
export function managementPayload(urls: ApiUrls, id: string): Record<string, string> {
  const q = `taskHub=${encodeURIComponent(urls.hubName)}&connection=Storage${urls.requiredQuery ? `&${urls.requiredQuery}` : ''}`;
  const instance = `${urls.baseUrl}/instances/${encodeURIComponent(id)}`;
  return {
    id,
    statusQueryGetUri: `${instance}?${q}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${q}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${q}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${q}`,
    purgeHistoryDeleteUri: `${instance}?${q}`,
    restartPostUri: `${instance}/restart?${q}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${q}`,
    resumePostUri: `${instance}/resume?reason={text}&${q}`,
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

function message(res: ServerResponse, status: number, text: string): void {
  json(res, status, { Message: text });
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Request body as JSON text for the engine: empty → null; invalid JSON → 400. */
function jsonText(text: string): string | null {
  if (text.trim() === '') return null;
  try {
    JSON.parse(text);
  } catch {
    throw new ClientError(400, 'The request body is not valid JSON.');
  }
  return text;
}

function flag(url: URL, name: string, fallback: boolean): boolean {
  const v = url.searchParams.get(name);
  return v === null ? fallback : v.toLowerCase() === 'true';
}

function time(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new ClientError(400, `${name} must be an ISO 8601 time, got '${v}'.`);
  return t;
}

function statuses(url: URL): RuntimeStatus[] | undefined {
  const v = url.searchParams.get('runtimeStatus');
  if (!v) return undefined;
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.find((s) => !(RUNTIME_STATUSES as readonly string[]).includes(s));
  if (bad) throw new ClientError(400, `runtimeStatus '${bad}' is not one of ${RUNTIME_STATUSES.join(', ')}.`);
  return list as RuntimeStatus[];
}

/**
 * The Durable Functions HTTP API (HttpApiHandler.cs): served under /runtime/webhooks/durabletask on the
 * host's port and under /durabletask on the local RPC listener the SDK's client uses.
 */
export class DurableHttpApi {
  constructor(
    private readonly ops: ClientOperations,
    private readonly store: TaskHubStore,
    private readonly urls: () => ApiUrls,
    private readonly waitForCompletion: (id: string, timeoutMs: number, pollMs: number) => Promise<boolean>,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    try {
      await this.#route(req, res, url, path.replace(/^\/+/, ''));
    } catch (error) {
      if (error instanceof ClientError) return message(res, error.status, error.message);
      throw error;
    }
  }

  #checkStatus(res: ServerResponse, req: IncomingMessage, id: string): void {
    const payload = managementPayload(this.urls(), id);
    json(res, 202, payload, { Location: payload.statusQueryGetUri!, 'Retry-After': '10' });
    void req;
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const seg = path
      .split('/')
      .filter((s, i, all) => s !== '' || i < all.length - 1)
      .map(decodeURIComponent);
    const [kind] = seg;
    if (kind === 'orchestrators' && method === 'POST' && seg[1]) {
      const id = await this.ops.startNew(seg[1], seg[2] || undefined, jsonText(await body(req)));
      const timeout = url.searchParams.get('timeout');
      if (timeout !== null) {
        const done = await this.waitForCompletion(id, Number(timeout) * 1000, Number(url.searchParams.get('pollingInterval') ?? 1) * 1000);
        if (done) {
          const r = await this.ops.get(id);
          return json(res, 200, statusPayload(r, { showInput: true, showHistory: false, showHistoryOutput: false }).output);
        }
      }
      return this.#checkStatus(res, req, id);
    }
    if (kind === 'instances') return this.#instances(req, res, url, method, seg.slice(1));
    if (kind === 'entities') return this.#entities(req, res, url, method, seg.slice(1));
    message(res, 404, `No Durable Functions API at ${method} /${path}.`);
  }

  async #instances(req: IncomingMessage, res: ServerResponse, url: URL, method: string, seg: string[]): Promise<void> {
    const [id, operation, eventName] = seg;
    if (!id) {
      const query = {
        createdTimeFrom: time(url, 'createdTimeFrom'),
        createdTimeTo: time(url, 'createdTimeTo'),
        runtimeStatus: statuses(url),
        instanceIdPrefix: url.searchParams.get('instanceIdPrefix') ?? undefined,
      };
      if (method === 'GET') {
        const top = url.searchParams.get('top');
        const token = req.headers['x-ms-continuation-token'];
        const page = await this.store.queryInstances({
          ...query,
          orchestrationsOnly: true,
          top: top ? Number(top) : 100,
          continuationToken: typeof token === 'string' && token ? token : undefined,
        });
        const showInput = flag(url, 'showInput', false);
        const items = page.records.map((r) => statusPayload(r, { showInput, showHistory: false, showHistoryOutput: false }));
        return json(res, 200, items, { 'x-ms-continuation-token': page.continuationToken ?? '' });
      }
      if (method === 'DELETE') {
        if (query.createdTimeFrom === undefined) throw new ClientError(400, 'Purging by filter needs createdTimeFrom.');
        const deleted = await this.ops.purgeWhere(query);
        return deleted === 0 ? message(res, 404, 'No instances matched.') : json(res, 200, { instancesDeleted: deleted });
      }
      return message(res, 405, `${method} is not allowed on instances/.`);
    }
    if (!operation) {
      if (method === 'GET') {
        const r = await this.ops.get(id);
        const opts = {
          showInput: flag(url, 'showInput', true),
          showHistory: flag(url, 'showHistory', false),
          showHistoryOutput: flag(url, 'showHistoryOutput', false),
        };
        const history = opts.showHistory ? (await this.store.loadHistory(id)).events : undefined;
        const payload = statusPayload(r, opts, history);
        if (r.runtimeStatus === 'Failed' && flag(url, 'returnInternalServerErrorOnFailure', false)) return json(res, 500, payload);
        if (!isTerminal(r.runtimeStatus)) return json(res, 202, payload, { Location: url.href, 'Retry-After': '5' });
        return json(res, 200, payload);
      }
      if (method === 'DELETE') {
        const deleted = await this.ops.purge(id);
        return deleted ? json(res, 200, { instancesDeleted: 1 }) : message(res, 404, `No instance with ID '${id}' found.`);
      }
      return message(res, 405, `${method} is not allowed on an instance.`);
    }
    if (method !== 'POST') return message(res, 405, `use POST for ${operation}`);
    const reason = url.searchParams.get('reason');
    switch (operation) {
      case 'raiseEvent': {
        if (!eventName) throw new ClientError(400, 'raiseEvent needs an event name.');
        const type = String(req.headers['content-type'] ?? '');
        const text = await body(req);
        if (text.trim() !== '' && !type.toLowerCase().startsWith('application/json'))
          throw new ClientError(400, 'The Content-Type of an event must be application/json.');
        await this.ops.raiseEvent(id, eventName, jsonText(text));
        return json(res, 202, {});
      }
      case 'terminate':
      case 'suspend':
      case 'resume':
        await this.ops.control(id, operation, reason);
        return json(res, 202, {});
      case 'rewind': {
        // The SDK's rewind() uses the body as its error message, so answer with a JSON string, not {Message}.
        const record = await this.store.getInstance(id);
        if (!record || id.startsWith('@')) return json(res, 404, `No instance with ID '${id}' found.`);
        return json(res, 501, 'The rewind operation is not supported by devhost (the underlying storage provider).');
      }
      case 'restart': {
        const next = await this.ops.restart(id, flag(url, 'restartWithNewInstanceId', true));
        return this.#checkStatus(res, req, next);
      }
      default:
        return message(res, 404, `Unknown instance operation '${operation}'.`);
    }
  }

  async #entities(req: IncomingMessage, res: ServerResponse, url: URL, method: string, seg: string[]): Promise<void> {
    const [name, rawKey] = seg;
    if (!name) return message(res, 400, 'An entity name is required.');
    const key = rawKey === '$' ? '' : rawKey;
    if (key === undefined) {
      if (method !== 'GET') return message(res, 405, 'List entities with GET.');
      const page = await this.store.queryInstances({
        instanceIdPrefix: entityInstanceId(name, ''),
        top: Number(url.searchParams.get('top') ?? 100),
      });
      const fetchState = flag(url, 'fetchState', false);
      const items = page.records.map((r) => {
        const state = readEntityState(r);
        const e = parseEntityInstanceId(r.instanceId)!;
        return {
          entityId: { name: e.name, key: e.key },
          lastOperationTime: statusTime(r.lastUpdatedTime),
          ...(fetchState ? { state: state.state ? JSON.parse(state.state) : null } : {}),
        };
      });
      return json(res, 200, items, { 'x-ms-continuation-token': page.continuationToken ?? '' });
    }
    if (method === 'GET') {
      const state = readEntityState(await this.store.getInstance(entityInstanceId(name, key)));
      if (!state.exists) return message(res, 404, `Entity @${name}@${key} does not exist.`);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(state.state ?? 'null');
      return;
    }
    if (method === 'POST' || method === 'DELETE') {
      const op = method === 'DELETE' ? 'delete' : url.searchParams.get('op');
      if (!op) throw new ClientError(400, 'Signalling an entity needs ?op=<operation>.');
      const text = await body(req);
      const type = String(req.headers['content-type'] ?? '');
      const input = text === '' ? null : type.toLowerCase().startsWith('application/json') ? jsonText(text) : JSON.stringify(text);
      await this.ops.signalEntity(name, key, op, input);
      return json(res, 202, {});
    }
    return message(res, 405, `${method} is not allowed on entities.`);
  }
}
