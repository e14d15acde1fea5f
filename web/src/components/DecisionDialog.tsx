import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Textarea,
} from '@fluentui/react-components';
import { useState } from 'react';
import { acted, ApiError } from '../api/client';
import { useSigned } from '../context';
import { Problem } from './Problem';

export type Decision = 'approve' | 'reject';

/** Approve or reject a message, with a comment (required to reject), recorded in its audit trail. */
export function DecisionDialog({
  message,
  decision,
  onClose,
}: {
  message: { id: string; name?: string };
  decision: Decision;
  onClose: (decided: boolean) => void;
}) {
  const { api } = useSigned();
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const decide = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const params = { path: { id: message.id } };
      // An action whose body is optional takes none: approving without a comment sends nothing.
      if (decision === 'approve')
        await acted(api, api.POST('/api/messages/{id}/approve', { params, body: (comment.trim() ? { comment } : undefined) as never }));
      else await acted(api, api.POST('/api/messages/{id}/reject', { params, body: { comment } }));
      onClose(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const fieldError = error instanceof ApiError ? error.field('comment') : undefined;
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && onClose(false)}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>
            {decision === 'approve' ? 'Approve' : 'Reject'} “{message.name ?? 'Untitled'}”
          </DialogTitle>
          <DialogContent>
            {!fieldError && <Problem error={error} />}
            <Field
              label={decision === 'reject' ? 'Why it is rejected (the writer sees this)' : 'Comment (optional)'}
              required={decision === 'reject'}
              validationMessage={fieldError}
            >
              <Textarea value={comment} onChange={(_, d) => setComment(d.value)} maxLength={1000} />
            </Field>
          </DialogContent>
          <DialogActions>
            <Button appearance="secondary" onClick={() => onClose(false)}>
              Back
            </Button>
            <Button appearance="primary" disabled={busy} onClick={() => void decide()}>
              {decision === 'approve' ? 'Approve' : 'Reject'}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
