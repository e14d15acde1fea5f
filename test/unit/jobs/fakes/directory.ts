/**
 * A directory in memory with core/directory's contract: a group's transitive member users (nested groups
 * followed, each user once per group), every user, page by page in a stable order; UnknownGroup for a
 * group it does not have. `failAfterPages` makes it fail the way Graph does after its own retries.
 */
import type { DirectoryUser, UsageRecord } from '../../../../core/audience.js';
import { UnknownGroup, type Directory } from '../../../../core/directory.js';

export class FakeDirectory implements Pick<Directory, 'groupMembers' | 'allUsers' | 'usage'> {
  pagesServed = 0;
  failAfterPages = Infinity;
  readonly #users: Map<string, DirectoryUser>;

  constructor(
    users: DirectoryUser[],
    /** Group id → member ids: users or other groups. */
    private readonly groups: Record<string, string[]> = {},
    private readonly pageSize = 100,
    private readonly usageReport = new Map<string, UsageRecord>(),
  ) {
    this.#users = new Map(users.map((u) => [u.id, u]));
  }

  async *groupMembers(_tenantId: string, groupId: string): AsyncIterable<DirectoryUser[]> {
    if (!this.groups[groupId]) throw new UnknownGroup(groupId);
    const found = new Map<string, DirectoryUser>();
    const visit = (id: string, path: Set<string>) => {
      if (this.groups[id]) {
        if (path.has(id)) return;
        for (const member of this.groups[id]) visit(member, new Set([...path, id]));
      } else if (this.#users.has(id)) found.set(id, this.#users.get(id)!);
    };
    visit(groupId, new Set());
    yield* this.#pages([...found.values()]);
  }

  allUsers(): AsyncIterable<DirectoryUser[]> {
    return this.#pages([...this.#users.values()]);
  }

  async usage(): Promise<Map<string, UsageRecord>> {
    return this.usageReport;
  }

  async *#pages(users: DirectoryUser[]): AsyncIterable<DirectoryUser[]> {
    for (let i = 0; i < users.length; i += this.pageSize) {
      if (this.pagesServed >= this.failAfterPages) throw new Error('Graph answered 503 after its retries');
      this.pagesServed++;
      yield users.slice(i, i + this.pageSize).map((u) => ({ ...u }));
    }
  }
}
