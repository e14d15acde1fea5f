/**
 * The organisation's directory as Herald needs it (Microsoft Graph in production). An interface only:
 * `adapters/services/graphDirectory` implements it; delivery and the inbox depend on this shape, not on Graph.
 */
import type { DirectoryUser, UsageRecord } from './audience.js';
import type { Problem as FieldProblem } from './message.js';

/** A group the directory does not have (deleted, or never there). */
export class UnknownGroup extends Error {
  constructor(readonly groupId: string) {
    super(`group ${groupId} is not in the organisation's directory`);
  }
}

/** A group as the audience step lists it. */
export interface DirectoryGroup {
  id: string;
  displayName: string;
  description?: string;
}

/** A user attribute an audience filter names (`core/audience.ts` `passesFilters`). */
export type DirectoryAttribute = 'companyName' | 'department' | 'officeLocation' | 'city' | 'country';

export interface Directory {
  /**
   * Whether the directory has a group with this id; undefined when it will not say (Herald not allowed to
   * read it, say), so only delivery can tell.
   */
  hasGroup(tenantId: string, groupId: string): Promise<boolean | undefined>;
  /** One group by object id; undefined when the directory has no such group or will not say. */
  group(tenantId: string, groupId: string): Promise<DirectoryGroup | undefined>;
  /** Whether some user of the tenant has `value` (compared as the directory compares) in `attribute`; undefined as above. */
  hasUserWith(tenantId: string, attribute: DirectoryAttribute, value: string): Promise<boolean | undefined>;
  /**
   * The users among a group's transitive members (nested groups followed), page by page, in a stable order.
   * Throws UnknownGroup when the directory has no such group.
   */
  groupMembers(tenantId: string, groupId: string): AsyncIterable<DirectoryUser[]>;
  /** Every user of the tenant, page by page, in a stable order (audiences that name no group). */
  allUsers(tenantId: string): AsyncIterable<DirectoryUser[]>;
  /** One user by object id, or undefined when the directory does not know it. */
  user(tenantId: string, userId: string): Promise<DirectoryUser | undefined>;
  /** Ids (lower case) of every group the user is in, directly or through nesting. */
  memberOf(tenantId: string, userId: string): Promise<string[]>;
  /** `user` and `memberOf` together, in one round trip where the directory allows; undefined for a user it does not know. */
  userWithGroups(tenantId: string, userId: string): Promise<{ user: DirectoryUser; groups: string[] } | undefined>;
  /**
   * One page of the groups whose name has a word starting with `search`, and the token of the next page;
   * `after` is a token an earlier page gave.
   */
  searchGroups(tenantId: string, search: string, pageSize: number, after?: string): Promise<{ groups: DirectoryGroup[]; next?: string }>;
  /** Last activity per user (keyed by lower-cased userPrincipalName), for usage segments. */
  usage(tenantId: string): Promise<Map<string, UsageRecord>>;
}

/** One thing an audience names that must exist in the directory, and the attributes that may hold it. */
export interface DirectoryLookup {
  path: string;
  kind: 'group' | 'value';
  value: string;
  attributes: readonly DirectoryAttribute[];
}

/** What to look up for an audience: each group, company, department and location it names, with its field path. */
export function audienceLookups(audience: {
  groups?: readonly string[];
  companies?: readonly string[];
  departments?: readonly string[];
  locations?: readonly string[];
}): DirectoryLookup[] {
  const values = (field: 'companies' | 'departments' | 'locations', attributes: readonly DirectoryAttribute[]) =>
    (audience[field] ?? []).map((value, i) => ({ path: `audience.${field}.${i}`, kind: 'value' as const, value, attributes }));
  return [
    ...(audience.groups ?? []).map((value, i) => ({ path: `audience.groups.${i}`, kind: 'group' as const, value, attributes: [] })),
    ...values('companies', ['companyName']),
    ...values('departments', ['department']),
    // A location matches an office, a city or a country (core/audience.ts).
    ...values('locations', ['officeLocation', 'city', 'country']),
  ];
}

/** The field problem for a lookup the directory does not know. */
export const unknownInDirectory = (lookup: DirectoryLookup): FieldProblem => ({
  path: lookup.path,
  message:
    lookup.kind === 'group'
      ? 'no such group in the directory'
      : `no user in the directory has ${lookup.attributes.length > 1 ? 'an office, city or country' : `a ${describe[lookup.attributes[0]!]}`} ${JSON.stringify(lookup.value)}`,
});

const describe: Record<DirectoryAttribute, string> = {
  companyName: 'company',
  department: 'department',
  officeLocation: 'office',
  city: 'city',
  country: 'country',
};
