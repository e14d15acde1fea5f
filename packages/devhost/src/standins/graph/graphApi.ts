/**
 * The Graph endpoints the stand-in serves, as a function from a parsed request to a response, so `$batch`
 * runs each of its requests through exactly what a direct call goes through (throttling included).
 */
import type { Clock } from '../../clock.js';
import { errorResponse, GraphFault, type GraphResponse } from './graphErrors.js';
import { filterConditions, GRAPH_ORIGIN, matches, option, page, pageSize, project, selection, type GraphRequest } from './odata.js';
import { sendToRecipients, sendToUser } from './teamsActivity.js';
import type { TeamsFeed } from './teamsFeed.js';
import type { GraphDevice, GraphGroup, GraphUser, DirectoryObject, TenantDirectory } from './tenantDirectory.js';
import type { TeamsSend, Throttle } from './throttle.js';
import { copilotUsageReport, USAGE_REPORT } from './usageReport.js';

/** Who is calling, from a verified token. */
export interface Principal {
  tenantId: string;
  /** The calling application (`appid`/`azp`), for per-app throttling. */
  appId: string;
  /** Token expiry, epoch seconds. */
  expiresAt: number;
}

const ORGANIZATION_PROPERTIES = new Set<string>(['id', 'displayName', 'verifiedDomains']);
const USER_PROPERTIES = new Set<string>([
  'id',
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'jobTitle',
  'mail',
  'mobilePhone',
  'businessPhones',
  'department',
  'companyName',
  'officeLocation',
  'city',
  'country',
  'usageLocation',
  'preferredLanguage',
  'userType',
  'accountEnabled',
] satisfies (keyof GraphUser)[]);
/** What Graph returns for a user without $select. */
const USER_DEFAULTS = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
const GROUP_DEFAULTS = [
  'id',
  'displayName',
  'description',
  'mail',
  'mailEnabled',
  'mailNickname',
  'securityEnabled',
  'groupTypes',
  'visibility',
] satisfies (keyof GraphGroup)[];
const GROUP_PROPERTIES = new Set<string>(GROUP_DEFAULTS);
const DEVICE_DEFAULTS = [
  'id',
  'deviceId',
  'displayName',
  'operatingSystem',
  'operatingSystemVersion',
  'accountEnabled',
  'trustType',
  'isCompliant',
  'isManaged',
] satisfies (keyof GraphDevice)[];
const DEVICE_PROPERTIES = new Set<string>(DEVICE_DEFAULTS);
const OBJECT_PROPERTIES = new Set([...USER_PROPERTIES, ...GROUP_PROPERTIES, ...DEVICE_PROPERTIES]);

const USER_CAST = 'microsoft.graph.user';
const GROUP_CAST = 'microsoft.graph.group';
const DEVICE_CAST = 'microsoft.graph.device';
const KINDS = {
  user: { properties: USER_PROPERTIES, defaults: USER_DEFAULTS, collection: 'users' },
  group: { properties: GROUP_PROPERTIES, defaults: GROUP_DEFAULTS, collection: 'groups' },
  device: { properties: DEVICE_PROPERTIES, defaults: DEVICE_DEFAULTS, collection: 'devices' },
} as const;
const castKind = (cast: string | undefined) =>
  cast === USER_CAST ? KINDS.user : cast === GROUP_CAST ? KINDS.group : cast === DEVICE_CAST ? KINDS.device : undefined;
const MAX_BATCH = 20;

interface Route {
  /** Which Teams limit the request counts against, when it is an activity notification. */
  teams?: TeamsSend;
  run(): GraphResponse;
}

