/** Schemas of Herald's pre-made content (`templates/`), so a bad template fails a test, not a send. Pure. */
import { z } from 'zod';
import { LIMITS, LOCATIONS, OBJECTIVES } from './message.js';

export const PremadeMessage = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    objective: z.enum(OBJECTIVES),
    locations: z.array(z.enum(LOCATIONS).exclude(['email'])).min(1),
    title: z.string().min(1).max(LIMITS.title),
    body: z.string().min(1).max(LIMITS.body),
    callToAction: z.string().min(1).max(LIMITS.ctaLabel),
  })
  .strict();

/** A BCP 47 language tag as Herald stores them: `fr`, `fr-CA`, `zh-Hant-TW`. */
export const LanguageTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag like fr or fr-CA');

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
export const languagesOf = (template: EmailTemplate): string[] => [EMAIL_BASE_LANGUAGE, ...Object.keys(template.translations ?? {})];

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
