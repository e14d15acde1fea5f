/**
 * One tenant's directory as the Graph stand-in serves it: users, groups and devices in a stable order (the file's),
 * looked up by id or UPN case-insensitively, and group membership followed through nesting. Nested
 * memberships are computed once per group or user and kept, because a directory only changes by being
 * replaced as a whole.
 */
import { objectId } from '../../identity/issuer.js';
import { DirectoryFile, type CopilotApp } from './directoryFile.js';

/** A user as Graph returns it (every property this stand-in knows, null when unset). */
export interface GraphUser {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  jobTitle: string | null;
  mail: string | null;
  mobilePhone: null;
  businessPhones: string[];
  department: string | null;
  companyName: string | null;
  officeLocation: string | null;
  city: string | null;
  country: string | null;
  usageLocation: string | null;
  preferredLanguage: string | null;
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
}

export interface GraphGroup {
  id: string;
  displayName: string;
  description: string | null;
  mail: string | null;
  mailNickname: string | null;
  mailEnabled: boolean;
  securityEnabled: boolean;
  groupTypes: string[];
  visibility: string | null;
}

/** An Entra device object: a group member that is neither a user nor a group. */
export interface GraphDevice {
  id: string;
  deviceId: string | null;
  displayName: string;
  operatingSystem: string | null;
  operatingSystemVersion: string | null;
  accountEnabled: boolean;
  trustType: string | null;
  isCompliant: boolean | null;
  isManaged: boolean | null;
}

export type DirectoryObject =
  { kind: 'user'; value: GraphUser } | { kind: 'group'; value: GraphGroup } | { kind: 'device'; value: GraphDevice };

export class DirectoryError extends Error {}

export class TenantDirectory {
  readonly users: GraphUser[] = [];
  readonly groups: GraphGroup[] = [];
  readonly devices: GraphDevice[] = [];
  /** Days since last Copilot use per app, for licensed users only (by user id). */
  readonly copilotActivity = new Map<string, Partial<Record<CopilotApp, number>>>();
  #usersById = new Map<string, GraphUser>();
  #usersByUpn = new Map<string, GraphUser>();
  #groupsById = new Map<string, GraphGroup>();
  #devicesById = new Map<string, GraphDevice>();
  #members = new Map<string, string[]>();
  #memberOf = new Map<string, string[]>();
  #transitiveMembers = new Map<string, DirectoryObject[]>();
  #transitiveMemberOf = new Map<string, GraphGroup[]>();

  /**
   * The tenant's verified domains, as `GET /organization` lists them: the domains its members' sign-in
   * names use (guests' are their home tenants'), in the order they first appear.
   */
  domains(): string[] {
    const members = this.users.filter((u) => u.userType === 'Member' && !u.userPrincipalName.includes('#EXT#'));
    return [...new Set(members.map((u) => u.userPrincipalName.split('@')[1]!.toLowerCase()))];
  }

