/** What `GET /api/templates` answers: Herald's pre-made messages and email templates with their words. */
import { z } from 'zod';
import { LOCATIONS, OBJECTIVES } from '../../../core/message.js';
import { LanguageTag } from '../../../core/templates.js';
import { responseComponents } from './components.js';

export const TemplateParams = z.object({
  objective: z.enum(OBJECTIVES, { error: `must be one of ${OBJECTIVES.join(', ')}` }).optional(),
  location: z.enum(LOCATIONS, { error: `must be one of ${LOCATIONS.join(', ')}` }).optional(),
});

export const PreviewParams = z.object({ language: LanguageTag.optional() });

const PremadeWords = z.object({ title: z.string(), body: z.string(), callToAction: z.string() });
const EmailWords = z.object({ subject: z.string(), heading: z.string(), paragraphs: z.array(z.string()), callToAction: z.string() });

export const TemplateView = z.object({
  id: z.string(),
  /** `premade`: a message for Windows surfaces or Teams; `email`: one of the email templates. */
  kind: z.enum(['premade', 'email']),
  objective: z.enum(OBJECTIVES),
  locations: z.array(z.enum(LOCATIONS)),
  /** The template's words in each language it has, keyed by language tag. */
  text: z.record(z.string(), z.union([PremadeWords, EmailWords])),
  /** What the writer may add: the call to action's link, and (Windows surfaces and Teams) a logo image. */
  writerMay: z.object({ link: z.boolean(), logo: z.boolean() }),
  /** Email templates: the email as recipients see it, one URL per language (`text/html`). */
  preview: z.record(z.string(), z.url()).optional(),
});

export const TemplateList = z.object({ items: z.array(TemplateView) }).register(responseComponents, {
  id: 'TemplateList',
  description:
    'Pre-made messages and email templates. A pre-made message takes its words from its template (in the message’s ' +
    '`content.language`); only the link and the logo are the writer’s, and changed words make it a custom message that needs ' +
    'approval. Email templates are not customisable: only the link is the writer’s.',
});
