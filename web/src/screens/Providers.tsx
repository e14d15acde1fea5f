import {
  Button,
  Field,
  makeStyles,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Textarea,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { ApiError, apiError, ok, type Schemas } from '../api/client';
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
type Audit = Schemas['ProviderAuditTrail']['items'];
type Decision = 'approve' | 'reject' | 'suspend';

/**
 * What each status lets a decider do, as core/provider.ts providerTransition says (that module uses node:crypto, so
 * the console cannot bundle it); the API checks again, and its refusal is shown in words.
 */
const DECISIONS: Record<Provider['status'], Decision[]> = {
  Draft: [],
  Submitted: ['approve', 'reject'],
  Approved: ['suspend'],
  Rejected: [],
  Suspended: [],
};
const DECISION_LABEL: Record<Decision, string> = { approve: 'Approve', reject: 'Reject', suspend: 'Suspend' };

function ProviderDetails({ id, mayDecide, onDecided }: { id: string; mayDecide: boolean; onDecided: () => void }) {
  const styles = useStyles();
  const { api } = useSigned();
  const [provider, setProvider] = useState<{ provider: Provider; etag: string }>();
  const [audit, setAudit] = useState<Audit>();
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const [decideError, setDecideError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    const params = { params: { path: { id } } };
    (async () => {
      const { data, error: problem, response } = await api.GET('/api/providers/{id}', params);
      if (!response.ok || !data) throw apiError(response, problem);
      setProvider({ provider: data, etag: response.headers.get('etag') ?? '' });
      setAudit((await ok(api.GET('/api/providers/{id}/audit', params))).items);
    })().catch(setError);
  }, [api, id, reload]);

  async function decide(decision: Decision) {
    setBusy(true);
    setDecideError(undefined);
    try {
      // If-Match: the decision is on the version on screen, not one someone changed since.
      const init = { params: { path: { id } }, headers: { 'if-match': provider!.etag } };
      const words = comment.trim();
      if (decision === 'approve') await ok(api.POST('/api/providers/{id}/approve', { ...init, body: words ? { comment: words } : {} }));
      else if (decision === 'reject') await ok(api.POST('/api/providers/{id}/reject', { ...init, body: { comment: words } }));
      else await ok(api.POST('/api/providers/{id}/suspend', { ...init, body: { comment: words } }));
      setComment('');
      setReload((r) => r + 1);
      onDecided();
    } catch (e) {
      setDecideError(e);
    } finally {
      setBusy(false);
    }
  }

  if (error) return <Problem error={error} title="The provider did not load" />;
  if (!provider || !audit) return <Spinner size="small" label="Loading the provider…" />;
  const p = provider.provider;
  const decisions = mayDecide ? DECISIONS[p.status] : [];
  return (
    <section className={styles.details} aria-label={`Provider ${p.friendlyName}`}>
      <h2>{p.friendlyName}</h2>
      <Text>
        {p.scope} · {p.status}
        {p.effective ? ' · cards show' : ''} · senders {p.senderAddresses.join(', ')} · targets {p.targetUrls.join(', ')}
      </Text>
      {p.comment && <Text>Last comment: “{p.comment}”</Text>}
      <h3>Audit</h3>
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

function ProviderTable({ label, items, onOpen }: { label: string; items: Provider[]; onOpen: (id: string) => void }) {
  if (!items.length) return <Text>None.</Text>;
  return (
    <Table aria-label={label} size="small">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Name</TableHeaderCell>
          <TableHeaderCell>Scope</TableHeaderCell>
          <TableHeaderCell>Status</TableHeaderCell>
          <TableHeaderCell>Created by</TableHeaderCell>
          <TableHeaderCell>Submitted</TableHeaderCell>
          <TableHeaderCell>Details</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {items.map((p) => (
          <TableRow key={`${p.tenantId}/${p.id}`}>
            <TableCell>{p.friendlyName}</TableCell>
            <TableCell>{p.scope}</TableCell>
            <TableCell>{p.status}</TableCell>
            <TableCell>{p.createdBy.name}</TableCell>
            <TableCell>{dateTime(p.submittedAt)}</TableCell>
            <TableCell>
              <Button size="small" onClick={() => onOpen(p.id)} aria-label={`Open ${p.friendlyName}`}>
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
  const [own, setOwn] = useState<Provider[]>();
  const [waiting, setWaiting] = useState<Provider[]>();
  const [open, setOpen] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [reload, setReload] = useState(0);
  useEffect(() => {
    let live = true;
    Promise.all([
      readsOwn ? ok(api.GET('/api/providers')).then((l) => l.items) : Promise.resolve(undefined),
      reviews ? ok(api.GET('/api/providers/reviews')).then((l) => l.items) : Promise.resolve(undefined),
    ])
      .then(([o, w]) => {
        if (!live) return;
        setOwn(o);
        setWaiting(w);
      })
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [api, readsOwn, reviews, reload]);
  return (
    <section aria-labelledby="providers-title">
      <h1 id="providers-title" className={styles.title}>
        Actionable-message providers
      </h1>
      <Problem error={error} title="The providers did not load" />
      {readsOwn &&
        (own ? (
          <ProviderTable label="Your organisation’s providers" items={own} onOpen={setOpen} />
        ) : (
          <Spinner label="Loading providers…" />
        ))}
      {reviews && (
        <section className={styles.section} aria-labelledby="reviews-title">
          <h2 id="reviews-title">Global providers waiting for review</h2>
          {waiting ? <ProviderTable label="Global providers waiting for review" items={waiting} onOpen={setOpen} /> : <Spinner />}
        </section>
      )}
      {open && (
        <div className={styles.section}>
          <ProviderDetails
            key={open}
            id={open}
            mayDecide={hasRole(account, 'Providers.Approve', 'Providers.Review')}
            onDecided={() => setReload((r) => r + 1)}
          />
        </div>
      )}
    </section>
  );
}