  /** Validates `input` (a directory file) and indexes it; throws a DirectoryError naming what is wrong. */
  constructor(
    readonly tenantId: string,
    input: unknown,
  ) {
    const parsed = DirectoryFile.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new DirectoryError(`${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const file = parsed.data;
    if (file.tenantId && file.tenantId.toLowerCase() !== tenantId.toLowerCase())
      throw new DirectoryError(`tenantId: the file is for tenant ${file.tenantId}, not ${tenantId}`);
    for (const [i, u] of file.users.entries()) {
      const user: GraphUser = {
        id: (u.id ?? objectId(tenantId, u.userPrincipalName)).toLowerCase(),
        userPrincipalName: u.userPrincipalName,
        displayName: u.displayName ?? null,
        givenName: u.givenName ?? null,
        surname: u.surname ?? null,
        jobTitle: u.jobTitle ?? null,
        mail: u.mail ?? null,
        mobilePhone: null,
        businessPhones: [],
        department: u.department ?? null,
        companyName: u.companyName ?? null,
        officeLocation: u.officeLocation ?? null,
        city: u.city ?? null,
        country: u.country ?? null,
        usageLocation: u.usageLocation ?? null,
        preferredLanguage: u.preferredLanguage ?? null,
        userType: u.userType ?? 'Member',
        accountEnabled: u.accountEnabled ?? true,
      };
      if (this.#usersById.has(user.id)) throw new DirectoryError(`users.${i}.id: ${user.id} appears twice`);
      const upn = user.userPrincipalName.toLowerCase();
      if (this.#usersByUpn.has(upn)) throw new DirectoryError(`users.${i}.userPrincipalName: ${user.userPrincipalName} appears twice`);
      this.users.push(user);
      this.#usersById.set(user.id, user);
      this.#usersByUpn.set(upn, user);
      if (u.copilotActivity) this.copilotActivity.set(user.id, u.copilotActivity);
    }
    for (const [i, g] of file.groups.entries()) {
      const id = g.id.toLowerCase();
      if (this.#groupsById.has(id) || this.#usersById.has(id)) throw new DirectoryError(`groups.${i}.id: ${id} appears twice`);
      const group: GraphGroup = {
        id,
        displayName: g.displayName,
        description: g.description ?? null,
        mail: g.mail ?? null,
        mailNickname: g.mailNickname ?? null,
        mailEnabled: g.mailEnabled,
        securityEnabled: g.securityEnabled,
        groupTypes: g.groupTypes,
        visibility: g.groupTypes.includes('Unified') ? 'Private' : null,
      };
      this.groups.push(group);
      this.#groupsById.set(id, group);
    }
    for (const [i, d] of file.devices.entries()) {
      const id = d.id.toLowerCase();
      if (this.#usersById.has(id) || this.#groupsById.has(id) || this.#devicesById.has(id))
        throw new DirectoryError(`devices.${i}.id: ${id} appears twice`);
      const device: GraphDevice = {
        id,
        deviceId: d.deviceId?.toLowerCase() ?? null,
        displayName: d.displayName,
        operatingSystem: d.operatingSystem ?? null,
        operatingSystemVersion: d.operatingSystemVersion ?? null,
        accountEnabled: d.accountEnabled,
        trustType: d.trustType ?? null,
        isCompliant: d.isCompliant ?? null,
        isManaged: d.isManaged ?? null,
      };
      this.devices.push(device);
      this.#devicesById.set(id, device);
    }
    for (const [i, g] of file.groups.entries()) {
      const members = g.members.map((ref, j) => {
        const id = ref.includes('@') ? this.#usersByUpn.get(ref.toLowerCase())?.id : ref.toLowerCase();
        if (!id || !(this.#usersById.has(id) || this.#groupsById.has(id) || this.#devicesById.has(id)))
          throw new DirectoryError(`groups.${i}.members.${j}: no user, group or device "${ref}" in this directory`);
        return id;
      });
      const groupId = g.id.toLowerCase();
      const unique = [...new Set(members)];
      this.#members.set(groupId, unique);
      for (const m of unique) {
        const groups = this.#memberOf.get(m);
        if (groups) groups.push(groupId);
        else this.#memberOf.set(m, [groupId]);
      }
    }
  }

  /** By object id or userPrincipalName. */
  user(key: string): GraphUser | undefined {
    const k = key.toLowerCase();
    return this.#usersById.get(k) ?? this.#usersByUpn.get(k);
  }

  group(id: string): GraphGroup | undefined {
    return this.#groupsById.get(id.toLowerCase());
  }

  /** Direct members, users, groups and devices, in the file's order. */
  members(groupId: string): DirectoryObject[] {
    return (this.#members.get(groupId.toLowerCase()) ?? []).map((id) => this.#object(id));
  }

  /**
   * Every member reached through nesting, each once, depth first in the file's order (so the order is stable
   * from call to call). A group that contains itself, directly or further down, is not entered twice.
   */
  transitiveMembers(groupId: string): DirectoryObject[] {
    const root = groupId.toLowerCase();
    const cached = this.#transitiveMembers.get(root);
    if (cached) return cached;
    const seen = new Set<string>([root]);
    const out: DirectoryObject[] = [];
    const walk = (id: string) => {
      for (const m of this.#members.get(id) ?? []) {
        if (seen.has(m)) continue;
        seen.add(m);
        out.push(this.#object(m));
        if (this.#groupsById.has(m)) walk(m);
      }
    };
    walk(root);
    this.#transitiveMembers.set(root, out);
    return out;
  }

  /** Direct groups of a user or group. */
  memberOf(id: string): GraphGroup[] {
    return (this.#memberOf.get(id.toLowerCase()) ?? []).map((g) => this.#groupsById.get(g)!);
  }

  /** Every group a user or group is in, directly or through nesting, each once (breadth first). */
  transitiveMemberOf(id: string): GraphGroup[] {
    const start = id.toLowerCase();
    const cached = this.#transitiveMemberOf.get(start);
    if (cached) return cached;
    const seen = new Set<string>([start]);
    const out: GraphGroup[] = [];
    for (let queue = [start]; queue.length > 0;) {
      const next: string[] = [];
      for (const member of queue)
        for (const g of this.#memberOf.get(member) ?? []) {
          if (seen.has(g)) continue;
          seen.add(g);
          out.push(this.#groupsById.get(g)!);
          next.push(g);
        }
      queue = next;
    }
    this.#transitiveMemberOf.set(start, out);
    return out;
  }

  #object(id: string): DirectoryObject {
    const user = this.#usersById.get(id);
    if (user) return { kind: 'user', value: user };
    const device = this.#devicesById.get(id);
    return device ? { kind: 'device', value: device } : { kind: 'group', value: this.#groupsById.get(id)! };
  }
}
