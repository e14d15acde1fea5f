import { Button, makeStyles, Spinner, Tab, TabList, Text, tokens } from '@fluentui/react-components';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ok, type Draft, type Schemas } from '../api/client';
import { useSigned } from '../context';
import { LOCATION } from '../labels';
import { Problem } from './Problem';

const useStyles = makeStyles({
  surfaces: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(300px, 1fr))', gap: tokens.spacingHorizontalL },
  surface: { margin: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
  caption: { fontWeight: tokens.fontWeightSemibold },
  chosen: { outline: `2px solid ${tokens.colorBrandStroke1}`, outlineOffset: '4px', borderRadius: tokens.borderRadiusMedium },
  // Spotlight is the desktop background with the message over it, bottom left.
  spotlight: {
    minHeight: '180px',
    display: 'flex',
    flexDirection: 'column',
    justifyContent: 'flex-end',
    gap: tokens.spacingVerticalXS,
    padding: tokens.spacingHorizontalL,
    borderRadius: tokens.borderRadiusMedium,
    color: '#fff',
    backgroundImage: 'linear-gradient(135deg, #0f3b66, #2a7ab8 60%, #7fb7e6)',
  },
  toast: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXS,
    padding: tokens.spacingHorizontalM,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground3,
    boxShadow: tokens.shadow8,
  },
  app: { fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground2 },
  taskbar: {
    display: 'flex',
    alignItems: 'center',
    gap: tokens.spacingHorizontalS,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground4,
  },
  badge: { width: '10px', height: '10px', borderRadius: '50%', backgroundColor: tokens.colorBrandBackground, flexShrink: 0 },
  frame: { border: `1px solid ${tokens.colorNeutralStroke2}`, width: '100%', height: '480px', backgroundColor: '#fff' },
  email: { gridColumn: '1 / -1' },
});

type Template = Schemas['TemplateList']['items'][number];

interface Words {
  title?: string | undefined;
  body?: string | undefined;
  action?: string | undefined;
}

/** The words shown in `language`: a pre-made template's, or the draft's own. */
function wordsOf(draft: Draft, template: Template | undefined, language: string): Words {
  const text = template?.text[language] ?? (template ? Object.values(template.text)[0] : undefined);
  if (!text) return { title: draft.content?.title, body: draft.content?.body, action: draft.content?.callToAction?.label };
  if ('title' in text) return { title: text.title, body: text.body, action: text.callToAction };
  return { title: text.heading, body: text.paragraphs.join(' '), action: text.callToAction };
}

/** The email as Herald renders it: the message's own (its link, its language) once saved, else the template's. */
function EmailFrame({ messageId, templateId, language }: { messageId?: string | undefined; templateId: string; language: string }) {
  const styles = useStyles();
  const { api } = useSigned();
  const query = { language };
  // Keyed by what was asked, so a change of language shows progress until its own email arrives.
  const { data: html, error } = useQuery({
    queryKey: ['preview', messageId ?? `template:${templateId}`, language],
    queryFn: () =>
      ok(
        (messageId
          ? api.GET('/api/messages/{id}/preview', { params: { path: { id: messageId }, query }, parseAs: 'text' })
          : api.GET('/api/templates/{id}/preview', { params: { path: { id: templateId }, query }, parseAs: 'text' })) as Promise<{
          data?: string;
          error?: unknown;
          response: Response;
        }>,
      ),
  });
  if (error) return <Problem error={error} title="The email preview did not load" />;
  if (html === undefined) return <Spinner size="small" label="Rendering the email…" />;
  // sandbox without scripts: the email's HTML is shown, never run.
  return <iframe className={styles.frame} title={`Email preview (${language})`} srcDoc={html} sandbox="" />;
}

/**
 * How the message looks on every surface at once — Spotlight, Notification Center, the Taskbar, a Teams activity
 * notification and the email — in each language it has, the surface it goes to outlined. The Windows and Teams
 * surfaces are drawn from the words; the email is Herald's own rendered HTML.
 */
export function Preview({ draft, template: given, messageId }: { draft: Draft; template?: Template | undefined; messageId?: string }) {
  const styles = useStyles();
  const { api } = useSigned();
  const templateId = draft.template?.kind === 'premade' ? draft.template.id : undefined;
  const listed = useQuery({
    queryKey: ['templates', { location: draft.location }],
    queryFn: async () =>
      (await ok(api.GET('/api/templates', { params: { query: { ...(draft.location ? { location: draft.location } : {}) } } }))).items,
    enabled: !given && !!templateId,
  });
  // Without the template the preview shows the draft's own words.
  const template = given ?? listed.data?.find((t) => t.id === templateId);
  const languages = template ? Object.keys(template.text) : [draft.content?.language ?? 'en'];
  const [chosenLanguage, setLanguage] = useState<string>();
  // The message's own language first: what most of its recipients will read.
  const own = draft.content?.language;
  const language = [chosenLanguage, own].find((l) => l && languages.includes(l)) ?? languages[0]!;
  const { title, body, action } = wordsOf(draft, template, language);
  const shownTitle = title || 'Title';
  const shownBody = body || 'The message’s words appear here.';
  const email = draft.location === 'email' && template?.kind === 'email';
  const frame = (surface: keyof typeof LOCATION, children: React.ReactNode, className?: string) => (
    <figure
      className={[styles.surface, className].filter(Boolean).join(' ')}
      aria-label={`${LOCATION[surface]} preview`}
      data-surface={surface}
    >
      <figcaption className={styles.caption}>
        {surface === 'teams' ? 'Teams activity' : LOCATION[surface]}
        {draft.location === surface ? ' (where it goes)' : ''}
      </figcaption>
      <div className={draft.location === surface ? styles.chosen : undefined}>{children}</div>
    </figure>
  );
  return (
    <aside aria-label="Preview">
      {languages.length > 1 && (
        <TabList size="small" selectedValue={language} onTabSelect={(_, d) => setLanguage(String(d.value))} aria-label="Languages">
          {languages.map((l) => (
            <Tab key={l} value={l}>
              {l}
            </Tab>
          ))}
        </TabList>
      )}
      <div className={styles.surfaces} lang={language}>
        {frame(
          'spotlight',
          <div className={styles.spotlight}>
            <Text size={500} weight="semibold">
              {shownTitle}
            </Text>
            <Text>{shownBody}</Text>
            {action && <Button appearance="primary">{action}</Button>}
          </div>,
        )}
        {frame(
          'notificationCenter',
          <div className={styles.toast}>
            <Text className={styles.app}>Herald · now</Text>
            <Text weight="semibold">{shownTitle}</Text>
            <Text>{shownBody}</Text>
            {action && <Button size="small">{action}</Button>}
          </div>,
        )}
        {frame(
          'taskbar',
          <div className={styles.taskbar}>
            <span className={styles.badge} aria-hidden />
            <Text weight="semibold" truncate wrap={false}>
              {shownTitle}
            </Text>
          </div>,
        )}
        {frame(
          'teams',
          <div className={styles.toast}>
            <Text className={styles.app}>Activity · Herald</Text>
            <Text weight="semibold">Herald: {shownTitle}</Text>
            <Text truncate>{shownBody}</Text>
          </div>,
        )}
        {frame(
          'email',
          email ? (
            <EmailFrame messageId={messageId} templateId={template.id} language={language} />
          ) : (
            <Text>This message does not go by email: pick Email as its location and one of the email templates.</Text>
          ),
          styles.email,
        )}
      </div>
    </aside>
  );
}
