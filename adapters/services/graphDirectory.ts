/**
 * The organisation's directory from Microsoft Graph: transitive group members (users only, only the
 * attributes audiences use), all users, one user, a user's groups through nesting (both at once in one `$batch`), and the Copilot usage
 * report. Reads page by page with `@odata.nextLink`; the client retries 429/503 itself, honouring Retry-After.
 */
import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { DIRECTORY_USER_FIELDS, type DirectoryUser, type UsageRecord } from '../../core/audience.js';
import { USAGE_PRODUCTS, type UsageProduct } from '../../core/message.js';
import { UnknownGroup, type Directory, type DirectoryAttribute, type DirectoryGroup } from '../../core/directory.js';
import { Unavailable } from '../../core/outage.js';
import { graphClient } from './graphClient.js';

const SELECT = DIRECTORY_USER_FIELDS.join(',');
/** Graph's largest page for directory objects: fewest round trips for big audiences. */
const PAGE = 999;
/** The report's longest period, so a usage filter can ask about up to 180 days (MAX_INACTIVE_DAYS). */
const USAGE_PERIOD = 'D180';

interface Page<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

/** One answer inside a `$batch` response. */
interface BatchStep {
  id: string;
  status: number;
  body?: unknown;
}

type CopilotUsageRow = { userPrincipalName: string } & Record<string, string | null | undefined>;

/** The report's column for each product (Graph's copilotUsageUserDetail). */
const USAGE_COLUMNS: Record<UsageProduct, string> = {
  copilot: 'lastActivityDate',
  teamsCopilot: 'microsoftTeamsCopilotLastActivityDate',
  wordCopilot: 'wordCopilotLastActivityDate',
  excelCopilot: 'excelCopilotLastActivityDate',
  powerPointCopilot: 'powerPointCopilotLastActivityDate',
  outlookCopilot: 'outlookCopilotLastActivityDate',
  oneNoteCopilot: 'oneNoteCopilotLastActivityDate',
  loopCopilot: 'loopCopilotLastActivityDate',
  copilotChat: 'copilotChatLastActivityDate',
};

async function* pages<T>(
  client: Client,
  path: string,
  options: { version?: string; headers?: Record<string, string> } = {},
): AsyncIterable<T[]> {
  let page = (await client
    .api(path)
    .version(options.version ?? 'v1.0')
    .headers(options.headers ?? {})
    .get()) as Page<T>;
  for (;;) {
    if (page.value.length > 0) yield page.value;
    const next = page['@odata.nextLink'];
    if (!next) return;
    page = (await client
      .api(next)
      .headers(options.headers ?? {})
      .get()) as Page<T>;
  }
}

const notFound = (error: unknown) => error instanceof GraphError && error.statusCode === 404;
const SERVICE = 'the directory (Microsoft Graph)';
/** When Graph gives no Retry-After: long enough for a blip to pass, short enough that a device asks again soon. */
const RETRY_AFTER_S = 30;

/**
 * Graph down, throttling past the client's own retries, or unreachable: Unavailable, so the API answers 503
 * with Retry-After. Anything else (a 4xx Herald caused) stays as it was.
 */
function outage(error: unknown): unknown {
  if (error instanceof Unavailable) return error;
  const status = error instanceof GraphError ? error.statusCode : undefined;
  if (status !== undefined && status > 0 && status < 500 && status !== 429) return error;
  const header = error instanceof GraphError ? Number(error.headers?.get('retry-after')) : NaN;
  const retryAfter = Number.isFinite(header) && header > 0 ? Math.ceil(header) : RETRY_AFTER_S;
  return new Unavailable(SERVICE, retryAfter, status ? `it answered ${status}` : (error as Error).message);
}
/** Runs a directory read, turning an outage into Unavailable. */
async function reading<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw outage(error);
  }
}
/**
 * A yes/no question to the directory: false when it answers 404, undefined when it refuses to say (a 4xx
 * such as 403, when Herald may not read it), Unavailable when it does not answer.
 */
