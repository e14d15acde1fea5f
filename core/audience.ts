/**
 * Who a message reaches (seed: "audiences by group, department and location"). Pure: the directory's
 * users come in as values; the rules decide. Groups are resolved by the directory adapter (transitively);
 * these rules filter what it returns, and the inbox applies the same rules to one user on read.
 */
import type { z } from 'zod';
import type { Audience, UsageFilter, UsageProduct } from './message.js';

export type AudienceRule = z.output<typeof Audience>;

/** The directory attributes Herald targets on (Graph `user`, `$select`ed to these). */
export interface DirectoryUser {
  id: string;
  userPrincipalName: string;
  displayName?: string | null;
  mail?: string | null;
  department?: string | null;
  companyName?: string | null;
  officeLocation?: string | null;
  city?: string | null;
  country?: string | null;
  preferredLanguage?: string | null;
  userType?: string | null;
  accountEnabled?: boolean | null;
}

export const DIRECTORY_USER_FIELDS = [
  'id',
  'userPrincipalName',
  'displayName',
  'mail',
  'department',
  'companyName',
  'officeLocation',
  'city',
  'country',
  'preferredLanguage',
  'userType',
  'accountEnabled',
] as const satisfies readonly (keyof DirectoryUser)[];

/** Last activity per product, from the usage report; ISO dates (YYYY-MM-DD) or null for never. */
export type UsageRecord = Record<UsageProduct, string | null>;

/** A usage segment: people licensed for a product (in its usage report) with no activity in it for this many days. */
export const SEGMENT_RULES = {
  inactiveCopilotUsers: { product: 'copilot', inactiveDays: 28 },
  inactiveCopilotUsersInTeams: { product: 'teamsCopilot', inactiveDays: 30 },
} as const satisfies Record<AudienceRule['segments'][number], UsageFilter>;

/** Whether resolving the rule needs the usage report (a segment or a usage filter is targeted). */
export const targetsUsage = (rule: Pick<AudienceRule, 'segments' | 'usage'>) => rule.segments.length > 0 || rule.usage.length > 0;

export interface AudienceContext {
  /** Tenant setting: guests are left out unless the tenant includes them. */
  includeGuests: boolean;
  /** Now, epoch ms (for usage segments). */
  now: number;
  /** Usage by lower-cased userPrincipalName; needed only when the rule has segments. */
  usage?: ReadonlyMap<string, UsageRecord>;
}

// One collator: building one per comparison (localeCompare with options) is most of a filter's cost.
const collator = new Intl.Collator(undefined, { sensitivity: 'accent' });
const same = (a: string | null | undefined, wanted: readonly string[]) => !!a && wanted.some((w) => collator.compare(w, a) === 0);

/** Disabled accounts never receive messages; guests only when the tenant includes them. */
export function isReachable(user: DirectoryUser, includeGuests: boolean): boolean {
  if (user.accountEnabled === false) return false;
  if (!includeGuests && user.userType?.toLowerCase() === 'guest') return false;
  return true;
}

/** Licensed for the product (in its usage report) and not active in it for `inactiveDays` days (or never). */
function isInactive(user: DirectoryUser, { product, inactiveDays }: UsageFilter, ctx: AudienceContext): boolean {
  // Not in the usage report: no licence for the product, so nothing to be inactive in.
  const record = ctx.usage?.get(user.userPrincipalName.toLowerCase());
  if (!record) return false;
  const last = record[product];
  if (!last) return true;
  return Date.parse(`${last.slice(0, 10)}T00:00:00Z`) <= ctx.now - inactiveDays * 86_400_000;
}

/**
 * Whether a user the groups produced (or any user, when the rule names no groups) passes the rule's
 * filters. Each filter list is an OR of its values; the lists are ANDed. Locations match the office,
 * the city or the country. Case does not matter.
 */
export function matchesFilters(user: DirectoryUser, rule: AudienceRule, ctx: AudienceContext): boolean {
  if (!isReachable(user, ctx.includeGuests)) return false;
  if (rule.companies.length > 0 && !same(user.companyName, rule.companies)) return false;
  if (rule.departments.length > 0 && !same(user.department, rule.departments)) return false;
  if (
    rule.locations.length > 0 &&
    !same(user.officeLocation, rule.locations) &&
    !same(user.city, rule.locations) &&
    !same(user.country, rule.locations)
  )
    return false;
  return rule.segments.every((s) => isInactive(user, SEGMENT_RULES[s], ctx)) && rule.usage.every((u) => isInactive(user, u, ctx));
}

/** For one user on read (the inbox): in one of the groups (or no groups named), and passing the filters. */
export function isInAudience(user: DirectoryUser, userGroups: ReadonlySet<string>, rule: AudienceRule, ctx: AudienceContext): boolean {
  if (rule.groups.length > 0 && !rule.groups.some((g) => userGroups.has(g.toLowerCase()))) return false;
  return matchesFilters(user, rule, ctx);
}

/** Where an audience's people come from: a tenant's directory, pages of users at a time. */
export interface AudienceSources {
  groupMembers(groupId: string): AsyncIterable<DirectoryUser[]>;
  allUsers(): AsyncIterable<DirectoryUser[]>;
}

/**
 * The people an audience resolves to when it is sent (and estimated): the groups' members, or everyone when
 * it names no groups, each once, in directory order, through the filters.
 */
export async function* audienceMembers(rule: AudienceRule, ctx: AudienceContext, from: AudienceSources): AsyncGenerator<DirectoryUser> {
  const sources = rule.groups.length > 0 ? rule.groups.map((g) => from.groupMembers(g)) : [from.allUsers()];
  const seen = new Set<string>();
  for (const source of sources)
    for await (const page of source)
      for (const user of page) {
        if (seen.has(user.id)) continue;
        seen.add(user.id);
        if (matchesFilters(user, rule, ctx)) yield user;
      }
}
