import { Button, Card, CardHeader, makeStyles, Tab, TabList, Text, tokens } from '@fluentui/react-components';
import { useState } from 'react';
import type { Draft, Location, Schemas } from '../api/client';
import { keys, LOCATION } from '../labels';

const useStyles = makeStyles({
  frame: { border: 'none', width: '100%', height: '420px', backgroundColor: '#fff' },
  card: { maxWidth: '420px' },
  toast: { maxWidth: '360px', boxShadow: tokens.shadow16 },
});

type Template = Schemas['TemplateList']['items'][number];

/** How the message looks on each surface: the draft's own words, or a pre-made template's (its rendered email in each language). */
export function Preview({ draft, template }: { draft: Draft; template?: Template }) {
  const styles = useStyles();
  const [surface, setSurface] = useState<Location>(draft.location ?? 'spotlight');
  const [language, setLanguage] = useState('en');
  const words = template?.text[language] ?? (template ? Object.values(template.text)[0] : undefined);
  const title = words && 'title' in words ? words.title : words && 'heading' in words ? words.heading : draft.content?.title;
  const body = words && 'body' in words ? words.body : words && 'paragraphs' in words ? words.paragraphs.join(' ') : draft.content?.body;
  const action = words ? words.callToAction : draft.content?.callToAction?.label;
  const email = template?.preview?.[language];
  return (
    <aside aria-label="Preview">
      <TabList size="small" selectedValue={surface} onTabSelect={(_, d) => setSurface(d.value as Location)} aria-label="Surfaces">
        {keys(LOCATION).map((l) => (
          <Tab key={l} value={l}>
            {LOCATION[l]}
          </Tab>
        ))}
      </TabList>
      {template && (
        <TabList size="small" selectedValue={language} onTabSelect={(_, d) => setLanguage(String(d.value))} aria-label="Languages">
          {Object.keys(template.text).map((l) => (
            <Tab key={l} value={l}>
              {l}
            </Tab>
          ))}
        </TabList>
      )}
      {surface === 'email' && email ? (
        <iframe className={styles.frame} title="Email preview" srcDoc={email} sandbox="" />
      ) : (
        <Card className={surface === 'spotlight' ? styles.card : styles.toast} appearance="filled-alternative">
          <CardHeader header={<Text weight="semibold">{surface === 'teams' ? `Herald · ${title ?? ''}` : (title ?? 'Title')}</Text>} />
          <Text>{body ?? 'The message’s words appear here.'}</Text>
          {action && <Button appearance="primary">{action}</Button>}
        </Card>
      )}
    </aside>
  );
}