async function telling(ask: () => Promise<boolean>): Promise<boolean | undefined> {
  try {
    return await ask();
  } catch (error) {
    if (notFound(error)) return false;
    const failure = outage(error);
    if (failure instanceof Unavailable) throw failure;
    return undefined;
  }
}
/** OData string literal: a quote is doubled. */
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** The report has an empty string (CSV heritage) or null for "never". */
const date = (value: string | null | undefined) => (value ? value.slice(0, 10) : null);

/** A group search's `after` that Graph did not hand out (or no longer takes). */
export class InvalidSkipToken extends Error {
  constructor() {
    super('the continuation token is not one this API handed out');
  }
}

class GraphDirectory implements Directory {
  async hasGroup(tenantId: string, groupId: string): Promise<boolean | undefined> {
    return telling(async () => {
      await graphClient(tenantId)
        .api(`/groups/${encodeURIComponent(groupId)}`)
        .select('id')
        .get();
      return true;
    });
  }

  /** A group's name; undefined when the directory has no such group, or will not say. */
  async group(tenantId: string, groupId: string): Promise<{ id: string; displayName: string; description?: string } | undefined> {
    try {
      const found = (await graphClient(tenantId)
        .api(`/groups/${encodeURIComponent(groupId)}`)
        .select('id,displayName,description')
        .get()) as { id: string; displayName?: string | null; description?: string | null };
      return { id: found.id, displayName: found.displayName ?? found.id, ...(found.description ? { description: found.description } : {}) };
    } catch (error) {
      if (notFound(error)) return undefined;
      const failure = outage(error);
      if (failure instanceof Unavailable) throw failure;
      return undefined;
    }
  }

  async hasUserWith(tenantId: string, attribute: DirectoryAttribute, value: string): Promise<boolean | undefined> {
    // Filtering on these attributes is an advanced query: ConsistencyLevel: eventual with $count.
    const path = `/users?$filter=${encodeURIComponent(`${attribute} eq ${literal(value)}`)}&$select=id&$top=1&$count=true`;
    return telling(
      async () =>
        ((await graphClient(tenantId).api(path).headers({ ConsistencyLevel: 'eventual' }).get()) as Page<{ id: string }>).value.length > 0,
    );
  }

  async *groupMembers(tenantId: string, groupId: string): AsyncIterable<DirectoryUser[]> {
    try {
      // The OData cast is an advanced query: it wants ConsistencyLevel: eventual with $count.
      yield* pages<DirectoryUser>(
        graphClient(tenantId),
        `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=${SELECT}&$top=${PAGE}&$count=true`,
        { headers: { ConsistencyLevel: 'eventual' } },
      );
    } catch (error) {
      if (notFound(error)) throw new UnknownGroup(groupId);
      throw outage(error);
    }
  }

  async *allUsers(tenantId: string): AsyncIterable<DirectoryUser[]> {
    try {
      yield* pages<DirectoryUser>(graphClient(tenantId), `/users?$select=${SELECT}&$top=${PAGE}`);
    } catch (error) {
      throw outage(error);
    }
  }

