import {
  Button,
  Field,
  makeStyles,
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
import { providerTransition } from '../../../core/providerStatus';
import { ApiError, ok, type Schemas } from '../api/client';
import { Columns } from '../components/Columns';
import { Problem } from '../components/Problem';
import { hasRole, useSigned } from '../context';
import { dateTime } from '../labels';

const useStyles = makeStyles({
  title: { margin: `0 0 ${tokens.spacingVerticalL}`, fontSize: tokens.fontSizeBase600 },
  section: { marginTop: tokens.spacingVerticalXXL },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS, marginTop: tokens.spacingVerticalS },
  details: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS, maxWidth: '720px' },
});

type Provider = Schemas['Provider'];
type Decision = 'approve' | 'reject' | 'suspend';

/** The decisions the API's own status machine allows (core/providerStatus.ts); the API checks again. */
const DECISIONS: Decision[] = ['approve', 'reject', 'suspend'];
const DECISION_LABEL: Record<Decision, string> = { approve: 'Approve', reject: 'Reject', suspend: 'Suspend' };

function ProviderDetails({
  initial,
  readsAudit,
  mayDecide,
  onDecided,
}: {
  initial: Provider;
  readsAudit: boolean;
  mayDecide: boolean;
  onDecided: () => void;
}) {
  const styles = useStyles();
  const { api } = useSigned();
  // The decision's answer is the provider as it now stands: shown without asking again.
  const [provider, setProvider] = useState(initial);
  const [comment, setComment] = useState('');
  const [decideError, setDecideError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const trail = useQuery({
    // Read again with each state of the provider: a decision adds to it.
    queryKey: ['providers', provider.id, 'audit', provider.status, provider.updatedAt],
    queryFn: async () => (await ok(api.GET('/api/providers/{id}/audit', { params: { path: { id: provider.id } } }))).items,
    // The audit is its organisation's: a platform reviewer deciding another tenant's Global provider does not read it.
    enabled: readsAudit,
    placeholderData: keepPreviousData,
  });
  const audit = trail.data;
  const error = trail.error;

  async function decide(decision: Decision) {
    setBusy(true);
    setDecideError(undefined);
    try {
      const params = { path: { id: provider.id } };
      const words = comment.trim();
      const decided =
        decision === 'approve'
          ? await ok(api.POST('/api/providers/{id}/approve', { params, body: words ? { comment: words } : {} }))
          : decision === 'reject'
            ? await ok(api.POST('/api/providers/{id}/reject', { params, body: { comment: words } }))
            : await ok(api.POST('/api/providers/{id}/suspend', { params, body: { comment: words } }));
      setComment('');
      setProvider(decided);
      onDecided();
    } catch (e) {
      setDecideError(e);
    } finally {
      setBusy(false);
    }
  }

  const p = provider;
  const decisions = mayDecide ? DECISIONS.filter((d) => providerTransition(p.status, d).ok) : [];
  return (
    <section className={styles.details} aria-label={`Provider ${p.friendlyName}`}>
      <h2>{p.friendlyName}</h2>
      <Text>
        {p.scope} · {p.status}
        {p.effective ? ' · cards show' : ''} · senders {p.senderAddresses.join(', ')} · targets {p.targetUrls.join(', ')}
      </Text>
      {p.comment && <Text>Last comment: “{p.comment}”</Text>}
      {readsAudit && (
        <>
          <h3>Audit</h3>
          {error ? (
            <Problem error={error} title="The audit did not load" />
          ) : audit ? (
            <ol aria-label="Provider audit">
              {audit.map((a, i) => (
                <li key={i}>
                  <Text>
                    {dateTime(a.at)} · {a.action} by {a.by.name} → {a.status}
                    {a.comment ? `: “${a.comment}”` : ''}
                  </Text>
                </li>
              ))}
            </ol>
          ) : (
            <Spinner size="small" label="Loading the audit…" />
          )}
        </>
      )}
      {decisions.length > 0 && (
        <>
          <Field
            label={decisions.includes('approve') ? 'Comment (needed to reject)' : 'Comment (needed to suspend)'}
            validationMessage={decideError instanceof ApiError ? decideError.field('comment') : undefined}
          >
            <Textarea value={comment} onChange={(_, d) => setComment(d.value)} maxLength={1000} />
          </Field>
          <div className={styles.actions}>
            {decisions.map((d) => (
              <Button key={d} appearance={d === 'approve' ? 'primary' : 'secondary'} disabled={busy} onClick={() => void decide(d)}>
                {DECISION_LABEL[d]}
              </Button>
            ))}
          </div>
        </>
      )}
      <Problem
        error={decideError instanceof ApiError && decideError.field('comment') ? undefined : decideError}
        title="The decision was not recorded"
      />
    </section>
  );
}

function ProviderTable({ label, items, onOpen }: { label: string; items: Provider[]; onOpen: (p: Provider) => void }) {
  if (!items.length) return <Text>None.</Text>;
  return (
    <Table aria-label={label} size="small">
      <Columns names={['Name', 'Scope', 'Status', 'Created by', 'Submitted', 'Details']} />
      <TableBody>
        {items.map((p) => (
          <TableRow key={`${p.tenantId}/${p.id}`}>
            <TableCell>{p.friendlyName}</TableCell>
            <TableCell>{p.scope}</TableCell>
            <TableCell>{p.status}</TableCell>
            <TableCell>{p.createdBy.name}</TableCell>
            <TableCell>{dateTime(p.submittedAt)}</TableCell>
            <TableCell>
              <Button size="small" onClick={() => onOpen(p)} aria-label={`Open ${p.friendlyName}`}>
                Open
              </Button>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** The actionable-message providers: the tenant's own, and (for Herald's reviewers) the Global ones waiting for review. */
export default function Providers() {
  const styles = useStyles();
  const { api, account } = useSigned();
  const readsOwn = hasRole(account, 'Providers.Write', 'Providers.Approve');
  const reviews = hasRole(account, 'Providers.Review');
  const [open, setOpen] = useState<{ provider: Provider; own: boolean }>();
  const ownList = useQuery({
    queryKey: ['providers', 'own'],
    queryFn: async () => (await ok(api.GET('/api/providers'))).items,
    enabled: readsOwn,
  });
  const reviewList = useQuery({
    queryKey: ['providers', 'reviews'],
    queryFn: async () => (await ok(api.GET('/api/providers/reviews'))).items,
    enabled: reviews,
  });
  const own = ownList.data;
  const waiting = reviewList.data;
  const error = ownList.error ?? reviewList.error;
  const queries = useQueryClient();
  return (
    <section aria-labelledby="providers-title">
      <h1 id="providers-title" className={styles.title}>
        Actionable-message providers
      </h1>
      <Problem error={error} title="The providers did not load" />
      {readsOwn &&
        (own ? (
          <ProviderTable label="Your organisation’s providers" items={own} onOpen={(p) => setOpen({ provider: p, own: true })} />
        ) : (
          <Spinner label="Loading providers…" />
        ))}
      {reviews && (
        <section className={styles.section} aria-labelledby="reviews-title">
          <h2 id="reviews-title">Global providers waiting for review</h2>
          {waiting ? (
            <ProviderTable
              label="Global providers waiting for review"
              items={waiting}
              onOpen={(p) => setOpen({ provider: p, own: false })}
            />
          ) : (
            <Spinner />
          )}
        </section>
      )}
      {open && (
        <div className={styles.section}>
          <ProviderDetails
            key={`${open.provider.tenantId}/${open.provider.id}`}
            initial={open.provider}
            readsAudit={open.own}
            mayDecide={hasRole(account, 'Providers.Approve', 'Providers.Review')}
            onDecided={() => void queries.invalidateQueries({ queryKey: ['providers'] })}
          />
        </div>
      )}
    </section>
  );
}
