import {
  Button,
  Card,
  Field,
  Input,
  makeStyles,
  Select,
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
import { ApiError, ok, type Schemas } from '../api/client';
import { GroupSearch } from '../components/GroupSearch';
import { GroupNames } from '../components/GroupNames';
import { policiesQuery } from '../api/queries';
import { Columns } from '../components/Columns';
import { Problem } from '../components/Problem';
import { useSigned } from '../context';
import { LOCATION } from '../labels';

type Policy = Schemas['Policy'];
type Settings = Schemas['PolicyInput']['settings'];
type Setting = keyof Settings;

/** The product document's settings, as Intune names them, and the value of each that blocks. */
export const SETTINGS: { key: Setting; label: string; blocksWhen: boolean }[] = [
  { key: 'enableOrganizationalMessages', label: 'Enable delivery of organizational messages', blocksWhen: false },
  { key: 'allowSpotlight', label: 'Allow Windows Spotlight', blocksWhen: false },
  { key: 'spotlightOnActionCenter', label: 'Allow Windows Spotlight on Action Center', blocksWhen: false },
  { key: 'windowsTips', label: 'Allow Windows Tips', blocksWhen: false },
  { key: 'spotlightOnLockScreen', label: 'Configure Windows Spotlight on Lock Screen', blocksWhen: false },
  { key: 'disableCloudOptimizedContent', label: 'Disable Cloud Optimized Content', blocksWhen: true },
];

const useStyles = makeStyles({
  title: { margin: `0 0 ${tokens.spacingVerticalL}`, fontSize: tokens.fontSizeBase600 },
  form: { display: 'grid', gap: tokens.spacingVerticalM, maxWidth: '720px', marginBottom: tokens.spacingVerticalXL },
  settings: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(320px, 1fr))', gap: tokens.spacingVerticalS },
  buttons: { display: 'flex', gap: tokens.spacingHorizontalS },
});

const listOf = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface Form {
  id?: string;
  name: string;
  groups: string;
  settings: Settings;
}
const EMPTY: Form = { name: '', groups: '', settings: {} };

/** Tenant admins' delivery policies: what each blocks for whom, and a form to create or change one. */
export default function Policies() {
  const styles = useStyles();
  const { api } = useSigned();
  const policies = useQuery(policiesQuery(api));
  const items = policies.isError ? [] : policies.data;
  const [saveError, setError] = useState<unknown>();
  const error = saveError ?? policies.error;
  const [form, setForm] = useState<Form>(EMPTY);
  const [busy, setBusy] = useState(false);

  const fieldError = (path: string) => (error instanceof ApiError ? error.field(path) : undefined);

  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const body = { name: form.name, groups: listOf(form.groups), settings: form.settings };
      await (form.id
        ? ok(api.PUT('/api/policies/{id}', { params: { path: { id: form.id } }, body }))
        : ok(api.POST('/api/policies', { body })));
      setForm(EMPTY);
      await policies.refetch();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (policy: Policy) => {
    setError(undefined);
    try {
      await ok(api.DELETE('/api/policies/{id}', { params: { path: { id: policy.id } } }));
      await policies.refetch();
    } catch (e) {
      setError(e);
    }
  };

  const setSetting = (key: Setting, value: string) => {
    const settings = { ...form.settings };
    if (value === '') delete settings[key];
    else settings[key] = value === 'true';
    setForm({ ...form, settings });
  };

  return (
    <section aria-labelledby="policies-title">
      <h1 id="policies-title" className={styles.title}>
        Delivery policies
      </h1>
      <Text block>
        The Windows settings that decide whether organizational messages reach a group’s devices. A surface a policy blocks gets nothing for
        the members of its groups; the readiness page lists them.
      </Text>
      <Problem error={error} title="The policy was not saved" />
      <Card className={styles.form}>
        <form
          aria-label={form.id ? 'Change the policy' : 'New policy'}
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <h2>{form.id ? `Change “${form.name}”` : 'New policy'}</h2>
          <Field label="Name" required validationMessage={fieldError('name')}>
            <Input value={form.name} onChange={(_, d) => setForm({ ...form, name: d.value })} maxLength={120} />
          </Field>
          <GroupSearch
            chosen={listOf(form.groups)}
            onAdd={(g) => setForm((f) => ({ ...f, groups: [...listOf(f.groups), g.id].join(', ') }))}
          />
          <Field
            label="Assigned to groups (Entra object ids, comma-separated; found groups are added here)"
            required
            validationMessage={fieldError('groups')}
          >
            <Input value={form.groups} onChange={(_, d) => setForm({ ...form, groups: d.value })} />
          </Field>
          <div className={styles.settings}>
            {SETTINGS.map((s) => (
              <Field key={s.key} label={s.label} validationMessage={fieldError(`settings.${s.key}`)}>
                <Select
                  value={form.settings[s.key] === undefined ? '' : String(form.settings[s.key])}
                  onChange={(_, d) => setSetting(s.key, d.value)}
                >
                  <option value="">Not configured</option>
                  <option value="true">Enabled{s.blocksWhen ? ' (blocks)' : ''}</option>
                  <option value="false">Disabled{s.blocksWhen ? '' : ' (blocks)'}</option>
                </Select>
              </Field>
            ))}
          </div>
          <div className={styles.buttons}>
            <Button type="submit" appearance="primary" disabled={busy}>
              {form.id ? 'Save changes' : 'Create policy'}
            </Button>
            {form.id && (
              <Button type="button" onClick={() => setForm(EMPTY)}>
                Cancel
              </Button>
            )}
            {busy && <Spinner size="tiny" label="Saving…" />}
          </div>
        </form>
      </Card>
      {!items ? (
        <Spinner label="Loading the policies…" />
      ) : items.length === 0 ? (
        <Text>No delivery policies yet: nothing Herald keeps blocks a surface.</Text>
      ) : (
        <Table aria-label="Delivery policies" size="small">
          <Columns names={['Name', 'Groups', 'Blocks', 'Changed', 'Actions']} />
          <TableBody>
            {items.map((p) => (
              <TableRow key={p.id}>
                <TableCell>{p.name}</TableCell>
                <TableCell>
                  <GroupNames ids={p.groups} />
                </TableCell>
                <TableCell>{p.blocks.length === 0 ? 'Nothing' : p.blocks.map((b) => LOCATION[b.surface]).join(', ')}</TableCell>
                <TableCell>
                  {new Date(p.updatedAt).toLocaleString()} by {p.updatedBy}
                </TableCell>
                <TableCell>
                  <div className={styles.buttons}>
                    <Button
                      size="small"
                      aria-label={`Change ${p.name}`}
                      onClick={() => setForm({ id: p.id, name: p.name, groups: p.groups.join(', '), settings: p.settings })}
                    >
                      Change
                    </Button>
                    <Button size="small" aria-label={`Delete ${p.name}`} onClick={() => void remove(p)}>
                      Delete
                    </Button>
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </section>
  );
}
