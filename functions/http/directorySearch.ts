/**
 * `GET /api/directory/groups?search=` (writers and admins): the groups the wizard's audience step and the
 * delivery policies page offer, searched in the organisation's directory (Microsoft Graph) by the start of a
 * word of their name, page by page; `GET /api/directory/groups/{id}`: one group's name, for pages that hold ids.
 */
import type { z } from 'zod';
import { directory, InvalidSkipToken } from '../../adapters/services/graphDirectory.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { DirectoryGroup, GroupPage, GroupSearchParams } from './schemas/policySchemas.js';

route({
  name: 'directoryGroups',
  route: 'directory/groups',
  tag: 'messages',
  method: 'GET',
  operationId: 'searchGroups',
  summary: 'Search the directory’s groups for an audience',
  description:
    'Groups with a word of their display name starting with `search` (case does not matter), as the directory orders them. ' +
    'Follow `continuation` for the next page. Messages.Write (audiences) or Tenant.Admin (delivery policies).',
  role: 'directory.search',
  query: GroupSearchParams,
  response: { status: 200, description: 'One page of groups.', schema: GroupPage },
  problems: ['validation'],
  handler: async ({ caller, query }) => {
    const { search, pageSize, continuation } = query();
    const { groups, next } = await directory()
      .searchGroups(caller.tenantId, search, pageSize, continuation)
      .catch((error: unknown) => {
        if (error instanceof InvalidSkipToken)
          throw new Problem('validation', error.message, [{ path: 'continuation', message: 'is not a token this API handed out' }]);
        throw error;
      });
    const body: z.output<typeof GroupPage> = { items: groups, ...(next ? { continuation: next } : {}) };
    return { jsonBody: body };
  },
});

route({
  name: 'directoryGroup',
  route: 'directory/groups/{id}',
  tag: 'messages',
  params: { id: 'The group’s Entra object id.' },
  method: 'GET',
  operationId: 'getGroup',
  summary: 'One directory group’s name',
  description:
    'The group’s display name and description, so a page that stores group ids (audiences, delivery policies) can show names. ' +
    '404 when the directory has no such group. Messages.Write or Tenant.Admin.',
  role: 'directory.search',
  response: { status: 200, description: 'The group.', schema: DirectoryGroup },
  problems: ['not-found'],
  handler: async ({ caller, params }) => {
    const group = await directory().group(caller.tenantId, params.id);
    if (!group) throw new Problem('not-found', `the directory has no group ${params.id}`);
    const body: z.output<typeof DirectoryGroup> = group;
    return { jsonBody: body };
  },
});