const ok = (body: unknown): GraphResponse => ({ status: 200, headers: {}, body });
const notFound = (key: string) =>
  new GraphFault(
    404,
    'Request_ResourceNotFound',
    `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
  );

export class GraphApi {
  #filtered = new WeakMap<TenantDirectory, Map<string, GraphUser[]>>();

  constructor(
    private readonly tenants: Map<string, TenantDirectory>,
    private readonly feed: TeamsFeed,
    private readonly throttle: Throttle,
    private readonly clock: Clock,
  ) {}

  async dispatch(req: GraphRequest, caller: Principal): Promise<GraphResponse> {
    const clientRequestId = req.headers['client-request-id'];
    try {
      const directory = this.tenants.get(caller.tenantId.toLowerCase());
      if (!directory)
        throw new GraphFault(
          403,
          'Authorization_IdentityNotFound',
          `Tenant '${caller.tenantId}' has no directory in this Graph stand-in; load one through /devhost/graph/_control/tenants/${caller.tenantId}/directory.`,
        );
      if (req.segments.length === 1 && req.segments[0] === '$batch') return await this.#batch(req, caller);
      const route = this.#route(req, directory, caller);
      if (route.teams === undefined) this.throttle.admit(caller.tenantId, caller.appId, undefined);
      const response = route.run();
      return { ...response, headers: { ...response.headers, ...(clientRequestId ? { 'client-request-id': clientRequestId } : {}) } };
    } catch (error) {
      if (error instanceof GraphFault) return errorResponse(error, clientRequestId);
      throw error;
    }
  }

  #route(req: GraphRequest, directory: TenantDirectory, caller: Principal): Route {
    const [collection, key, relation, cast, ...extra] = req.segments;
    const get = (run: () => unknown): Route => {
      if (req.method !== 'GET')
        throw new GraphFault(405, 'Request_BadRequest', `The method ${req.method} is not allowed on this resource; use GET.`);
      return { run: () => ok(run()) };
    };
    const admitTeams = (kind: TeamsSend) => () => this.throttle.admit(caller.tenantId, caller.appId, kind);
    const unknown = (segment: string | undefined) => new GraphFault(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
    if (extra.length > 0) throw unknown(extra[0]);

    if (collection === 'users') {
      if (key === undefined) return get(() => this.#users(req, directory));
      if (relation === 'teamwork' && cast === 'sendActivityNotification' && req.method === 'POST')
        return {
          teams: 'single',
          run: () => sendToUser(this.feed, directory, caller, key, req.body, this.clock.now(), admitTeams('single')),
        };
      const user = directory.user(key);
      if (relation === undefined) return get(() => this.#one(req, user, key));
      if (relation === 'transitiveMemberOf' || relation === 'memberOf') {
        if (cast !== undefined && cast !== GROUP_CAST) throw unknown(cast);
        return get(() => {
          if (!user) throw notFound(key);
          const groups = relation === 'memberOf' ? directory.memberOf(user.id) : directory.transitiveMemberOf(user.id);
          return this.#objects(
            req,
            groups.map((value) => ({ kind: 'group', value })),
            cast,
            `directoryObjects`,
          );
        });
      }
      throw unknown(relation);
    }
    if (collection === 'groups') {
      if (key === undefined) return get(() => this.#groups(req, directory));
      const group = directory.group(key);
      if (relation === undefined) return get(() => this.#oneGroup(req, group, key));
      if (relation === 'members' || relation === 'transitiveMembers') {
        if (cast !== undefined && castKind(cast) === undefined) throw unknown(cast);
        return get(() => {
          if (!group) throw notFound(key);
          if (cast === GROUP_CAST && group.groupTypes.includes('Unified'))
            throw new GraphFault(400, 'Request_UnsupportedQuery', 'Microsoft 365 groups cannot have groups as members.');
          const members = relation === 'members' ? directory.members(group.id) : directory.transitiveMembers(group.id);
          return this.#objects(req, members, cast, 'directoryObjects');
        });
      }
      throw unknown(relation);
    }
    if (collection === 'organization' && key === undefined) return get(() => this.#organization(req, directory));
    if (collection === 'teamwork' && key === 'sendActivityNotificationToRecipients' && relation === undefined && req.method === 'POST')
      return { teams: 'bulk', run: () => sendToRecipients(this.feed, directory, caller, req.body, this.clock.now(), admitTeams('bulk')) };
    if (collection === 'reports' && req.version === 'beta' && key !== undefined && relation === undefined) {
      const period = USAGE_REPORT.exec(key);
      if (period) return get(() => copilotUsageReport(req, directory, period[1]!, this.clock.now()));
    }
    throw unknown(collection === 'reports' ? key : collection);
  }

  // The tenant itself: one organization, whose verified domains are those its members sign in with.
  #organization(req: GraphRequest, directory: TenantDirectory) {
    const select = selection(req, ORGANIZATION_PROPERTIES, 'microsoft.graph.organization');
    const domains = directory.domains();
    const organization = {
      id: directory.tenantId.toLowerCase(),
      displayName: domains[0] ?? directory.tenantId,
      verifiedDomains: domains.map((name, i) => ({
        name,
        type: 'Managed',
        isDefault: i === 0,
        isInitial: name.endsWith('.onmicrosoft.com'),
        capabilities: 'Email, OfficeCommunicationsOnline',
      })),
    };
    return {
      '@odata.context': `${GRAPH_ORIGIN}/v1.0/$metadata#organization${select ? `(${select.join(',')})` : ''}`,
      value: [project(organization, select, [...ORGANIZATION_PROPERTIES])],
    };
  }

  #users(req: GraphRequest, directory: TenantDirectory) {
    const select = selection(req, USER_PROPERTIES, USER_CAST);
    const users = this.#filter(req, directory);
    return page(
      req,
      users,
      pageSize(req, 100, 999),
      (u) => project(u, select, USER_DEFAULTS),
      select ? `users(${select.join(',')})` : 'users',
    );
  }

  #filter(req: GraphRequest, directory: TenantDirectory): GraphUser[] {
    const conditions = filterConditions(req, USER_PROPERTIES, USER_CAST);
    if (conditions.length === 0) return directory.users;
    // A client pages through one filter many times over; keep the filtered list (a directory never changes in place).
    const cache = this.#filtered.get(directory) ?? new Map<string, GraphUser[]>();
    this.#filtered.set(directory, cache);
    const key = JSON.stringify(conditions);
    let users = cache.get(key);
    if (!users) {
      if (cache.size > 32) cache.clear();
      users = directory.users.filter((u) => matches(u, conditions));
      cache.set(key, users);
    }
    return users;
  }

  #one(req: GraphRequest, user: GraphUser | undefined, key: string) {
    const select = selection(req, USER_PROPERTIES, USER_CAST);
    if (!user) throw notFound(key);
    return {
      '@odata.context': `${GRAPH_ORIGIN}/${req.version}/$metadata#users/$entity`,
      ...project(user, select, USER_DEFAULTS),
    };
  }

  #groups(req: GraphRequest, directory: TenantDirectory) {
    const select = selection(req, GROUP_PROPERTIES, GROUP_CAST);
    const conditions = filterConditions(req, GROUP_PROPERTIES, GROUP_CAST);
    let groups = conditions.length === 0 ? directory.groups : directory.groups.filter((g) => matches(g, conditions));
    const search = searchTerms(req);
    if (search) groups = groups.filter((g) => search.every(([property, term]) => tokens(g[property]).some((t) => t.startsWith(term))));
    return page(req, groups, pageSize(req, 100, 999), (g) => project(g, select, GROUP_DEFAULTS), 'groups');
  }

  #oneGroup(req: GraphRequest, group: GraphGroup | undefined, key: string) {
    const select = selection(req, GROUP_PROPERTIES, GROUP_CAST);
    if (!group) throw notFound(key);
    return {
      '@odata.context': `${GRAPH_ORIGIN}/${req.version}/$metadata#groups/$entity`,
      ...project(group, select, GROUP_DEFAULTS),
    };
  }

  /** A directoryObject collection; cast to one kind when the path ends in `microsoft.graph.user|group|device`. */
  #objects(req: GraphRequest, objects: DirectoryObject[], cast: string | undefined, context: string) {
    const known = castKind(cast)?.properties ?? OBJECT_PROPERTIES;
    const select = selection(req, known, cast ?? 'microsoft.graph.directoryObject');
    let items = cast ? objects.filter((o) => `microsoft.graph.${o.kind}` === cast) : objects;
    const conditions = filterConditions(req, known, cast ?? 'microsoft.graph.directoryObject');
    if (conditions.length > 0) items = items.filter((o) => matches(o.value, conditions));
    const render = (o: DirectoryObject) => {
      const kind = KINDS[o.kind];
      const body = project(
        o.value,
        select?.filter((p) => kind.properties.has(p)),
        kind.defaults,
      );
      return cast ? body : { '@odata.type': `#microsoft.graph.${o.kind}`, ...body };
    };
    return page(req, items, pageSize(req, 100, 999), render, castKind(cast)?.collection ?? context);
  }

  /** `POST /$batch`: up to 20 requests, each answered on its own (its own 404, 429 and so on) inside a 200. */
  async #batch(req: GraphRequest, caller: Principal): Promise<GraphResponse> {
    if (req.method !== 'POST') throw new GraphFault(405, 'Request_BadRequest', 'Use POST for $batch.');
    const requests = (req.body as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests) || requests.length === 0)
      throw new GraphFault(400, 'BadRequest', 'Invalid batch payload format: "requests" must be a non-empty array.');
    if (requests.length > MAX_BATCH)
      throw new GraphFault(400, 'BadRequest', `The batch has ${requests.length} requests; a batch may contain at most ${MAX_BATCH}.`);
    const ids = new Set<string>();
    const responses = [];
    for (const [i, r] of requests.entries()) {
      const step = r as { id?: unknown; method?: unknown; url?: unknown; headers?: Record<string, string>; body?: unknown };
      if (typeof step.id !== 'string' || step.id === '' || typeof step.method !== 'string' || typeof step.url !== 'string')
        throw new GraphFault(400, 'BadRequest', `Invalid batch payload format: requests[${i}] needs a string id, method and url.`);
      if (ids.has(step.id)) throw new GraphFault(400, 'BadRequest', `Invalid batch payload format: the id '${step.id}' is used twice.`);
      ids.add(step.id);
      const inner = subRequest(req.version, step.method, step.url, step.headers ?? {}, step.body);
      const answer =
        inner.segments[0] === '$batch'
          ? errorResponse(new GraphFault(400, 'BadRequest', 'A batch cannot contain another batch.'))
          : await this.dispatch(inner, caller);
      responses.push({
        id: step.id,
        status: answer.status,
        headers: answer.headers,
        ...(answer.body === undefined ? {} : { body: answer.body }),
      });
    }
    return ok({ responses });
  }
}

