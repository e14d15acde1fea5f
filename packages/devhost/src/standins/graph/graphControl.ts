/**
 * The stand-in's control API under `/devhost/graph/_control/` (plain JSON, no auth; not part of Graph): load,
 * generate or list a tenant's directory, read and reset the Teams feed, switch throttling. Errors are
 * `application/problem+json` naming the field and the rule.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { generateSampleOrg } from '../sampleOrg.js';
import type { DirectoryStore } from './directoryStore.js';
import type { TeamsFeed } from './teamsFeed.js';
import { DirectoryError, TenantDirectory } from './tenantDirectory.js';
import type { Throttle } from './throttle.js';

export const CONTROL_PATH = '/devhost/graph/_control';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const Generate = z.strictObject({
  users: z.number().int().min(1).max(1_000_000),
  seed: z.number().int().default(1),
});
const Throttling = z.strictObject({
  teams: z.boolean(),
  requestsPerSecond: z.number().int().min(1).nullable().default(null),
});

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) return void res.writeHead(status).end();
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new BadRequest(400, `${issue.path.join('.') || 'body'}: ${issue.message}`);
}

const summary = (d: TenantDirectory) => ({ tenantId: d.tenantId, users: d.users.length, groups: d.groups.length });

/** What a tenant's directory holds, for people choosing an audience: each group with its direct members and how many users it reaches. */
const listing = (d: TenantDirectory) => ({
  tenantId: d.tenantId,
  groups: d.groups.map((g) => ({
    ...g,
    members: d.members(g.id).map((m) => ({ kind: m.kind, id: m.value.id })),
    transitiveUsers: d.transitiveMembers(g.id).filter((m) => m.kind === 'user').length,
  })),
  users: d.users,
  devices: d.devices,
});

export class GraphControl {
  constructor(
    private readonly tenants: Map<string, TenantDirectory>,
    private readonly store: DirectoryStore,
    private readonly feed: TeamsFeed,
    private readonly throttle: Throttle,
    private readonly log: (message: string) => void,
  ) {}

  /** Loads a directory (validated) for `tenantId`, replacing what it had, and stores it. */
  load(tenantId: string, content: unknown): TenantDirectory {
    const directory = new TenantDirectory(tenantId.toLowerCase(), content);
    this.tenants.set(directory.tenantId, directory);
    this.store.save(directory.tenantId, content);
    return directory;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: () => Promise<unknown>): Promise<void> {
    const path = url.pathname.slice(CONTROL_PATH.length).replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const [, what, tenant, action] = path.split('/');
    try {
      if (what === 'tenants' && tenant === undefined && method === 'GET')
        return send(res, 200, { tenants: [...this.tenants.values()].map(summary) });
      if (what === 'tenants' && tenant !== undefined) {
        if (!GUID.test(tenant)) throw new BadRequest(400, `tenant: "${tenant}" must be a tenant id (GUID)`);
        const tid = tenant.toLowerCase();
        if (action === 'directory' && method === 'PUT') return send(res, 200, summary(this.load(tid, await body())));
        if (action === 'directory' && method === 'GET') {
          const directory = this.tenants.get(tid);
          if (!directory)
            throw new BadRequest(404, `the Graph stand-in serves no tenant ${tid}; GET ${CONTROL_PATH}/tenants lists those it does`);
          return send(res, 200, listing(directory));
        }
        if (action === 'generate' && method === 'POST') {
          const { users, seed } = parse(Generate, await body());
          const directory = this.load(tid, generateSampleOrg({ tenantId: tid, users, seed }));
          this.log(`Graph stand-in: generated tenant ${tid} (${users} users, seed ${seed})`);
          return send(res, 200, { ...summary(directory), sampleUsers: directory.users.slice(0, 2).map((u) => u.userPrincipalName) });
        }
        if (action === undefined && method === 'DELETE') {
          this.tenants.delete(tid);
          this.store.remove(tid);
          return send(res, 204);
        }
      }
      if (what === 'teams' && tenant === 'feed' && action === undefined) {
        const filter = { tenant: url.searchParams.get('tenant') ?? undefined, user: url.searchParams.get('user') ?? undefined };
        if (method === 'GET') return send(res, 200, this.feed.read(filter));
        if (method === 'DELETE') return (this.feed.reset(filter.tenant), send(res, 204));
      }
      if (what === 'throttling' && tenant === undefined) {
        if (method === 'PUT') this.throttle.configure(parse(Throttling, await body()));
        if (method === 'PUT' || method === 'GET') return send(res, 200, { ...this.throttle.settings, throttled: this.throttle.throttled });
      }
      throw new BadRequest(404, `no Graph stand-in control endpoint ${method} ${url.pathname}; see devhost/README.md`);
    } catch (error) {
      const status =
        error instanceof BadRequest ? error.status : error instanceof DirectoryError || error instanceof SyntaxError ? 400 : 500;
      const detail = error instanceof SyntaxError ? `body: not valid JSON (${error.message})` : (error as Error).message;
      res.writeHead(status, { 'content-type': 'application/problem+json' }).end(
        JSON.stringify({
          type: 'about:blank',
          title: status === 404 ? 'Not Found' : status === 500 ? 'Internal Server Error' : 'Bad Request',
          status,
          detail,
        }),
      );
    }
  }
}
