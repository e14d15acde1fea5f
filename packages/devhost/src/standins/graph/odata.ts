/**
 * The OData query options the Graph stand-in understands ($select, $top, $filter `eq`, $count, $skiptoken)
 * and collection paging. Every `@odata.nextLink` names graph.microsoft.com, as Graph's do: the Graph SDK
 * only follows https links, and a client pointed at the stand-in rewrites the origin itself.
 */
import { GraphFault } from './graphErrors.js';

export const GRAPH_ORIGIN = 'https://graph.microsoft.com';

export interface GraphRequest {
  method: string;
  /** `v1.0` or `beta`. */
  version: string;
  /** The path after the version, without leading slash, decoded segment by segment. */
  segments: string[];
  /** The raw path after the version, as sent (for links). */
  rawPath: string;
  /** The raw query string without `?`. */
  rawQuery: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

/** A query option by name, case-insensitively and with or without `$`, as Graph accepts them. */
export function option(req: GraphRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of req.query) {
    const key = k.toLowerCase();
    if (key === `$${wanted}` || key === wanted) return v;
  }
  return undefined;
}

/** `$top`: 1 to `max`, else `fallback`. */
export function pageSize(req: GraphRequest, fallback: number, max: number): number {
  const raw = option(req, 'top');
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new GraphFault(400, 'Request_BadRequest', `Invalid page size specified: '${raw}'. Must be between 1 and ${max} inclusive.`);
  return n;
}

/** `$select` as a list of property names, each checked against what the type has; undefined when absent. */
export function selection(req: GraphRequest, known: ReadonlySet<string>, typeName: string): string[] | undefined {
  const raw = option(req, 'select');
  if (raw === undefined) return undefined;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names)
    if (!known.has(n)) throw new GraphFault(400, 'Request_BadRequest', `Could not find a property named '${n}' on type '${typeName}'.`);
  return names;
}

/** The selected properties of `value` (always with `id`, as Graph does), or the type's default set. */
export function project(value: object, select: string[] | undefined, defaults: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  for (const name of select ?? defaults) out[name] = source[name] ?? null;
  if (!('id' in out)) out.id = source.id;
  return out;
}

type Literal = string | boolean | null;
export interface Condition {
  property: string;
  value: Literal;
}

/**
 * `$filter` of `prop eq literal` clauses joined by `and` (strings in single quotes, `''` for a quote, or
 * true/false/null) — what a directory client filters users on. Anything else is refused as Graph refuses
 * what it cannot run.
 */
export function filterConditions(req: GraphRequest, known: ReadonlySet<string>, typeName: string): Condition[] {
  const raw = option(req, 'filter');
  if (raw === undefined || raw.trim() === '') return [];
  const clause = /^\s*([A-Za-z][A-Za-z0-9]*)\s+eq\s+('(?:[^']|'')*'|true|false|null)\s*(?:\s(and)\s|$)/i;
  const out: Condition[] = [];
  let rest = raw;
  while (rest.trim() !== '') {
    const m = clause.exec(rest);
    if (!m) throw new GraphFault(400, 'Request_UnsupportedQuery', `Unsupported or invalid query filter clause specified: '${raw}'.`);
    const [, property, literal] = m;
    if (!known.has(property!))
      throw new GraphFault(400, 'Request_BadRequest', `Could not find a property named '${property}' on type '${typeName}'.`);
    const value: Literal = literal!.startsWith("'")
      ? literal!.slice(1, -1).replace(/''/g, "'")
      : literal === 'null'
        ? null
        : literal === 'true';
    out.push({ property: property!, value });
    rest = rest.slice(m[0].length);
    if (!m[3] && rest.trim() !== '') throw new GraphFault(400, 'Request_UnsupportedQuery', `Unsupported query filter: '${raw}'.`);
  }
  return out;
}

export function matches(value: object, conditions: Condition[]): boolean {
  const source = value as Record<string, unknown>;
  return conditions.every(({ property, value: wanted }) => {
    const actual = source[property] ?? null;
    // Graph compares directory strings case-insensitively.
    if (typeof actual === 'string' && typeof wanted === 'string') return actual.toLowerCase() === wanted.toLowerCase();
    return actual === wanted;
  });
}

const encodeToken = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

function offsetOf(req: GraphRequest): number {
  const token = option(req, 'skiptoken');
  if (token === undefined) return 0;
  try {
    const { o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // falls through to the error below
  }
  throw new GraphFault(400, 'Request_BadRequest', `The $skiptoken '${token}' is not valid; follow @odata.nextLink as given.`);
}

/**
 * One page of `items` from the request's `$skiptoken`, with `@odata.nextLink` when more remain (the same
 * query, a new skip token) and `@odata.count` when `$count=true`.
 */
export function page<T>(req: GraphRequest, items: readonly T[], size: number, render: (item: T) => unknown, context: string) {
  const offset = offsetOf(req);
  const body: Record<string, unknown> = { '@odata.context': `${GRAPH_ORIGIN}/${req.version}/$metadata#${context}` };
  if (option(req, 'count')?.toLowerCase() === 'true') body['@odata.count'] = items.length;
  const end = Math.min(items.length, offset + size);
  if (end < items.length) {
    const kept = req.rawQuery.split('&').filter((p) => p !== '' && !/^(\$|%24)?skiptoken=/i.test(p));
    kept.push(`$skiptoken=${encodeToken(end)}`);
    body['@odata.nextLink'] = `${GRAPH_ORIGIN}/${req.version}/${req.rawPath}?${kept.join('&')}`;
  }
  body.value = items.slice(offset, end).map(render);
  return body;
}
