import {
  Button,
  Card,
  Dropdown,
  Field,
  Input,
  makeStyles,
  Option,
  Radio,
  RadioGroup,
  Spinner,
  Switch,
  Tab,
  TabList,
  Textarea,
  tokens,
} from '@fluentui/react-components';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { acted, ApiError, apiError, ok, type Draft, type Message, type Schemas } from '../api/client';
import { AudienceStep } from '../components/AudienceStep';
import { Preview } from '../components/Preview';
import { Problem } from '../components/Problem';
import { useSigned } from '../context';
import { dateTime, keys, LOCATION, OBJECTIVE } from '../labels';
import { navigate } from '../router';

const useStyles = makeStyles({
  title: { margin: `0 0 ${tokens.spacingVerticalM}`, fontSize: tokens.fontSizeBase600 },
  steps: { marginBottom: tokens.spacingVerticalL },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, maxWidth: '720px' },
  row: { display: 'flex', gap: tokens.spacingHorizontalM, flexWrap: 'wrap' },
  buttons: { display: 'flex', gap: tokens.spacingHorizontalM, marginTop: tokens.spacingVerticalL },
  split: { display: 'grid', gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1fr)', gap: tokens.spacingHorizontalXL },
});

const STEPS = ['objective', 'location', 'message', 'audience', 'schedule', 'review'] as const;
type Step = (typeof STEPS)[number];
const STEP_LABEL: Record<Step, string> = {
  objective: 'Objective',
  location: 'Location',
  message: 'Message',
  audience: 'Audience',
  schedule: 'Schedule',
  review: 'Review and submit',
};

/** The step whose fields an API error's path names. */
const stepOf = (path: string): Step =>
  path.startsWith('location')
    ? 'location'
    : path.startsWith('template') || path.startsWith('content')
      ? 'message'
      : path.startsWith('audience')
        ? 'audience'
        : path.startsWith('schedule') || path.startsWith('urgent')
          ? 'schedule'
          : 'objective';

type Template = Schemas['TemplateList']['items'][number];

/** `2026-12-07T09:30` (a datetime-local input's value, the browser's time) to ISO 8601, and back. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);
const toLocal = (iso: string | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/**
 * The create wizard: objective → location → message → audience → schedule → review. Every step saves the
 * draft (created on the first save), so Save and close works anywhere; the API's field errors are shown on
 * the field they name, on its step.
 */
