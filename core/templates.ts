/** Schemas of Herald's pre-made content (`templates/`), so a bad template fails a test, not a send. Pure. */
import { z } from 'zod';
import { LIMITS, LOCATIONS, OBJECTIVES, type DraftInput, type Location } from './message.js';

/** A BCP 47 language tag as Herald stores them: `fr`, `fr-CA`, `zh-Hant-TW`. */
export const LanguageTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag like fr or fr-CA');

/** The words of a pre-made message in one language: Herald writes them, the writer does not. */
export const PremadeText = z
  .object({
    title: z.string().min(1).max(LIMITS.title),
    body: z.string().min(1).max(LIMITS.body),
    callToAction: z.string().min(1).max(LIMITS.ctaLabel),
  })
  .strict();
export type PremadeText = z.output<typeof PremadeText>;

export const PremadeMessage = PremadeText.extend({
  id: z.string().regex(/^[a-z0-9-]+$/),
  objective: z.enum(OBJECTIVES),
  locations: z.array(z.enum(LOCATIONS).exclude(['email'])).min(1),
  translations: z.record(LanguageTag, PremadeText).optional(),
}).strict();
export type PremadeMessage = z.output<typeof PremadeMessage>;

/** The words of an email template in one language. */
export const EmailTemplateText = z
  .object({
    subject: z.string().min(1).max(120),
    heading: z.string().min(1).max(120),
    paragraphs: z.array(z.string().min(1)).min(1),
    callToAction: z.string().min(1).max(LIMITS.ctaLabel),
  })
  .strict();

/** The language an email template is written in; `translations` add others. */
export const EMAIL_BASE_LANGUAGE = 'en';

export const EmailTemplate = EmailTemplateText.extend({
  id: z.string().regex(/^email-[a-z0-9-]+$/),
  objective: z.enum(OBJECTIVES),
  translations: z.record(LanguageTag, EmailTemplateText).optional(),
}).strict();
export type EmailTemplate = z.output<typeof EmailTemplate>;

/**
 * The email layout's own words in each language (`templates/email/strings.json`): the greeting (`{name}` is
 * replaced by the recipient's name), the line under the button, and the footer saying why the mail came.
 */
export const EmailLayoutStrings = z
  .record(
    LanguageTag,
    z
      .object({
        greeting: z.string().min(1),
        greetingWithName: z.string().includes('{name}'),
        linkHint: z.string().min(1),
        footer: z.string().min(1),
      })
      .strict(),
  )
  .refine((strings) => EMAIL_BASE_LANGUAGE in strings, `must have the base language '${EMAIL_BASE_LANGUAGE}'`);
export type EmailLayoutStrings = z.output<typeof EmailLayoutStrings>;

/** The languages a template can be read in: its base language and its translations. */
export const languagesOf = (template: { translations?: Record<string, unknown> }): string[] => [
  EMAIL_BASE_LANGUAGE,
  ...Object.keys(template.translations ?? {}),
];

/**
 * The language to write to a recipient in, among `available`: their exact tag, else its base language
 * (`fr-CA` → `fr`), else the template's base language. Tags compare case-insensitively, as BCP 47 says.
 */
export function pickLanguage(requested: string | null | undefined, available: readonly string[]): string {
  const find = (tag: string) => available.find((a) => a.toLowerCase() === tag.toLowerCase());
  if (!requested) return EMAIL_BASE_LANGUAGE;
  return find(requested) ?? find(requested.split('-')[0]!) ?? EMAIL_BASE_LANGUAGE;
}

export const PremadeMessages = z.object({ $comment: z.string().optional(), messages: z.array(PremadeMessage) }).strict();
export const EmailTemplates = z.object({ $comment: z.string().optional(), templates: z.array(EmailTemplate).length(8) }).strict();

/** Herald's pre-made content as the app ships it. */
export interface TemplateCatalog {
  premade: readonly PremadeMessage[];
  email: readonly EmailTemplate[];
}

/**
 * What the writer may add to a pre-made message ("You can then customize the message by adding your logo
 * and URL"); email templates take the writer's link but have no place for a logo.
 */
export const WRITER_MAY = {
  premade: { link: true, logo: true },
  email: { link: true, logo: false },
} as const;

/** A pre-made template by id among those for `location` (the email templates for email). */
export function findTemplate(
  catalog: TemplateCatalog,
  id: string,
  location: Location | undefined,
): { kind: 'email'; template: EmailTemplate } | { kind: 'premade'; template: PremadeMessage } | undefined {
  if (location === 'email') {
    const template = catalog.email.find((t) => t.id === id);
    return template && { kind: 'email', template };
  }
  const template = catalog.premade.find((m) => m.id === id && (!location || m.locations.includes(location)));
  return template && { kind: 'premade', template };
}

/** A pre-made message's words in `language` (its exact tag, its base language, or the template's own). */
export const premadeText = (template: PremadeMessage, language: string | undefined): PremadeText => {
  const picked = pickLanguage(language, languagesOf(template));
  const { title, body, callToAction } = template.translations?.[picked] ?? template;
  return { title, body, callToAction };
};

export interface PremadeProblem {
  path: string;
  message: string;
}

/**
 * A pre-made message as it is saved: its words come from its template, in the message's language (only
 * the link and the logo are the writer's), so every surface shows what Herald wrote. Words the writer
 * changed make it a custom message, which needs approval. Email templates are not customisable at all:
 * words sent for one are refused, naming the field.
 */
export function applyTemplate(draft: DraftInput, catalog: TemplateCatalog): { draft: DraftInput; problems: PremadeProblem[] } {
  if (draft.template?.kind !== 'premade') return { draft, problems: [] };
  const found = findTemplate(catalog, draft.template.id, draft.location);
  if (!found) return { draft, problems: [] };
  const content = draft.content ?? {};
  if (found.kind === 'email') {
    const problems = (['title', 'body'] as const)
      .filter((field) => content[field] !== undefined)
      .map((field) => ({ path: `content.${field}`, message: "is not used: email templates aren't customizable (only the link is yours)" }));
    if (content.callToAction?.label !== undefined && content.callToAction.label !== found.template.callToAction)
      problems.push({
        path: 'content.callToAction.label',
        message: "is not used: email templates aren't customizable (only the link is yours)",
      });
    return { draft, problems };
  }
  const text = premadeText(found.template, content.language);
  const changed =
    (content.title !== undefined && content.title !== text.title) ||
    (content.body !== undefined && content.body !== text.body) ||
    (content.callToAction?.label !== undefined && content.callToAction.label !== text.callToAction);
  if (changed) return { draft: { ...draft, template: { kind: 'custom' } }, problems: [] };
  const url = content.callToAction?.url;
  return {
    draft: {
      ...draft,
      content: { ...content, title: text.title, body: text.body, ...(url ? { callToAction: { label: text.callToAction, url } } : {}) },
    },
    problems: [],
  };
}
