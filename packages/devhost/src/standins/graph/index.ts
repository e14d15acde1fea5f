/**
 * A Microsoft Graph stand-in on the host's port, under `/devhost/graph` (`https://graph.microsoft.com/v1.0/x`
 * is `http://localhost:PORT/devhost/graph/v1.0/x`): per-tenant directories (users, groups, nested
 * membership, paging, `$batch`), the Copilot usage report, Teams activity notifications recorded in a feed,
 * and Graph's throttling when asked for. Callers need a bearer token from devhost's issuer for Graph's
 * audience; its `tid` picks the directory. Knows nothing of the app it serves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { errors as joseErrors } from 'jose';
import type { StandIn, StandInContext } from '../standin.js';
import { generateSampleOrg, SAMPLE_TENANT_ID } from '../sampleOrg.js';
import { DirectoryStore } from './directoryStore.js';
import { CONTROL_PATH, GraphControl } from './graphControl.js';
import { errorResponse, GraphFault, type GraphResponse } from './graphErrors.js';
import { GraphApi, splitPath, type Principal } from './graphApi.js';
import type { GraphRequest } from './odata.js';
import { TeamsFeed } from './teamsFeed.js';
import { TenantDirectory } from './tenantDirectory.js';
import { Throttle } from './throttle.js';

const GRAPH_PATH = '/devhost/graph';
/** Graph's audience, as an App ID URI or as its application id. */
export const GRAPH_AUDIENCES = ['https://graph.microsoft.com', 'https://graph.microsoft.com/', '00000003-0000-0000-c000-000000000000'];
const VERSIONS = new Set(['v1.0', 'beta']);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function write(res: ServerResponse, response: GraphResponse): void {
  // Graph sends no body (and no content type) on 202/204; the Graph SDK would fail parsing an empty JSON body.
  if (response.body === undefined) return void res.writeHead(response.status, response.headers).end();
  res
    .writeHead(response.status, {
      ...response.headers,
      'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8',
    })
    .end(JSON.stringify(response.body));
}

export interface GraphStandIn extends StandIn {
  /** The tenant and object id of the user whose UPN or mail is `address`, in any directory served. */
  findUser(address: string): { tenantId: string; userId: string } | undefined;
}

export async function createGraphStandIn(ctx: StandInContext): Promise<GraphStandIn> {
  const stateDir = ctx.stateDir ? join(ctx.stateDir, 'graph') : undefined;
  const store = new DirectoryStore(stateDir);
  const tenants = new Map<string, TenantDirectory>();
  for (const stored of store.stored()) {
    try {
      tenants.set(stored.tenantId, new TenantDirectory(stored.tenantId, stored.content()));
    } catch (error) {
      ctx.log(`Graph stand-in: skipped ${stored.file}: ${(error as Error).message}`);
    }
  }
  const feed = new TeamsFeed(stateDir ? join(stateDir, 'teams-feed.jsonl') : undefined);
  const throttle = new Throttle();
  const api = new GraphApi(tenants, feed, throttle, ctx.clock);
  const control = new GraphControl(tenants, store, feed, throttle, ctx.log);

  if (tenants.size === 0) control.load(SAMPLE_TENANT_ID, generateSampleOrg());
  const sample = tenants.get(SAMPLE_TENANT_ID);
  if (sample) {
    const [a, b] = sample.users.filter((u) => u.userType === 'Member' && u.accountEnabled);
    ctx.log(
      `Graph stand-in: sample tenant ${SAMPLE_TENANT_ID} (${sample.users.length} users), e.g. ${a?.userPrincipalName} and ${b?.userPrincipalName}: ` +
        `npm run token -- --tenant ${SAMPLE_TENANT_ID} --user ${a?.userPrincipalName} --roles <roles>`,
    );
  }
  if (tenants.size > (sample ? 1 : 0))
    ctx.log(`Graph stand-in: serving ${tenants.size} tenant directories${stateDir ? ` from ${stateDir}` : ''}`);

  const authenticate = async (req: IncomingMessage): Promise<Principal> => {
    const header = req.headers.authorization ?? '';
    const challenge = { 'WWW-Authenticate': 'Bearer realm="", client_id="00000003-0000-0000-c000-000000000000"' };
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token) throw new GraphFault(401, 'InvalidAuthenticationToken', 'Access token is empty.', challenge);
    let claims;
    try {
      claims = await ctx.identity.verify(ctx.origin(), token);
    } catch (error) {
      const expired = error instanceof joseErrors.JWTExpired;
      throw new GraphFault(
        401,
        'InvalidAuthenticationToken',
        expired ? 'Lifetime validation failed, the token is expired.' : `Access token validation failure: ${(error as Error).message}`,
        challenge,
      );
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.some((a) => a !== undefined && GRAPH_AUDIENCES.includes(a)))
      throw new GraphFault(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.', challenge);
    const app = claims.appid ?? claims.azp;
    return { tenantId: claims.tid, appId: typeof app === 'string' ? app : 'unknown', expiresAt: claims.exp ?? 0 };
  };

  const serveGraph = async (req: IncomingMessage, url: URL): Promise<GraphResponse> => {
    const [version, ...rest] = url.pathname.slice(GRAPH_PATH.length + 1).split('/');
    const clientRequestId = req.headers['client-request-id'] as string | undefined;
    try {
      if (!VERSIONS.has(version!)) throw new GraphFault(400, 'BadRequest', `Invalid version: '${version}'. Use v1.0 or beta.`);
      const caller = await authenticate(req);
      const text = req.method === 'GET' || req.method === 'HEAD' ? '' : await readBody(req);
      let body: unknown;
      try {
        body = text.trim() === '' ? undefined : JSON.parse(text);
      } catch {
        throw new GraphFault(
          400,
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        );
      }
      const rawPath = rest.join('/');
      const request: GraphRequest = {
        method: req.method ?? 'GET',
        version: version!,
        segments: splitPath(rawPath),
        rawPath,
        rawQuery: url.search.slice(1),
        query: url.searchParams,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body,
      };
      return await api.dispatch(request, caller);
    } catch (error) {
      if (error instanceof GraphFault) return errorResponse(error, clientRequestId);
      throw error;
    }
  };

  return {
    name: 'graph',
    findUser(address) {
      const wanted = address.toLowerCase();
      for (const [tenantId, directory] of tenants) {
        const user = directory.user(wanted) ?? directory.users.find((u) => u.mail?.toLowerCase() === wanted);
        if (user) return { tenantId, userId: user.id };
      }
      return undefined;
    },
    async handle(req, res, url) {
      if (url.pathname === CONTROL_PATH || url.pathname.startsWith(`${CONTROL_PATH}/`)) {
        await control.handle(req, res, url, async () => {
          const text = await readBody(req);
          return text.trim() === '' ? {} : (JSON.parse(text) as unknown);
        });
        return true;
      }
      if (!url.pathname.startsWith(`${GRAPH_PATH}/`)) return false;
      write(res, await serveGraph(req, url));
      return true;
    },
  };
}
