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
  Link,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { URGENT_REVIEW_MS } from '../../../core/lifecycle';
import { ok, type Message } from '../api/client';
import { DecisionDialog, type Decision } from '../components/DecisionDialog';
import { Problem } from '../components/Problem';
import { useSigned } from '../context';
import { dateTime, LOCATION, OBJECTIVE } from '../labels';
import { navigate } from '../router';

const useStyles = makeStyles({
  title: { margin: `0 0 ${tokens.spacingVerticalL}`, fontSize: tokens.fontSizeBase600 },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS },
});

/** When the lifecycle rejects a message nobody reviewed: at its end, or a day after an urgent one asked (workflows/messageLifecycle.ts). */
const autoRejectAt = (m: Message) => (m.urgent ? new Date(Date.parse(m.updatedAt) + URGENT_REVIEW_MS).toISOString() : m.schedule?.end);

/** Messages waiting for the signed-in approver: every message pending approval but their own. */
export default function Approvals() {
  const styles = useStyles();
  const { api, account } = useSigned();
  const [items, setItems] = useState<Message[]>();
  const [error, setError] = useState<unknown>();
  const [deciding, setDeciding] = useState<{ message: Message; decision: Decision }>();
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    (async () => {
      const waiting: Message[] = [];
      let continuation: string | undefined;
      do {
        const page = await ok(
          api.GET('/api/messages', {
            params: { query: { status: 'PendingApproval', pageSize: 100, ...(continuation ? { continuation } : {}) } },
          }),
        );
        waiting.push(...page.items.filter((m) => m.createdBy.id !== account.userId));
        continuation = page.continuation;
      } while (continuation && live);
      if (live) setItems(waiting);
    })().catch((e: unknown) => live && (setError(e), setItems([])));
    return () => {
      live = false;
    };
  }, [api, account.userId, reload]);

  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title" className={styles.title}>
        Waiting for your approval
      </h1>
      <Problem error={error} />
      {!items ? (
        <Spinner label="Loading messages waiting for approval…" />
      ) : items.length === 0 ? (
        <Text>Nothing is waiting for you.</Text>
      ) : (
        <Table aria-label="Messages waiting for approval" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Written by</TableHeaderCell>
              <TableHeaderCell>Location</TableHeaderCell>
              <TableHeaderCell>Objective</TableHeaderCell>
              <TableHeaderCell>Starts</TableHeaderCell>
              <TableHeaderCell>Rejected automatically</TableHeaderCell>
              <TableHeaderCell>Decide</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((m) => (
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
                  {m.urgent ? ' (urgent)' : ''}
                </TableCell>
                <TableCell>{m.createdBy.name}</TableCell>
                <TableCell>{m.location ? LOCATION[m.location] : '—'}</TableCell>
                <TableCell>{m.objective ? OBJECTIVE[m.objective] : '—'}</TableCell>
                <TableCell>{dateTime(m.schedule?.start)}</TableCell>
                <TableCell>{dateTime(autoRejectAt(m))} if nobody decides</TableCell>
                <TableCell>
                  <div className={styles.actions}>
                    <Button size="small" appearance="primary" onClick={() => setDeciding({ message: m, decision: 'approve' })}>
                      Approve
                    </Button>
                    <Button size="small" onClick={() => setDeciding({ message: m, decision: 'reject' })}>
                      Reject
                    </Button>
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {deciding && (
        <DecisionDialog
          message={deciding.message}
          decision={deciding.decision}
          onClose={(decided) => {
            setDeciding(undefined);
            if (decided) setReload((n) => n + 1);
          }}
        />
      )}
    </section>
  );
}
