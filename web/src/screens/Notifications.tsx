import {
  Button,
  Field,
  Input,
  makeStyles,
  Radio,
  RadioGroup,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableRow,
  Text,
  Textarea,
  tokens,
} from '@fluentui/react-components';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, ok, type Schemas } from '../api/client';
import { Columns } from '../components/Columns';
import { Problem } from '../components/Problem';
import { hasRole, useSigned } from '../context';
import { dateTime } from '../labels';

const useStyles = makeStyles({
  title: { margin: `0 0 ${tokens.spacingVerticalL}`, fontSize: tokens.fontSizeBase600 },
  compose: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, maxWidth: '640px' },
  section: { marginTop: tokens.spacingVerticalXXL },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS },
});

/** The API's own limits (core/notification.ts LIMITS); the console counts toward them as the sender types. */
const TITLE_MAX = 50;
const BODY_MAX = 500;
/** core/notification.ts DEVICE_ID (that module brings zod, which the console does not load). */
const DEVICE_ID = /^[0-9a-f]{32}$/;

type Notification = Schemas['NotificationView'];

const listOf = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function DeviceStatuses({ id }: { id: string }) {
  const { api } = useSigned();
  const { data: page, error } = useQuery({
    queryKey: ['notifications', id, 'devices'],
    queryFn: () => ok(api.GET('/api/notifications/{id}/devices', { params: { path: { id }, query: { pageSize: 100 } } })),
  });
  if (error) return <Problem error={error} title="The devices did not load" />;
  if (!page) return <Spinner size="small" label="Loading each device’s status…" />;
  if (!page.items.length) return <Text>No device was targeted (yet: the groups may still be resolving).</Text>;
  return (
    <Table aria-label="Device status" size="small">
      <Columns names={['Device', 'Person', 'Platform', 'Status', 'Reason', 'Sent']} />
      <TableBody>
        {page.items.map((d) => (
          <TableRow key={d.deviceId}>
            <TableCell>{d.deviceId}</TableCell>
            <TableCell>{d.upn}</TableCell>
            <TableCell>{d.platform}</TableCell>
            <TableCell>{d.status}</TableCell>
            <TableCell>{d.reason ?? '—'}</TableCell>
            <TableCell>{dateTime(d.sentAt)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** Custom notifications: compose with live counters and the hour's allowance in view, the history, each device's status, resend. */
export default function Notifications() {
  const styles = useStyles();
  const { api, account } = useSigned();
  const mayGroups = hasRole(account, 'Notifications.Send.Groups');
  const mayDevice = hasRole(account, 'Notifications.Send.Device');
  const [target, setTarget] = useState<'groups' | 'device'>(mayGroups ? 'groups' : 'device');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [groups, setGroups] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [sendError, setSendError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string>();
  const [open, setOpen] = useState<string>();
  // A device's own hourly limit is asked for once its id is whole.
  const device = target === 'device' && DEVICE_ID.test(deviceId.trim()) ? deviceId.trim() : undefined;
  const allowed = useQuery({
    queryKey: ['notifications', 'allowance', device],
    queryFn: () => ok(api.GET('/api/notifications/allowance', { params: { query: device ? { deviceId: device } : {} } })),
    // The figure shown stays until the new device's comes.
    placeholderData: keepPreviousData,
  });
  const sentBefore = useQuery({
    queryKey: ['notifications', 'history'],
    queryFn: async () => (await ok(api.GET('/api/notifications', { params: { query: { pageSize: 50 } } }))).items,
  });
  const allowance = allowed.data;
  const history = sentBefore.data;
  const error = allowed.error ?? sentBefore.error;
  const queries = useQueryClient();

  async function send(call: () => Promise<Notification>) {
    setBusy(true);
    setSendError(undefined);
    setSent(undefined);
    try {
      const n = await call();
      setSent(`Sent “${n.title}”.`);
      await queries.invalidateQueries({ queryKey: ['notifications'] });
    } catch (e) {
      setSendError(e);
    } finally {
      setBusy(false);
    }
  }

  const compose = () =>
    send(() =>
      ok(
        api.POST('/api/notifications', {
          body: { title, body, ...(target === 'groups' ? { groups: listOf(groups) } : { deviceId: deviceId.trim() }) },
        }),
      ),
    );
  const resend = (id: string) => send(() => ok(api.POST('/api/notifications/{id}/resend', { params: { path: { id } } })));
  const fieldError = (path: string) => (sendError instanceof ApiError ? sendError.field(path) : undefined);
  const unnamed = sendError instanceof ApiError && sendError.errors.length > 0 ? undefined : sendError;

  return (
    <section aria-labelledby="notifications-title">
      <h1 id="notifications-title" className={styles.title}>
        Custom notifications
      </h1>
      <Problem error={error} title="The notifications did not load" />
      <form
        className={styles.compose}
        aria-label="Compose a notification"
        onSubmit={(e) => {
          e.preventDefault();
          void compose();
        }}
      >
        <Field
          label="Title"
          required
          validationMessage={fieldError('title')}
          hint={`${title.length} of ${TITLE_MAX} characters`}
          validationState={title.length > TITLE_MAX ? 'error' : undefined}
        >
          <Input value={title} onChange={(_, d) => setTitle(d.value)} />
        </Field>
        <Field
          label="Body"
          required
          validationMessage={fieldError('body')}
          hint={`${body.length} of ${BODY_MAX} characters`}
          validationState={body.length > BODY_MAX ? 'error' : undefined}
        >
          <Textarea value={body} onChange={(_, d) => setBody(d.value)} rows={4} />
        </Field>
        <Field label="Send to">
          <RadioGroup value={target} onChange={(_, d) => setTarget(d.value as 'groups' | 'device')} layout="horizontal">
            <Radio value="groups" label="Groups" disabled={!mayGroups} />
            <Radio value="device" label="One device" disabled={!mayDevice} />
          </RadioGroup>
        </Field>
        {target === 'groups' ? (
          <Field
            label="Groups (Entra object ids, comma-separated)"
            validationMessage={fieldError('groups')}
            hint="Every enrolled iOS and Android device of their members"
          >
            <Input value={groups} onChange={(_, d) => setGroups(d.value)} />
          </Field>
        ) : (
          <Field label="Device id" validationMessage={fieldError('deviceId')}>
            <Input value={deviceId} onChange={(_, d) => setDeviceId(d.value)} />
          </Field>
        )}
        <Text role="status" aria-label="Allowance">
          {allowance
            ? target === 'groups'
              ? `${allowance.groups.remaining} of ${allowance.groups.limit} group notifications left this hour` +
                (allowance.groups.remaining === 0 && allowance.groups.freesAt ? `; the next at ${dateTime(allowance.groups.freesAt)}` : '')
              : allowance.device
                ? `${allowance.device.remaining} of ${allowance.device.limit} notifications left this hour for this device`
                : 'Type the device id to see what is left of its hourly limit'
            : 'Reading this hour’s allowance…'}
        </Text>
        <Problem error={unnamed} title="The notification was not sent" />
        {sent && <Text role="status">{sent}</Text>}
        <div className={styles.actions}>
          <Button type="submit" appearance="primary" disabled={busy || title.length > TITLE_MAX || body.length > BODY_MAX}>
            {busy ? 'Sending…' : 'Send'}
          </Button>
        </div>
      </form>

      <section className={styles.section} aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        {!history ? (
          <Spinner label="Loading the history…" />
        ) : history.length === 0 ? (
          <Text>Nothing has been sent yet.</Text>
        ) : (
          <Table aria-label="Notifications sent" size="small">
            <Columns names={['Title', 'Sent by', 'When', 'To', 'Status', 'Devices', 'Sent', 'Failed', 'Opened', 'Actions']} />
            <TableBody>
              {history.map((n) => (
                <TableRow key={n.id}>
                  <TableCell>
                    {n.title}
                    {n.resendOf ? ' (resent)' : ''}
                  </TableCell>
                  <TableCell>{n.sentBy.name}</TableCell>
                  <TableCell>{dateTime(n.sentAt)}</TableCell>
                  <TableCell>{n.groups ? `${n.groups.length} group${n.groups.length > 1 ? 's' : ''}` : 'one device'}</TableCell>
                  <TableCell>
                    {n.status}
                    {n.reason ? `: ${n.reason}` : ''}
                  </TableCell>
                  <TableCell>{n.devices}</TableCell>
                  <TableCell>{n.sent}</TableCell>
                  <TableCell>{n.failed}</TableCell>
                  <TableCell>{n.opened}</TableCell>
                  <TableCell>
                    <div className={styles.actions}>
                      <Button size="small" onClick={() => setOpen(open === n.id ? undefined : n.id)} aria-expanded={open === n.id}>
                        Device status
                      </Button>
                      <Button size="small" disabled={busy} onClick={() => void resend(n.id)}>
                        Resend
                      </Button>
                    </div>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        {open && (
          <section className={styles.section} aria-label={`Devices of ${history?.find((n) => n.id === open)?.title ?? 'the notification'}`}>
            <DeviceStatuses key={open} id={open} />
          </section>
        )}
      </section>
    </section>
  );
}
