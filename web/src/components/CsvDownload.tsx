import { Button, Spinner } from '@fluentui/react-components';
import { useState } from 'react';
import { apiError, type Schemas } from '../api/client';
import { useSigned } from '../context';
import { Problem } from './Problem';

type Export =
  { path: '/api/messages/{id}/recipients.csv'; id: string } | { path: '/api/reports/activity.csv'; query: Record<string, string> };

/**
 * Downloads a CSV export: the API writes the file and gives its short-lived link (asked for as JSON, since a
 * redirect to the storage's origin cannot be followed with the caller's token), and the browser fetches that.
 */
export function CsvDownload({ label, file }: { label: string; file: Export }) {
  const { api } = useSigned();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const download = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const headers = { accept: 'application/json' };
      const {
        data,
        error: problem,
        response,
      } = file.path === '/api/reports/activity.csv'
        ? await api.GET(file.path, { params: { query: file.query }, headers })
        : await api.GET(file.path, { params: { path: { id: file.id } }, headers });
      if (!response.ok) throw apiError(response, problem);
      const link = document.createElement('a');
      link.href = (data as unknown as Schemas['ExportLink']).url;
      link.download = '';
      link.click();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button onClick={() => void download()} disabled={busy}>
        {label}
      </Button>
      {busy && <Spinner size="tiny" label="Writing the file…" />}
      <Problem error={error} title="The export did not work" />
    </>
  );
}
