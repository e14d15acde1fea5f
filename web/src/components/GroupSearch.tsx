import { Button, Field, Input, makeStyles, Text, tokens } from '@fluentui/react-components';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useDebounced } from '../debounced';
import { ok, type Schemas } from '../api/client';
import { useSigned } from '../context';

export type Group = Schemas['GroupPage']['items'][number];

/** Typing pauses this long before the directory is searched. */
const PAUSE_MS = 400;
const PAGE = 10;

const useStyles = makeStyles({
  results: { listStyle: 'none', padding: 0, margin: 0, display: 'grid', gap: tokens.spacingVerticalXS },
  result: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalS },
});

/** Groups searched in the directory by the start of a word of their name (`/api/directory/groups`), each with Add. */
export function GroupSearch({ chosen, onAdd }: { chosen: readonly string[]; onAdd: (group: Group) => void }) {
  const styles = useStyles();
  const { api } = useSigned();
  const [search, setSearch] = useState('');
  const term = useDebounced(search.trim(), PAUSE_MS);
  const found = useInfiniteQuery({
    queryKey: ['directory', 'groups', 'search', term],
    queryFn: ({ pageParam }) =>
      ok(
        api.GET('/api/directory/groups', {
          params: { query: { search: term, pageSize: PAGE, ...(pageParam ? { continuation: pageParam } : {}) } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.continuation,
    enabled: !!term,
    // What the last search found stays while the next one is asked.
    placeholderData: keepPreviousData,
  });
  // Shown only while there is a search; a failed "More" keeps what was found.
  const results = search.trim()
    ? found.data || found.error
      ? { items: found.data?.pages.flatMap((p) => p.items) ?? [], error: found.error?.message }
      : undefined
    : undefined;

  return (
    <>
      <Field label="Search groups in the directory" hint="The start of a word of the group’s name" validationMessage={results?.error}>
        <Input value={search} onChange={(_, d) => setSearch(d.value)} type="search" />
      </Field>
      {results && (
        <ul className={styles.results} aria-label="Groups found">
          {results.items.length === 0 && !results.error && <li>No group matches.</li>}
          {results.items.map((g) => (
            <li key={g.id} className={styles.result}>
              <Button
                size="small"
                onClick={() => onAdd(g)}
                disabled={chosen.includes(g.id)}
                aria-label={`${chosen.includes(g.id) ? 'Added' : 'Add'} ${g.displayName}`}
              >
                {chosen.includes(g.id) ? 'Added' : 'Add'}
              </Button>
              <Text>{g.displayName}</Text>
              {g.description && <Text size={200}>{g.description}</Text>}
            </li>
          ))}
          {found.hasNextPage && (
            <li>
              <Button size="small" appearance="subtle" onClick={() => void found.fetchNextPage()}>
                More groups
              </Button>
            </li>
          )}
        </ul>
      )}
    </>
  );
}
