import { Button, Field, Input, makeStyles, Text, tokens } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
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
  const [found, setFound] = useState<{ items: Group[]; continuation?: string; error?: string }>();
  // What an earlier search found stays in state; it is shown only while there is a search.
  const results = search.trim() ? found : undefined;

  useEffect(() => {
    const term = search.trim();
    if (!term) return;
    let live = true;
    const timer = setTimeout(() => {
      ok(api.GET('/api/directory/groups', { params: { query: { search: term, pageSize: PAGE } } }))
        .then((page) => live && setFound(page))
        .catch((e: Error) => live && setFound({ items: [], error: e.message }));
    }, PAUSE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, search]);

  const more = (continuation: string) =>
    ok(api.GET('/api/directory/groups', { params: { query: { search: search.trim(), pageSize: PAGE, continuation } } }))
      .then((page) =>
        setFound((f) => ({
          items: [...(f?.items ?? []), ...page.items],
          ...(page.continuation ? { continuation: page.continuation } : {}),
        })),
      )
      .catch((e: Error) => setFound((f) => ({ items: f?.items ?? [], error: e.message })));

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
          {results.continuation && (
            <li>
              <Button size="small" appearance="subtle" onClick={() => void more(results.continuation!)}>
                More groups
              </Button>
            </li>
          )}
        </ul>
      )}
    </>
  );
}