  async user(tenantId: string, userId: string): Promise<DirectoryUser | undefined> {
    return reading(async () => {
      try {
        return (await graphClient(tenantId)
          .api(`/users/${encodeURIComponent(userId)}`)
          .select(SELECT)
          .get()) as DirectoryUser;
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    });
  }

  async memberOf(tenantId: string, userId: string): Promise<string[]> {
    const ids: string[] = [];
    try {
      const path = `/users/${encodeURIComponent(userId)}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=${PAGE}`;
      for await (const page of pages<{ id: string }>(graphClient(tenantId), path)) ids.push(...page.map((g) => g.id.toLowerCase()));
    } catch (error) {
      if (notFound(error)) return [];
      throw outage(error);
    }
    return ids;
  }

  async userWithGroups(tenantId: string, userId: string): Promise<{ user: DirectoryUser; groups: string[] } | undefined> {
    const id = encodeURIComponent(userId);
    let answer: { responses?: BatchStep[] };
    try {
      answer = (await graphClient(tenantId)
        .api('/$batch')
        .post({
          requests: [
            { id: 'user', method: 'GET', url: `/users/${id}?$select=${SELECT}` },
            { id: 'groups', method: 'GET', url: `/users/${id}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=${PAGE}` },
          ],
        })) as { responses?: BatchStep[] };
    } catch (error) {
      throw outage(error);
    }
    const step = (name: string) => answer.responses?.find((r) => r.id === name);
    const [user, groups] = [step('user'), step('groups')];
    if (user?.status === 404) return undefined;
    // A step throttled or failed on its own (Graph answers each one apart inside a 200): the two reads
    // separately, which the client retries as their Retry-After says.
    if (user?.status !== 200 || groups?.status !== 200) return this.separately(tenantId, userId);
    const first = groups.body as Page<{ id: string }>;
    const ids = first.value.map((g) => g.id.toLowerCase());
    const next = first['@odata.nextLink'];
    if (next)
      try {
        for await (const page of pages<{ id: string }>(graphClient(tenantId), next)) ids.push(...page.map((g) => g.id.toLowerCase()));
      } catch (error) {
        throw outage(error);
      }
    return { user: user.body as DirectoryUser, groups: ids };
  }

  private async separately(tenantId: string, userId: string): Promise<{ user: DirectoryUser; groups: string[] } | undefined> {
    // The groups of a user the directory does not know do not matter (the lookup may well fail for them).
    const [user, groups] = await Promise.allSettled([this.user(tenantId, userId), this.memberOf(tenantId, userId)]);
    if (user.status === 'rejected') throw user.reason;
    if (!user.value) return undefined;
    if (groups.status === 'rejected') throw groups.reason;
    return { user: user.value, groups: groups.value };
  }

  async searchGroups(tenantId: string, search: string, pageSize: number, after?: string) {
    // $search is an advanced query (ConsistencyLevel: eventual). Only the skip token of Graph's next link is
    // handed out, so a caller's token can never point the client, with its bearer, anywhere but Graph's /groups.
    const term = search.replace(/["\\]/g, ' ').trim();
    const query = [
      `$search=${encodeURIComponent(`"displayName:${term}"`)}`,
      `$select=id,displayName,description`,
      `$top=${pageSize}`,
      ...(after ? [`$skiptoken=${encodeURIComponent(after)}`] : []),
    ];
    let page: Page<{ id: string; displayName?: string | null; description?: string | null }>;
    try {
      page = await graphClient(tenantId)
        .api(`/groups?${query.join('&')}`)
        .headers({ ConsistencyLevel: 'eventual' })
        .get();
    } catch (error) {
      // Graph refuses a skip token it did not hand out with a 400.
      if (after && error instanceof GraphError && error.statusCode === 400) throw new InvalidSkipToken();
      throw outage(error);
    }
    const nextLink = page['@odata.nextLink'];
    const next = nextLink ? (new URL(nextLink).searchParams.get('$skiptoken') ?? undefined) : undefined;
    const groups: DirectoryGroup[] = page.value.map((g) => ({
      id: g.id,
      displayName: g.displayName ?? g.id,
      ...(g.description ? { description: g.description } : {}),
    }));
    return { groups, ...(next ? { next } : {}) };
  }

  async usage(tenantId: string): Promise<Map<string, UsageRecord>> {
    const usage = new Map<string, UsageRecord>();
    const path = `/reports/getMicrosoft365CopilotUsageUserDetail(period='${USAGE_PERIOD}')?$format=application/json`;
    for await (const page of pages<CopilotUsageRow>(graphClient(tenantId), path, { version: 'beta' }))
      for (const row of page)
        usage.set(
          row.userPrincipalName.toLowerCase(),
          Object.fromEntries(USAGE_PRODUCTS.map((p) => [p, date(row[USAGE_COLUMNS[p]])])) as UsageRecord,
        );
    return usage;
  }
}

let instance: Directory | undefined;

/** Herald's directory (one instance: Graph clients and tokens are cached per tenant). */
export function directory(): Directory {
  return (instance ??= new GraphDirectory());
}
