/**
 * The organisation's directory as Herald needs it (Microsoft Graph in production). An interface only:
 * `adapters/services/graphDirectory` implements it; delivery and the inbox depend on this shape, not on Graph.
 */
import type { DirectoryUser, UsageRecord } from './audience.js';

/** A group the directory does not have (deleted, or never there). */
export class UnknownGroup extends Error {
  constructor(readonly groupId: string) {
    super(`group ${groupId} is not in the organisation's directory`);
  }
}

export interface Directory {
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
  /** Last activity per user (keyed by lower-cased userPrincipalName), for usage segments. */
  usage(tenantId: string): Promise<Map<string, UsageRecord>>;
}
