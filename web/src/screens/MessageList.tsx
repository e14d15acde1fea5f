import {
  Button,
  Dropdown,
  Field,
  Input,
  makeStyles,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  Option,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableRow,
  Text,
  tokens,
  Link,
} from '@fluentui/react-components';
import { useQuery } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { acted, ok, type Location, type Message, type MessageStatus, type Objective } from '../api/client';
import { DecisionDialog, type Decision } from '../components/DecisionDialog';
import { Columns } from '../components/Columns';
import { Problem } from '../components/Problem';
import { useSigned } from '../context';
import { dateTime, keys, LOCATION, OBJECTIVE, percent, STATUS } from '../labels';
import { navigate } from '../router';
import { ACTION_LABEL, rowActions, type RowAction } from '../rowActions';

const useStyles = makeStyles({
  bar: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'end', flexWrap: 'wrap', marginBottom: tokens.spacingVerticalL },
  title: { flexGrow: 1, margin: 0, fontSize: tokens.fontSizeBase600 },
  pager: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'center', marginTop: tokens.spacingVerticalM },
  number: { textAlign: 'right' },
});

const PAGE_SIZE = 25;

interface Filters {
  status?: MessageStatus;
  location?: Location;
  objective?: Objective;
  name?: string;
}

function FilterDropdown<K extends string>({
  label,
  options,
  value,
  onChange,
}: {
  label: string;
  options: Record<K, string>;
  value: K | undefined;
  onChange: (value: K | undefined) => void;
}) {
  return (
    <Field label={label}>
      <Dropdown
        value={value ? options[value] : 'Any'}
        selectedOptions={[value ?? '']}
        onOptionSelect={(_, d) => onChange((d.optionValue || undefined) as K | undefined)}
      >
        <Option value="">Any</Option>
        {keys(options).map((k) => (
          <Option key={k} value={k}>
            {options[k]}
          </Option>
        ))}
      </Dropdown>
    </Field>
  );
}

