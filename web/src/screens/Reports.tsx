import {
  Dropdown,
  Field,
  Input,
  makeStyles,
  Option,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ok, type Location, type MessageStatus, type Objective } from '../api/client';
import { ActivityCharts } from '../components/ActivityCharts';
import { CsvDownload } from '../components/CsvDownload';
import { Columns } from '../components/Columns';
import { Problem } from '../components/Problem';
import { hasRole, useSigned } from '../context';
import { keys, LOCATION, OBJECTIVE, percent, STATUS } from '../labels';

const useStyles = makeStyles({
  title: { margin: `0 0 ${tokens.spacingVerticalL}`, fontSize: tokens.fontSizeBase600 },
  bar: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'end', flexWrap: 'wrap', marginBottom: tokens.spacingVerticalL },
  section: { marginTop: tokens.spacingVerticalXXL },
  number: { textAlign: 'right' },
});

interface Filters {
  from: string;
  to: string;
  status?: MessageStatus;
  location?: Location;
  objective?: Objective;
}

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

function Choice<K extends string>(props: { label: string; options: Record<K, string>; value?: K; onChange: (v: K | undefined) => void }) {
  return (
    <Field label={props.label}>
      <Dropdown
        value={props.value ? props.options[props.value] : 'Any'}
        selectedOptions={[props.value ?? '']}
        onOptionSelect={(_, d) => props.onChange((d.optionValue || undefined) as K | undefined)}
      >
        <Option value="">Any</Option>
        {keys(props.options).map((k) => (
          <Option key={k} value={k}>
            {props.options[k]}
          </Option>
        ))}
      </Dropdown>
    </Field>
  );
}

/** The activity report: seen, clicks and click-through rate per day over a date range, the messages' figures, and the CSV exports. */
export default function Reports() {
  const styles = useStyles();
  const { api, account } = useSigned();
  const [filters, setFilters] = useState<Filters>({ from: day(-29), to: day(0) });
  const { from, to, ...rest } = filters;
  const query = { ...rest, ...(from ? { from } : {}), ...(to ? { to } : {}) };
  const activity = useQuery({
    queryKey: ['reports', 'activity', filters],
    queryFn: () => ok(api.GET('/api/reports/activity', { params: { query: filters } })),
  });
  const listsMessages = hasRole(account, 'Messages.Write', 'Messages.Approve');
  const { status, location, objective } = filters;
  const list = useQuery({
    queryKey: ['messages', 'list', { status, location, objective }, 'reports'],
    queryFn: async () =>
      (
        await ok(
          api.GET('/api/messages', {
            params: {
              query: {
                pageSize: 100,
                ...(status ? { status } : {}),
                ...(location ? { location } : {}),
                ...(objective ? { objective } : {}),
              },
            },
          }),
        )
      ).items,
    enabled: listsMessages,
  });
  const shown = activity.data;
  const messages = list.data;
  const error = activity.error ?? list.error;

  return (
    <section aria-labelledby="reports-title">
      <h1 id="reports-title" className={styles.title}>
        Activity
      </h1>
      <search className={styles.bar}>
        <Field label="From">
          <Input type="date" value={filters.from} onChange={(_, d) => setFilters((f) => ({ ...f, from: d.value }))} />
        </Field>
        <Field label="To">
          <Input type="date" value={filters.to} onChange={(_, d) => setFilters((f) => ({ ...f, to: d.value }))} />
        </Field>
        <Choice label="Status" options={STATUS} value={filters.status} onChange={(status) => setFilters((f) => ({ ...f, status }))} />
        <Choice
          label="Location"
          options={LOCATION}
          value={filters.location}
          onChange={(location) => setFilters((f) => ({ ...f, location }))}
        />
        <Choice
          label="Objective"
          options={OBJECTIVE}
          value={filters.objective}
          onChange={(objective) => setFilters((f) => ({ ...f, objective }))}
        />
      </search>
      <Problem error={error} />
      {!shown ? (
        <Spinner label="Loading activity…" />
      ) : (
        <>
          <Text>
            {shown.messages} messages seen {shown.totals.impressions} times, {shown.totals.clicks} clicks (
            {percent(shown.totals.clickThroughRate)} click-through), {shown.from} to {shown.to} ({shown.timeZone}).
          </Text>
          <ActivityCharts days={shown.days} />
        </>
      )}
      <div className={styles.bar}>
        <CsvDownload label="Download activity (CSV)" file={{ path: '/api/reports/activity.csv', query: query as Record<string, string> }} />
      </div>
      {listsMessages && (
        <section className={styles.section} aria-labelledby="report-messages-title">
          <h2 id="report-messages-title">Messages</h2>
          {!messages ? (
            <Spinner size="small" label="Loading messages…" />
          ) : (
            <Table aria-label="Messages and their activity" size="small">
              <Columns
                names={['Name', 'Status', 'Seen', 'Clicks', 'Click-through rate', 'Recipients']}
                numeric={['Seen', 'Clicks', 'Click-through rate']}
              />
              <TableBody>
                {messages.map((m) => (
                  <TableRow key={m.id}>
                    <TableCell>{m.name ?? 'Untitled'}</TableCell>
                    <TableCell>{STATUS[m.status]}</TableCell>
                    <TableCell className={styles.number}>{m.activity?.seen ?? 0}</TableCell>
                    <TableCell className={styles.number}>{m.activity?.clicks ?? 0}</TableCell>
                    <TableCell className={styles.number}>{percent(m.activity?.clickThroughRate ?? 0)}</TableCell>
                    <TableCell>
                      <CsvDownload
                        label={`Recipients of ${m.name ?? 'Untitled'} (CSV)`}
                        file={{ path: '/api/messages/{id}/recipients.csv', id: m.id }}
                      />
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </section>
      )}
    </section>
  );
}
