import { Button, makeStyles, Spinner, Table, TableBody, TableCell, TableRow, Text, tokens, Link } from '@fluentui/react-components';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { URGENT_REVIEW_MS } from '../../../core/lifecycle';
import { ok, type Message } from '../api/client';
import { DecisionDialog, type Decision } from '../components/DecisionDialog';
import { Columns } from '../components/Columns';
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
  const [deciding, setDeciding] = useState<{ message: Message; decision: Decision }>();
  const waiting = useQuery({
    queryKey: ['messages', 'waiting', account.userId],
    queryFn: async ({ signal }) => {
      const mine: Message[] = [];
      let continuation: string | undefined;
      do {
        const page = await ok(
          api.GET('/api/messages', {
            params: { query: { status: 'PendingApproval', pageSize: 100, ...(continuation ? { continuation } : {}) } },
            signal,
          }),
        );
        mine.push(...page.items.filter((m) => m.createdBy.id !== account.userId));
        continuation = page.continuation;
      } while (continuation);
      return mine;
    },
  });
  const items = waiting.isError ? [] : waiting.data;
  const error = waiting.error;

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
          <Columns names={['Name', 'Written by', 'Location', 'Objective', 'Starts', 'Rejected automatically', 'Decide']} />
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
            if (decided) void waiting.refetch();
          }}
        />
      )}
    </section>
  );
}
