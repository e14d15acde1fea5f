import {
  Badge,
  Button,
  Dropdown,
  Field,
  makeStyles,
  Option,
  ProgressBar,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ok, type Schemas } from '../api/client';
import { ActivityCharts } from '../components/ActivityCharts';
import { CsvDownload } from '../components/CsvDownload';
import { DecisionDialog, type Decision } from '../components/DecisionDialog';
import { Preview } from '../components/Preview';
import { Columns } from '../components/Columns';
import { Problem } from '../components/Problem';
import { hasRole, useSigned } from '../context';
import { dateTime, LOCATION, OBJECTIVE, STATUS } from '../labels';
import { rowActions } from '../rowActions';

const useStyles = makeStyles({
  title: { margin: 0, fontSize: tokens.fontSizeBase600 },
  head: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'center', flexWrap: 'wrap', marginBottom: tokens.spacingVerticalL },
  section: { marginTop: tokens.spacingVerticalXXL },
  timeline: { listStyle: 'none', padding: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  counts: { display: 'flex', gap: tokens.spacingHorizontalXL, flexWrap: 'wrap' },
  pager: { display: 'flex', gap: tokens.spacingHorizontalM, marginTop: tokens.spacingVerticalS },
});

type Delivery = Schemas['DeliveryReport'];
type Recipient = Schemas['RecipientPage']['items'][number];
type RecipientStatus = Recipient['status'];
const RECIPIENT_STATUSES: RecipientStatus[] = ['pending', 'sending', 'sent', 'failed', 'throttled', 'cancelled', 'unconfirmed'];

const AUDIT_WORDS: Record<string, string> = {
  created: 'Created',
  modified: 'Modified',
  deleted: 'Deleted',
};

/** While a send runs, its progress is asked for again this often. */
const POLL_MS = 2000;

const running = (d: Delivery | undefined) => !!d?.occurrences.some((o) => o.state === 'resolving' || o.state === 'sending');

function DeliveryProgress({ id }: { id: string }) {
  const styles = useStyles();
  const { api } = useSigned();
  const { data: delivery, error } = useQuery({
    queryKey: ['messages', id, 'delivery'],
    queryFn: () => ok(api.GET('/api/messages/{id}/delivery', { params: { path: { id } } })),
    refetchInterval: ({ state: { data: d } }) => (d && (running(d) || d.status === 'Active' || d.status === 'Scheduled') ? POLL_MS : false),
  });
  if (error) return <Problem error={error} title="Delivery progress did not load" />;
  if (!delivery) return <Spinner size="small" label="Loading delivery…" />;
  if (delivery.pulled)
    return (
      <Text>
        {delivery.detail ?? 'Devices fetch this message from their inbox: there is nothing to send. Its activity shows who saw it.'}
      </Text>
    );
  if (delivery.occurrences.length === 0) return <Text>{delivery.detail ?? 'Nothing has been sent yet.'}</Text>;
  return (
    <>
      {delivery.occurrences.map((o) => {
        const done = o.sent + o.failed + o.cancelled;
        return (
          <div key={`${o.channel}-${o.occurrence}`} data-occurrence={o.occurrence} data-state={o.state}>
            <Text weight="semibold">
              {o.channel} · send {o.occurrence} ·{' '}
              <span aria-live="polite">
                {o.state === 'done'
                  ? 'Done'
                  : o.state === 'failed'
                    ? `Failed${o.reason ? `: ${o.reason}` : ''}`
                    : o.state === 'resolving'
                      ? 'Finding the audience…'
                      : 'Sending…'}
              </span>
            </Text>
            <ProgressBar
              value={o.recipients ? done / o.recipients : o.state === 'done' ? 1 : undefined}
              aria-label={`Send ${o.occurrence} progress`}
            />
            <div className={styles.counts}>
              <Text>{o.recipients} recipients</Text>
              <Text>{o.sent} sent</Text>
              <Text>{o.failed} failed</Text>
              <Text>{o.pending} pending</Text>
              <Text>{o.throttled} throttled</Text>
              <Text>{o.cancelled} cancelled</Text>
              {o.state === 'sending' && <Text>{o.perSecond.toFixed(1)} a second</Text>}
              {o.state === 'sending' && o.eta && <Text>done about {dateTime(o.eta)}</Text>}
            </div>
          </div>
        );
      })}
      {/* Asked again as the send moves on, so each person's status is current. */}
      <Recipients id={id} progress={delivery.occurrences.map((o) => `${o.state}:${o.sent + o.failed + o.cancelled}`).join()} />
    </>
  );
}

