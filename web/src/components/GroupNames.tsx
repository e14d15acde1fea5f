import { useEffect, useState } from 'react';
import { ok } from '../api/client';
import { useSigned } from '../context';

/** Names already asked for, by group id, for the whole session: a page lists the same groups row after row. */
const names = new Map<string, Promise<string>>();

/**
 * Group ids as the directory names them ("All Staff, Paris office"); an id the directory does not know, or
 * while its name loads, shows as the id itself.
 */
export function GroupNames({ ids }: { ids: readonly string[] }) {
  const { api } = useSigned();
  const [shown, setShown] = useState<string[]>([...ids]);
  const key = ids.join(',');
  useEffect(() => {
    let live = true;
    const each = ids.map((id) => {
      let name = names.get(id);
      if (!name) {
        name = ok(api.GET('/api/directory/groups/{id}', { params: { path: { id } } })).then(
          (g) => g.displayName,
          () => id,
        );
        names.set(id, name);
      }
      return name;
    });
    void Promise.all(each).then((found) => live && setShown(found));
    return () => {
      live = false;
    };
    // `key` stands for `ids`: a new array with the same ids must not ask again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key]);
  return <span title={ids.join(', ')}>{shown.join(', ')}</span>;
}
