import { useQueries } from '@tanstack/react-query';
import { ok } from '../api/client';
import { useSigned } from '../context';

/**
 * Group ids as the directory names them ("All Staff, Paris office"); an id the directory does not know, or
 * while its name loads, shows as the id itself. A name is asked for once a session: a page lists the same
 * groups row after row.
 */
export function GroupNames({ ids }: { ids: readonly string[] }) {
  const { api } = useSigned();
  const names = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['directory', 'groups', id, 'name'],
      queryFn: () =>
        ok(api.GET('/api/directory/groups/{id}', { params: { path: { id } } })).then(
          (g) => g.displayName,
          () => id,
        ),
      staleTime: Infinity,
      gcTime: Infinity,
    })),
  });
  return <span title={ids.join(', ')}>{names.map((n, i) => n.data ?? ids[i]).join(', ')}</span>;
}