function Recipients({ id, progress }: { id: string; progress: string }) {
  const styles = useStyles();
  const { api } = useSigned();
  const [status, setStatus] = useState<RecipientStatus>();
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState(0);
  const continuation = pages[page];
  const { data, error } = useQuery({
    queryKey: ['messages', id, 'recipients', status, continuation, progress],
    queryFn: () =>
      ok(
        api.GET('/api/messages/{id}/delivery/recipients', {
          params: { path: { id }, query: { pageSize: 20, ...(status ? { status } : {}), ...(continuation ? { continuation } : {}) } },
        }),
      ),
    // The page shown stays while the send's next progress reads it again.
    placeholderData: keepPreviousData,
  });
  return (
    <section className={styles.section} aria-labelledby="recipients-title">
      <h3 id="recipients-title">Recipients</h3>
      <Field label="Status">
        <Dropdown
          value={status ?? 'Any'}
          selectedOptions={[status ?? '']}
          onOptionSelect={(_, d) => {
            setStatus((d.optionValue || undefined) as RecipientStatus | undefined);
            setPages([undefined]);
            setPage(0);
          }}
        >
          <Option value="">Any</Option>
          {RECIPIENT_STATUSES.map((s) => (
            <Option key={s} value={s}>
              {s}
            </Option>
          ))}
        </Dropdown>
      </Field>
      <Problem error={error} />
      <Table aria-label="Recipients" size="small">
        <Columns names={['Person', 'Status', 'Reason', 'Sent']} />
        <TableBody>
          {data?.items.map((r) => (
            <TableRow key={r.userId}>
              <TableCell>{r.name ?? r.upn}</TableCell>
              <TableCell>{r.status}</TableCell>
              <TableCell>{r.reason ?? ''}</TableCell>
              <TableCell>{dateTime(r.sentAt)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <nav className={styles.pager} aria-label="Recipient pages">
        <Button disabled={page === 0} onClick={() => setPage(page - 1)}>
          Previous
        </Button>
        <Button
          disabled={!data?.continuation}
          onClick={() => {
            setPages((p) => [...p.slice(0, page + 1), data?.continuation]);
            setPage(page + 1);
          }}
        >
          Next
        </Button>
      </nav>
    </section>
  );
}

function Activity({ id }: { id: string }) {
  const { api } = useSigned();
  const { data: report, error } = useQuery({
    queryKey: ['reports', 'activity', { messageId: id }],
    queryFn: () => ok(api.GET('/api/reports/activity', { params: { query: { messageId: id } } })),
  });
  if (error) return <Problem error={error} title="Activity did not load" />;
  if (!report) return <Spinner size="small" label="Loading activity…" />;
  return (
    <>
      <Text>
        Seen {report.totals.impressions} times, {report.totals.clicks} clicks ({(report.totals.clickThroughRate * 100).toFixed(1)}%
        click-through), from {report.from} to {report.to}.
      </Text>
      <ActivityCharts days={report.days} />
      <CsvDownload label="Download activity (CSV)" file={{ path: '/api/reports/activity.csv', query: { messageId: id } }} />
      <CsvDownload label="Download recipients (CSV)" file={{ path: '/api/messages/{id}/recipients.csv', id }} />
    </>
  );
}

/** One message: what it is, its status timeline from the audit trail, the decision, delivery progress and activity. */
export default function MessageDetail({ id }: { id: string }) {
  const styles = useStyles();
  const { api, account } = useSigned();
  const [deciding, setDeciding] = useState<Decision>();
  const params = { params: { path: { id } } };
  const read = useQuery({ queryKey: ['messages', id], queryFn: () => ok(api.GET('/api/messages/{id}', params)) });
  const trail = useQuery({
    queryKey: ['messages', id, 'audit'],
    queryFn: async () => (await ok(api.GET('/api/messages/{id}/audit', params))).items,
  });
  const message = read.data;
  const audit = trail.data;
  const error = read.error ?? trail.error;
  const queries = useQueryClient();
  if (error) return <Problem error={error} title="The message did not load" />;
  if (!message || !audit) return <Spinner label="Loading the message…" />;
  const actions = rowActions(message, account);
  const sent = ['Active', 'Delivered', 'Expired', 'Cancelled'].includes(message.status);
  return (
    <article aria-labelledby="message-title">
      <div className={styles.head}>
        <h1 id="message-title" className={styles.title}>
          {message.name ?? 'Untitled'}
        </h1>
        <Badge appearance="tint" aria-label={`Status ${STATUS[message.status]}`}>
          {STATUS[message.status]}
        </Badge>
        <Text>
          {message.objective ? OBJECTIVE[message.objective] : '—'} · {message.location ? LOCATION[message.location] : '—'} · by{' '}
          {message.createdBy.name}
        </Text>
        {actions.includes('approve') && (
          <>
            <Button appearance="primary" onClick={() => setDeciding('approve')}>
              Approve
            </Button>
            <Button onClick={() => setDeciding('reject')}>Reject</Button>
          </>
        )}
      </div>
      <Text>
        {message.content?.title} — {message.content?.body}
      </Text>
      <section className={styles.section} aria-labelledby="preview-title">
        <h2 id="preview-title">Preview</h2>
        <Preview draft={message} messageId={id} />
      </section>
      <section className={styles.section} aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <ol className={styles.timeline}>
          {[...audit].reverse().map((entry, i) => (
            <li key={i}>
              <Text>
                {dateTime(entry.at)} · {AUDIT_WORDS[entry.action] ?? entry.action[0]!.toUpperCase() + entry.action.slice(1)} by{' '}
                {entry.by.name} → {STATUS[entry.status]}
                {entry.comment ? `: “${entry.comment}”` : ''}
              </Text>
            </li>
          ))}
        </ol>
      </section>
      {sent && (
        <section className={styles.section} aria-labelledby="delivery-title">
          <h2 id="delivery-title">Delivery</h2>
          <DeliveryProgress id={id} />
        </section>
      )}
      {sent && hasRole(account, 'Reports.Read', 'Messages.Write') && (
        <section className={styles.section} aria-labelledby="activity-title">
          <h2 id="activity-title">Activity</h2>
          <Activity id={id} />
        </section>
      )}
      {deciding && (
        <DecisionDialog
          message={message}
          decision={deciding}
          onClose={(decided) => {
            setDeciding(undefined);
            if (decided) void queries.invalidateQueries({ queryKey: ['messages', id] });
          }}
        />
      )}
    </article>
  );
}
