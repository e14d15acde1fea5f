import { Button, Field, Input, makeStyles, Select, Spinner, Switch, Text, tokens } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { ApiError, ok, type Schemas } from '../api/client';
import { Problem } from '../components/Problem';
import { hasRole, useSigned } from '../context';

const useStyles = makeStyles({
  title: { margin: `0 0 ${tokens.spacingVerticalL}`, fontSize: tokens.fontSizeBase600 },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, maxWidth: '560px' },
});

type Settings = Schemas['TenantSettingsView'];

const LICENCES: Record<Settings['licence'], string> = {
  basic: 'Basic (pre-made messages only)',
  E3: 'E3 (custom messages)',
  E5: 'E5 (custom messages and advanced targeting)',
};

/** The tenant's settings: every signed-in person reads them, a Tenant.Admin changes them; the API's field errors go on the fields. */
export default function Settings() {
  const styles = useStyles();
  const { api, account } = useSigned();
  const admin = hasRole(account, 'Tenant.Admin');
  const [settings, setSettings] = useState<Settings>();
  // The retention field as typed: a number only once it parses, so a half-typed value is not lost.
  const [retention, setRetention] = useState('');
  const [error, setError] = useState<unknown>();
  const [saveError, setSaveError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    ok(api.GET('/api/tenant/settings'))
      .then((s) => {
        setSettings(s);
        setRetention(String(s.retentionDays));
      })
      .catch(setError);
  }, [api]);

  if (error) return <Problem error={error} title="The settings did not load" />;
  if (!settings) return <Spinner label="Loading the settings…" />;
  const change = (patch: Partial<Settings>) => {
    setSaved(false);
    setSettings({ ...settings, ...patch });
  };
  const fieldError = (path: string) => (saveError instanceof ApiError ? saveError.field(path) : undefined);

  async function save() {
    setBusy(true);
    setSaveError(undefined);
    try {
      // The number as typed, even when it is not one: the API says what is wrong with it, on the field.
      const retentionDays = retention.trim() === '' ? Number.NaN : Number(retention);
      const stored = await ok(api.PUT('/api/tenant/settings', { body: { ...settings!, retentionDays } }));
      setSettings(stored);
      setRetention(String(stored.retentionDays));
      setSaved(true);
    } catch (e) {
      setSaveError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title" className={styles.title}>
        Tenant settings
      </h1>
      {!admin && <Text>Only a tenant admin can change these.</Text>}
      <form
        className={styles.form}
        aria-label="Tenant settings"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field label="Licence tier" validationMessage={fieldError('licence')}>
          <Select value={settings.licence} disabled={!admin} onChange={(_, d) => change({ licence: d.value as Settings['licence'] })}>
            {Object.entries(LICENCES).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </Select>
        </Field>
        <Field
          label="Time zone"
          hint="An IANA time zone such as Europe/Paris: schedules’ default and the day reports count in"
          validationMessage={fieldError('timeZone')}
        >
          <Input value={settings.timeZone} disabled={!admin} onChange={(_, d) => change({ timeZone: d.value })} />
        </Field>
        <Field validationMessage={fieldError('includeGuests')}>
          <Switch
            checked={settings.includeGuests}
            disabled={!admin}
            onChange={(_, d) => change({ includeGuests: d.checked })}
            label="Include guests (B2B users) in audiences"
          />
        </Field>
        <Field
          label="Keep per-recipient events for (days)"
          hint="1 to 3650; the daily totals stay"
          validationMessage={fieldError('retentionDays')}
        >
          <Input
            type="number"
            value={retention}
            disabled={!admin}
            onChange={(_, d) => {
              setSaved(false);
              setRetention(d.value);
            }}
          />
        </Field>
        <Field validationMessage={fieldError('recipientReports')}>
          <Switch
            checked={settings.recipientReports}
            disabled={!admin}
            onChange={(_, d) => change({ recipientReports: d.checked })}
            label="Per-recipient reports (who saw and clicked)"
          />
        </Field>
        <Problem
          error={saveError instanceof ApiError && saveError.errors.length > 0 ? undefined : saveError}
          title="The settings were not saved"
        />
        {saved && <Text role="status">Saved.</Text>}
        {admin && (
          <div>
            <Button type="submit" appearance="primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save'}
            </Button>
          </div>
        )}
      </form>
    </section>
  );
}
