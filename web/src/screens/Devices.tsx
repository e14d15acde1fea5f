import { Button, Field, Input, makeStyles, Spinner, Table, TableBody, TableCell, TableRow, Text, tokens } from '@fluentui/react-components';
import { useState } from 'react';
import { ok, type Schemas } from '../api/client';
import { Columns } from '../components/Columns';
import { Problem } from '../components/Problem';
import { useSigned } from '../context';
import { dateTime } from '../labels';

const useStyles = makeStyles({
  title: { margin: `0 0 ${tokens.spacingVerticalL}`, fontSize: tokens.fontSizeBase600 },
  find: { display: 'flex', alignItems: 'flex-end', gap: tokens.spacingHorizontalM, marginBottom: tokens.spacingVerticalL },
});

/** A person's registered devices, for the admin working out why someone gets no notifications. */
export default function Devices() {
  const styles = useStyles();
  const { api } = useSigned();
  const [userId, setUserId] = useState('');
  const [shown, setShown] = useState<{ userId: string; items: Schemas['DeviceView'][] }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function find() {
    setBusy(true);
    setError(undefined);
    try {
      const id = userId.trim();
      setShown({ userId: id, ...(await ok(api.GET('/api/users/{userId}/devices', { params: { path: { userId: id } } }))) });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title" className={styles.title}>
        A person’s devices
      </h1>
      <form
        className={styles.find}
        onSubmit={(e) => {
          e.preventDefault();
          void find();
        }}
      >
        <Field label="Person (Entra object id)">
          <Input value={userId} onChange={(_, d) => setUserId(d.value)} />
        </Field>
        <Button type="submit" appearance="primary" disabled={busy || !userId.trim()}>
          Show devices
        </Button>
      </form>
      <Problem error={error} title="The devices did not load" />
      {busy && <Spinner size="small" label="Loading the devices…" />}
      {shown &&
        (shown.items.length === 0 ? (
          <Text>{shown.userId} has no device registered.</Text>
        ) : (
          <Table aria-label={`Devices of ${shown.userId}`} size="small">
            <Columns names={['Device', 'Platform', 'App', 'Enrolled', 'Receives notifications', 'Registered', 'Push token']} />
            <TableBody>
              {shown.items.map((d) => (
                <TableRow key={d.id}>
                  <TableCell>{d.id}</TableCell>
                  <TableCell>{d.platform}</TableCell>
                  <TableCell>
                    {d.app === 'intune' ? 'Intune' : 'Company Portal'} {d.appVersion}
                  </TableCell>
                  <TableCell>{d.enrolled ? 'yes' : 'no'}</TableCell>
                  <TableCell>{d.receivesNotifications ? 'yes' : 'no'}</TableCell>
                  <TableCell>{dateTime(d.registeredAt)}</TableCell>
                  <TableCell>
                    {d.staleSince ? `dead since ${dateTime(d.staleSince)} (${d.staleReason ?? 'unregistered'})` : 'live'}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ))}
    </section>
  );
}
