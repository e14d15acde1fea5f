import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { OBJECTIVES } from '../../../core/message.js';
import { EmailLayoutStrings, EmailTemplates, languagesOf, PremadeMessages } from '../../../core/templates.js';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../../templates/${file}`, import.meta.url), 'utf8')) as unknown;

test('pre-made messages are valid, unique, and cover every objective', () => {
  const { messages } = PremadeMessages.parse(read('premade-messages.json'));
  expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
  expect(new Set(messages.map((m) => m.objective))).toEqual(new Set(OBJECTIVES));
});

test('there are exactly eight valid email templates with unique ids', () => {
  const { templates } = EmailTemplates.parse(read('email-templates.json'));
  expect(new Set(templates.map((t) => t.id)).size).toBe(8);
});

test('every email template is translated to French and German, and the layout has words for each language', () => {
  const { templates } = EmailTemplates.parse(read('email-templates.json'));
  const strings = EmailLayoutStrings.parse(read('email/strings.json'));
  for (const template of templates) {
    const languages = languagesOf(template);
    expect(languages, template.id).toEqual(expect.arrayContaining(['en', 'fr', 'de']));
    for (const language of languages) expect(Object.keys(strings), `${template.id} in ${language}`).toContain(language);
  }
});

test('every pre-made message is translated to French and German, and the email layout has words for each of its languages', () => {
  const { messages } = PremadeMessages.parse(read('premade-messages.json'));
  const strings = EmailLayoutStrings.parse(read('email/strings.json'));
  for (const message of messages) {
    const languages = languagesOf(message);
    expect(languages, message.id).toEqual(expect.arrayContaining(['en', 'fr', 'de']));
    for (const language of languages) expect(Object.keys(strings), `${message.id} in ${language}`).toContain(language);
  }
});

test('a translation keyed by something that is not a language tag, or missing a field, is refused', () => {
  const { templates } = EmailTemplates.parse(read('email-templates.json'));
  const withTranslation = (translations: unknown) =>
    EmailTemplates.safeParse({ templates: templates.map((t, i) => (i === 0 ? { ...t, translations } : t)) });
  const french = templates[0]!.translations!.fr!;
  const [issue] = withTranslation({ French: french }).error!.issues;
  expect(issue!.path).toEqual(['templates', 0, 'translations', 'French']);
  expect(JSON.stringify(issue)).toMatch(/must be a BCP 47 language tag/);
  expect(withTranslation({ fr: { ...french, callToAction: undefined } }).success).toBe(false);
  expect(withTranslation({ 'fr-CA': french }).success).toBe(true);
});