const SEARCHABLE = new Set(['displayName', 'description', 'mail', 'mailNickname']);

/**
 * `$search="displayName:sal" AND "mail:…"` as Graph runs it on groups: each clause's term matches the start of
 * a word of the property, case-insensitively; Graph refuses it without `ConsistencyLevel: eventual`.
 */
function searchTerms(req: GraphRequest): [keyof GraphGroup, string][] | undefined {
  const raw = option(req, 'search');
  if (raw === undefined) return undefined;
  if (req.headers['consistencylevel']?.toLowerCase() !== 'eventual')
    throw new GraphFault(
      400,
      'Request_UnsupportedQuery',
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
  return raw.split(/\s+AND\s+/).map((clause) => {
    const m = /^"([A-Za-z]+):([^"]*)"$/.exec(clause.trim());
    if (!m || !SEARCHABLE.has(m[1]!))
      throw new GraphFault(400, 'Request_UnsupportedQuery', `Syntax error: the $search clause '${clause}' is not valid.`);
    return [m[1] as keyof GraphGroup, m[2]!.toLowerCase()];
  });
}
const tokens = (value: unknown) => (typeof value === 'string' ? value.toLowerCase().split(/[^\p{L}\p{N}]+/u) : []);

/** Parses a batch step's relative URL (`/users/{id}?$select=…`) as a request of the batch's version. */
function subRequest(version: string, method: string, url: string, headers: Record<string, string>, body: unknown): GraphRequest {
  const relative = url.replace(/^\/+/, '');
  const q = relative.indexOf('?');
  const rawPath = q === -1 ? relative : relative.slice(0, q);
  const rawQuery = q === -1 ? '' : relative.slice(q + 1);
  return {
    method: method.toUpperCase(),
    version,
    segments: splitPath(rawPath),
    rawPath,
    rawQuery,
    query: new URLSearchParams(rawQuery),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)])),
    body,
  };
}

export function splitPath(rawPath: string): string[] {
  return rawPath
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
}
