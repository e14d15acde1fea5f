import {
  Button,
  makeStyles,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { ok, type Schemas } from '../api/client';
import { GroupNames } from '../components/GroupNames';
import { Problem } from '../components/Problem';
import { useSigned } from '../context';
import { LOCATION } from '../labels';

type Policy = Schemas['Policy'];
type Blocked = Schemas['BlockedDevice'];

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
  const [policies, setPolicies] = useState<Policy[]>();
  const [people, setPeople] = useState<{ items: Blocked[]; continuation?: string }>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    let live = true;
    ok(api.GET('/api/policies'))
      .then((list) => live && setPolicies(list.items.filter((p) => p.blocks.length > 0)))
      .catch((e: unknown) => live && (setError(e), setPolicies([])));
    ok(api.GET('/api/readiness/devices', { params: { query: { pageSize: 50 } } }))
      .then((page) => live && setPeople(page))
      .catch((e: unknown) => live && (setError(e), setPeople({ items: [] })));
    return () => {
      live = false;
    };
  }, [api]);

  const more = (continuation: string) =>
    ok(api.GET('/api/readiness/devices', { params: { query: { pageSize: 50, continuation } } }))
      .then((page) =>
        setPeople((p) => ({
          items: [...(p?.items ?? []), ...page.items],
          ...(page.continuation ? { continuation: page.continuation } : {}),
        })),
      )
      .catch(setError);

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
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Policy</TableHeaderCell>
                <TableHeaderCell>Groups</TableHeaderCell>
                <TableHeaderCell>Surface</TableHeaderCell>
                <TableHeaderCell>Why</TableHeaderCell>
              </TableRow>
            </TableHeader>
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
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Person</TableHeaderCell>
                <TableHeaderCell>Device</TableHeaderCell>
                <TableHeaderCell>Surface</TableHeaderCell>
                <TableHeaderCell>Why</TableHeaderCell>
                <TableHeaderCell>Last seen</TableHeaderCell>
              </TableRow>
            </TableHeader>
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
        {people?.continuation && <Button onClick={() => void more(people.continuation!)}>More people</Button>}
      </section>
    </section>
  );
}