export default function Wizard({ id: initialId }: { id?: string }) {
  const styles = useStyles();
  const { api } = useSigned();
  const [id, setId] = useState(initialId);
  const [etag, setEtag] = useState<string>();
  const [draft, setDraft] = useState<Draft>({ template: { kind: 'custom' } });
  const [loaded, setLoaded] = useState(!initialId);
  const [step, setStep] = useState<Step>('objective');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();

  useEffect(() => {
    if (!initialId) return;
    (async () => {
      const { data, error: problem, response } = await api.GET('/api/messages/{id}', { params: { path: { id: initialId } } });
      if (!response.ok || !data) throw apiError(response, problem);
      const { id: _i, status: _s, createdBy: _c, createdAt: _ca, updatedAt: _u, activity: _a, lifecycle: _l, ...fields } = data;
      setDraft(fields);
      setEtag(response.headers.get('etag') ?? undefined);
      setLoaded(true);
    })().catch(setError);
  }, [api, initialId]);

  const { objective, location } = draft;
  const offered = useQuery({
    queryKey: ['templates', { objective, location }],
    queryFn: async () =>
      (await ok(api.GET('/api/templates', { params: { query: { objective: objective!, location: location! } } }))).items.filter(
        (t) => t.kind === 'premade',
      ),
    enabled: !!objective && !!location,
  });
  // No template list (not asked yet, or it failed): the custom template is still there to write one's own.
  const templates: Template[] = offered.data ?? [];

  const fieldError = (path: string) => (error instanceof ApiError ? error.field(path) : undefined);
  const set = (change: Partial<Draft>) => setDraft((d) => ({ ...d, ...change }));

  /** Saves the draft: 201 the first time, then a merge patch of the whole draft with the ETag it was read with. */
  const save = async (): Promise<{ id: string; etag: string } | undefined> => {
    setError(undefined);
    const { content, ...rest } = draft;
    const body = { ...rest, ...(content ? { content: { ...content, image: undefined } } : {}) } as Draft;
    const result = id
      ? await api.PATCH('/api/messages/{id}', { params: { path: { id }, header: { 'If-Match': etag ?? '*' } }, body })
      : await api.POST('/api/messages', { body });
    if (!result.response.ok || !result.data) {
      const problem = apiError(result.response, result.error);
      setError(problem);
      const first = problem.errors[0];
      if (first) setStep(stepOf(first.path));
      return undefined;
    }
    const saved = { id: (result.data as Message).id, etag: result.response.headers.get('etag') ?? '*' };
    setId(saved.id);
    setEtag(saved.etag);
    if (!id) history.replaceState(null, '', `/messages/${saved.id}/edit`);
    return saved;
  };

  const run = async (what: string, work: () => Promise<void>) => {
    setBusy(what);
    try {
      await work();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(undefined);
    }
  };

  const go = (to: Step) => run('Saving…', async () => void ((await save()) && setStep(to)));
  const saveAndClose = () => run('Saving…', async () => void ((await save()) && navigate('/')));
  const submit = () =>
    run('Submitting…', async () => {
      const saved = await save();
      if (!saved) return;
      const params = { path: { id: saved.id } };
      try {
        await acted(
          api,
          draft.urgent ? api.POST('/api/messages/{id}/send', { params }) : api.POST('/api/messages/{id}/submit', { params }),
        );
      } catch (problem) {
        if (!(problem instanceof ApiError)) throw problem;
        setError(problem);
        const first = problem.errors[0];
        if (first) setStep(stepOf(first.path));
        return;
      }
      navigate(`/messages/${saved.id}`);
    });

  const upload = (file: File) =>
    run('Uploading the image…', async () => {
      const saved = id && etag ? { id, etag } : await save();
      if (!saved) return;
      const { response, error: problem } = await api.PUT('/api/messages/{id}/image', {
        params: { path: { id: saved.id }, header: { 'If-Match': saved.etag } },
        body: file as never,
        bodySerializer: (b: unknown) => b as Blob,
        headers: { 'content-type': file.type },
      });
      if (!response.ok) throw apiError(response, problem);
      setEtag(response.headers.get('etag') ?? saved.etag);
    });

  if (!loaded) return error ? <Problem error={error} /> : <Spinner label="Loading the draft…" />;

  const premade = draft.template?.kind === 'premade';
  const audience = draft.audience ?? {};
  const schedule = draft.schedule ?? {};
  const steps: Record<Step, ReactNode> = {
    objective: (
      <>
        <Field label="Name (only writers and approvers see it)" required validationMessage={fieldError('name')}>
          <Input value={draft.name ?? ''} onChange={(_, d) => set({ name: d.value })} maxLength={120} />
        </Field>
        <Field label="Objective" required validationMessage={fieldError('objective')}>
          <RadioGroup value={draft.objective ?? ''} onChange={(_, d) => set({ objective: d.value as Draft['objective'] })}>
            {keys(OBJECTIVE).map((o) => (
              <Radio key={o} value={o} label={OBJECTIVE[o]} />
            ))}
          </RadioGroup>
        </Field>
      </>
    ),
    location: (
      <Field label="Where people see it" required validationMessage={fieldError('location')}>
        <RadioGroup value={draft.location ?? ''} onChange={(_, d) => set({ location: d.value as Draft['location'] })}>
          {keys(LOCATION).map((l) => (
            <Radio key={l} value={l} label={LOCATION[l]} />
          ))}
        </RadioGroup>
      </Field>
    ),
    message: (
      <div className={styles.split}>
        <div className={styles.form}>
          <Field label="Message" validationMessage={fieldError('template')}>
            <RadioGroup
              value={premade ? (draft.template && 'id' in draft.template ? draft.template.id : '') : 'custom'}
              onChange={(_, d) => set({ template: d.value === 'custom' ? { kind: 'custom' } : { kind: 'premade', id: d.value } })}
            >
              {templates.map((t) => {
                const words = t.text.en ?? Object.values(t.text)[0];
                return <Radio key={t.id} value={t.id} label={`Pre-made: ${words && 'title' in words ? words.title : t.id}`} />;
              })}
              <Radio value="custom" label="Custom: write your own" />
            </RadioGroup>
          </Field>
          {!premade && (
            <>
              <Field label="Title" required validationMessage={fieldError('content.title')}>
                <Input
                  value={draft.content?.title ?? ''}
                  onChange={(_, d) => set({ content: { ...draft.content, title: d.value } })}
                  maxLength={80}
                />
              </Field>
              <Field
                label="Body"
                required
                validationMessage={fieldError('content.body')}
                hint={`${(draft.content?.body ?? '').length} of 600 characters`}
              >
                <Textarea
                  value={draft.content?.body ?? ''}
                  onChange={(_, d) => set({ content: { ...draft.content, body: d.value } })}
                  maxLength={600}
                  rows={5}
                />
              </Field>
              <div className={styles.row}>
                <Field label="Call to action" validationMessage={fieldError('content.callToAction.label')}>
                  <Input
                    value={draft.content?.callToAction?.label ?? ''}
                    onChange={(_, d) =>
                      set({ content: { ...draft.content, callToAction: { url: draft.content?.callToAction?.url ?? '', label: d.value } } })
                    }
                    maxLength={30}
                  />
                </Field>
                <Field label="Link (https)" validationMessage={fieldError('content.callToAction.url')}>
                  <Input
                    type="url"
                    value={draft.content?.callToAction?.url ?? ''}
                    onChange={(_, d) =>
                      set({
                        content: {
                          ...draft.content,
                          callToAction:
                            d.value || draft.content?.callToAction?.label ? { ...draft.content?.callToAction, url: d.value } : undefined,
                        },
                      })
                    }
                  />
                </Field>
              </div>
              <Field label="Image (PNG, JPEG, GIF or WebP, up to 1 MiB)" validationMessage={fieldError('image')}>
                {(control) => (
                  <input
                    {...control}
                    type="file"
                    accept="image/png,image/jpeg,image/gif,image/webp"
                    onChange={(e) => e.target.files?.[0] && void upload(e.target.files[0])}
                  />
                )}
              </Field>
            </>
          )}
        </div>
        <Preview
          draft={draft}
          template={templates.find((t) => premade && draft.template && 'id' in draft.template && t.id === draft.template.id)}
        />
      </div>
    ),
    audience: <AudienceStep audience={audience} location={draft.location} onChange={(a) => set({ audience: a })} fieldError={fieldError} />,
    schedule: (
      <>
        <div className={styles.row}>
          <Field label="Start" validationMessage={fieldError('schedule.start')}>
            <Input
              type="datetime-local"
              value={toLocal(schedule.start)}
              onChange={(_, d) => set({ schedule: { ...schedule, start: toIso(d.value) } })}
            />
          </Field>
          <Field label="End" validationMessage={fieldError('schedule.end')}>
            <Input
              type="datetime-local"
              value={toLocal(schedule.end)}
              onChange={(_, d) => set({ schedule: { ...schedule, end: toIso(d.value) } })}
            />
          </Field>
        </div>
        <div className={styles.row}>
          <Field label="Frequency" validationMessage={fieldError('schedule.frequency')}>
            <Dropdown
              value={schedule.frequency ?? 'once'}
              selectedOptions={[schedule.frequency ?? 'once']}
              onOptionSelect={(_, d) => set({ schedule: { ...schedule, frequency: d.optionValue as 'once' } })}
            >
              {['once', 'daily', 'weekly', 'monthly'].map((f) => (
                <Option key={f} value={f}>
                  {f}
                </Option>
              ))}
            </Dropdown>
          </Field>
          <Field
            label="Time zone"
            hint="An IANA time zone such as Europe/Paris; the tenant’s when empty"
            validationMessage={fieldError('schedule.timeZone')}
          >
            <Input
              value={schedule.timeZone ?? ''}
              onChange={(_, d) => set({ schedule: { ...schedule, timeZone: d.value || undefined } })}
            />
          </Field>
        </div>
        <Field validationMessage={fieldError('urgent')}>
          <Switch
            checked={draft.urgent ?? false}
            onChange={(_, d) => set({ urgent: d.checked })}
            label="Urgent: send at once (custom words still need an approver)"
          />
        </Field>
      </>
    ),
    review: (
      <Card>
        <dl>
          <dt>Name</dt>
          <dd>{draft.name ?? '—'}</dd>
          <dt>Objective and location</dt>
          <dd>
            {draft.objective ? OBJECTIVE[draft.objective] : '—'} · {draft.location ? LOCATION[draft.location] : '—'}
          </dd>
          <dt>Message</dt>
          <dd>{premade ? 'Pre-made' : `${draft.content?.title ?? '—'}: ${draft.content?.body ?? ''}`}</dd>
          <dt>Audience</dt>
          <dd>
            {[
              ...(audience.groups ?? []),
              ...(audience.companies ?? []),
              ...(audience.departments ?? []),
              ...(audience.locations ?? []),
              ...(audience.segments ?? []),
            ].join(', ') || '—'}
          </dd>
          <dt>Schedule</dt>
          <dd>
            {draft.urgent ? 'Urgent, at once' : `${dateTime(schedule.start)} to ${dateTime(schedule.end)}, ${schedule.frequency ?? 'once'}`}
          </dd>
        </dl>
        <Preview
          draft={draft}
          template={templates.find((t) => premade && draft.template && 'id' in draft.template && t.id === draft.template.id)}
          {...(id ? { messageId: id } : {})}
        />
      </Card>
    ),
  };

  const index = STEPS.indexOf(step);
  return (
    <section aria-labelledby="wizard-title">
      <h1 id="wizard-title" className={styles.title}>
        {initialId ? 'Modify message' : 'New message'}
      </h1>
      <TabList className={styles.steps} selectedValue={step} onTabSelect={(_, d) => void go(d.value as Step)} aria-label="Steps">
        {STEPS.map((s, i) => (
          <Tab key={s} value={s}>
            {i + 1}. {STEP_LABEL[s]}
          </Tab>
        ))}
      </TabList>
      <form
        className={styles.form}
        aria-label={STEP_LABEL[step]}
        onSubmit={(e) => {
          e.preventDefault();
          if (step === 'review') void submit();
          else void go(STEPS[index + 1]!);
        }}
      >
        <h2>{STEP_LABEL[step]}</h2>
        <Problem error={error} title="Please check the message" />
        {steps[step]}
        <div className={styles.buttons}>
          {index > 0 && (
            <Button type="button" onClick={() => void go(STEPS[index - 1]!)}>
              Back
            </Button>
          )}
          <Button type="submit" appearance="primary" disabled={!!busy}>
            {step === 'review' ? (draft.urgent ? 'Send now' : 'Submit') : 'Next'}
          </Button>
          <Button type="button" disabled={!!busy} onClick={() => void saveAndClose()}>
            Save and close
          </Button>
          {busy && <Spinner size="tiny" label={busy} />}
        </div>
      </form>
    </section>
  );
}