/** Manage messages: newest first, filtered and paged by the API (continuation tokens), each row's actions as its status allows. */
export function MessageList() {
  const styles = useStyles();
  const { api, account } = useSigned();
  const [filters, setFilters] = useState<Filters>({});
  const [name, setName] = useState('');
  // The continuation of each page shown so far: page n is fetched with pages[n].
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState(0);
  const [actionError, setError] = useState<unknown>();
  const [deciding, setDeciding] = useState<{ message: Message; decision: Decision }>();
  // A lifecycle action under way: the lifecycle may take a few seconds on a busy host (the API's 202).
  const [working, setWorking] = useState<string>();

  const continuation = pages[page];
  const list = useQuery({
    queryKey: ['messages', 'list', filters, continuation],
    queryFn: ({ signal }) =>
      ok(
        api.GET('/api/messages', {
          params: { query: { ...filters, pageSize: PAGE_SIZE, ...(continuation ? { continuation } : {}) } },
          signal,
        }),
      ),
  });
  const items = list.isError ? [] : list.data?.items;
  const next = list.data?.continuation;
  const error = actionError ?? list.error;
  const reload = () => void list.refetch();

  const filter = useCallback((change: Partial<Filters>) => {
    setFilters((f) => ({ ...f, ...change }));
    setPages([undefined]);
    setPage(0);
  }, []);

  const act = async (message: Message, action: RowAction) => {
    const params = { path: { id: message.id } };
    setError(undefined);
    try {
      switch (action) {
        case 'modify':
          return navigate(`/messages/${message.id}/edit`);
        case 'approve':
        case 'reject':
          return setDeciding({ message, decision: action });
        case 'copy': {
          const copy = await ok(api.POST('/api/messages/{id}/copy', { params }));
          return navigate(`/messages/${copy.id}/edit`);
        }
        case 'delete':
          if (!window.confirm(`Delete “${message.name ?? 'Untitled'}”? This cannot be undone.`)) return;
          await ok(api.DELETE('/api/messages/{id}', { params }));
          break;
        case 'cancel':
        case 'submit':
        case 'send':
        case 'withdraw':
          if (action === 'cancel' && !window.confirm(`Cancel “${message.name ?? 'Untitled'}”? Nobody else will receive it.`)) return;
          setWorking(`${ACTION_LABEL[action]}: “${message.name ?? 'Untitled'}”…`);
          await acted(api, api.POST(`/api/messages/{id}/${action}`, { params }));
          break;
      }
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setWorking(undefined);
    }
  };

  return (
    <section aria-labelledby="messages-title">
      <div className={styles.bar}>
        <h1 id="messages-title" className={styles.title}>
          Messages
        </h1>
        {account.roles.includes('Messages.Write') && (
          <Button appearance="primary" onClick={() => navigate('/messages/new')}>
            New message
          </Button>
        )}
      </div>
      <search className={styles.bar}>
        <FilterDropdown label="Status" options={STATUS} value={filters.status} onChange={(status) => filter({ status })} />
        <FilterDropdown label="Location" options={LOCATION} value={filters.location} onChange={(location) => filter({ location })} />
        <FilterDropdown label="Objective" options={OBJECTIVE} value={filters.objective} onChange={(objective) => filter({ objective })} />
        <form
          onSubmit={(e) => {
            e.preventDefault();
            filter({ name: name.trim() || undefined });
          }}
        >
          <Field label="Name starts with">
            <Input type="search" value={name} onChange={(_, d) => setName(d.value)} />
          </Field>
        </form>
      </search>
      <Problem error={error} />
      {working && <Spinner size="tiny" label={working} />}
      <Table aria-label="Messages" size="small">
        <Columns
          names={['Name', 'Status', 'Location', 'Objective', 'Seen', 'Clicks', 'Click-through rate', 'Start', 'End', 'Actions']}
          numeric={['Seen', 'Clicks', 'Click-through rate']}
        />
        <TableBody>
          {items?.map((m) => {
            const actions = rowActions(m, account);
            return (
              <TableRow key={m.id}>
                <TableCell>
                  <Link
                    href={`/messages/${m.id}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(`/messages/${m.id}`);
                    }}
                  >
                    {m.name ?? 'Untitled'}
                  </Link>
                </TableCell>
                <TableCell>{STATUS[m.status]}</TableCell>
                <TableCell>{m.location ? LOCATION[m.location] : '—'}</TableCell>
                <TableCell>{m.objective ? OBJECTIVE[m.objective] : '—'}</TableCell>
                <TableCell className={styles.number}>{m.activity?.seen ?? 0}</TableCell>
                <TableCell className={styles.number}>{m.activity?.clicks ?? 0}</TableCell>
                <TableCell className={styles.number}>{percent(m.activity?.clickThroughRate ?? 0)}</TableCell>
                <TableCell>{dateTime(m.schedule?.start)}</TableCell>
                <TableCell>{dateTime(m.schedule?.end)}</TableCell>
                <TableCell>
                  {actions.length > 0 && (
                    <Menu>
                      <MenuTrigger disableButtonEnhancement>
                        <Button size="small" aria-label={`Actions for ${m.name ?? 'Untitled'}`}>
                          Actions
                        </Button>
                      </MenuTrigger>
                      <MenuPopover>
                        <MenuList>
                          {actions.map((a) => (
                            <MenuItem key={a} onClick={() => void act(m, a)}>
                              {ACTION_LABEL[a]}
                            </MenuItem>
                          ))}
                        </MenuList>
                      </MenuPopover>
                    </Menu>
                  )}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
      {!items && <Spinner label="Loading messages…" />}
      {items?.length === 0 && !error && <Text>No messages match.</Text>}
      <nav className={styles.pager} aria-label="Pages">
        <Button disabled={page === 0} onClick={() => setPage(page - 1)}>
          Previous
        </Button>
        <Text>Page {page + 1}</Text>
        <Button
          disabled={!next}
          onClick={() => {
            setPages((p) => [...p.slice(0, page + 1), next]);
            setPage(page + 1);
          }}
        >
          Next
        </Button>
      </nav>
      {deciding && (
        <DecisionDialog
          message={deciding.message}
          decision={deciding.decision}
          onClose={(decided) => {
            setDeciding(undefined);
            if (decided) reload();
          }}
        />
      )}
    </section>
  );
}
