import { Button, makeStyles, Spinner, Table, TableBody, TableCell, TableRow, Text, tokens } from '@fluentui/react-components';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { ok } from '../api/client';
import { policiesQuery } from '../api/queries';
import { GroupNames } from '../components/GroupNames';
import { Columns } from '../components/Columns';
import { Problem } from '../components/Problem';
import { useSigned } from '../context';
import { LOCATION } from '../labels';

const useStyles = makeStyles({
  title: { margin: `0 0 ${tokens.spacingVerticalL}`, fontSize: tokens.fontSizeBase600 },
  section: { marginBottom: tokens.spacingVerticalXXL },
});

/**
 * Who cannot receive on the Windows surfaces, and why: the groups whose delivery policies block a surface,
 * and the people the inbox turned away, for a policy or because their device does not meet the prerequisites.
 */
export default function Readiness() {
  const styles = useStyles();
  const { api } = useSigned();
  const blocking = useQuery({
    ...policiesQuery(api),
    select: (items) => items.filter((p) => p.blocks.length > 0),
  });
  const turnedAway = useInfiniteQuery({
    queryKey: ['readiness', 'devices'],
    queryFn: ({ pageParam }) =>
      ok(api.GET('/api/readiness/devices', { params: { query: { pageSize: 50, ...(pageParam ? { continuation: pageParam } : {}) } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.continuation,
  });
  const policies = blocking.isError ? [] : blocking.data;
  // A failed "More" keeps the pages shown; a failed first page shows the problem over an empty list.
  const people = turnedAway.data
    ? { items: turnedAway.data.pages.flatMap((p) => p.items) }
    : turnedAway.isError
      ? { items: [] }
      : undefined;
  const error = blocking.error ?? turnedAway.error;

  return (
    <section aria-labelledby="readiness-title">
      <h1 id="readiness-title" className={styles.title}>
        Readiness
      </h1>
      <Problem error={error} />
      <section className={styles.section} aria-labelledby="blocked-groups">
        <h2 id="blocked-groups">Groups a policy blocks</h2>
        {!policies ? (
          <Spinner label="Loading the policies…" />
        ) : policies.length === 0 ? (
          <Text>No delivery policy blocks a surface.</Text>
        ) : (
          <Table aria-label="Groups a policy blocks" size="small">
            <Columns names={['Policy', 'Groups', 'Surface', 'Why']} />
            <TableBody>
              {policies.flatMap((p) =>
                p.blocks.map((b) => (
                  <TableRow key={`${p.id}/${b.surface}`}>
                    <TableCell>{p.name}</TableCell>
                    <TableCell>
                      <GroupNames ids={p.groups} />
                    </TableCell>
                    <TableCell>{LOCATION[b.surface]}</TableCell>
                    <TableCell>{b.reason}</TableCell>
                  </TableRow>
                )),
              )}
            </TableBody>
          </Table>
        )}
      </section>
      <section aria-labelledby="blocked-people">
        <h2 id="blocked-people">People who cannot receive</h2>
        <Text block>As their devices last asked: a person is listed once a device of theirs polls the inbox.</Text>
        {!people ? (
          <Spinner label="Loading the people…" />
        ) : people.items.length === 0 ? (
          <Text>Nobody has been turned away.</Text>
        ) : (
          <Table aria-label="People who cannot receive" size="small">
            <Columns names={['Person', 'Device', 'Surface', 'Why', 'Last seen']} />
            <TableBody>
              {people.items.map((d) => (
                <TableRow key={`${d.userId}/${d.surface ?? d.deviceName ?? ''}`}>
                  <TableCell>{d.upn}</TableCell>
                  <TableCell>{d.surface ? '—' : (d.deviceName ?? 'unnamed')}</TableCell>
                  <TableCell>{d.surface ? LOCATION[d.surface] : 'All Windows surfaces'}</TableCell>
                  <TableCell>{d.reason}</TableCell>
                  <TableCell>{new Date(d.lastSeen).toLocaleString()}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        {turnedAway.hasNextPage && <Button onClick={() => void turnedAway.fetchNextPage()}>More people</Button>}
      </section>
    </section>
  );
}
