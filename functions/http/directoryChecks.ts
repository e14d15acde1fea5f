/**
 * An audience is checked against the directory when it is submitted, approved and sent, so a message naming
 * a group, company, department or location the organisation does not have is refused at once (400 naming
 * each one) instead of failing at delivery. A directory that does not answer is a 503 (core/outage.ts); one
 * that will not say (Herald may not read it) lets the message through, and delivery fails it at once.
 */
import { directory } from '../../adapters/services/graphDirectory.js';
import { audienceLookups, unknownInDirectory, type DirectoryLookup } from '../../core/directory.js';
import { Problem } from './problem.js';

/** Lookups at once: a message names at most a few hundred, and Graph paces the rest. */
const AT_ONCE = 8;

/** False only when the directory says there is no such thing; when it will not say, delivery judges. */
const exists = async (tenantId: string, lookup: DirectoryLookup): Promise<boolean> => {
  if (lookup.kind === 'group') return (await directory().hasGroup(tenantId, lookup.value)) !== false;
  for (const attribute of lookup.attributes) if ((await directory().hasUserWith(tenantId, attribute, lookup.value)) !== false) return true;
  return false;
};

/**
 * Throws a validation Problem naming each group, company, department and location the directory lacks, at
 * `<under>.groups[i]`…: a message's audience is under `audience`, a notification's groups are top-level (`''`).
 */
export async function requireKnownAudience(
  tenantId: string,
  audience: Parameters<typeof audienceLookups>[0] | undefined,
  under = 'audience',
): Promise<void> {
  const lookups = audienceLookups(audience ?? {});
  const known: boolean[] = [];
  for (let i = 0; i < lookups.length; i += AT_ONCE)
    known.push(...(await Promise.all(lookups.slice(i, i + AT_ONCE).map((lookup) => exists(tenantId, lookup)))));
  const problems = lookups
    .filter((_, i) => !known[i])
    .map(unknownInDirectory)
    .map((p) => ({ ...p, path: p.path.replace(/^audience\./, under ? `${under}.` : '') }));
  if (problems.length > 0) throw new Problem('validation', problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
}
