/**
 * Herald's pre-made content, `/api/templates`: the pre-made messages and email templates a writer can pick,
 * filtered by objective and location, with their words in each language, what the writer may add, and
 * (email) a preview of the email in each language. The rules that use them are `core/templates.ts`.
 */
import type { z } from 'zod';
import { renderEmail } from '../../adapters/rendering/emailRenderer.js';
import { templateCatalog } from '../../adapters/rendering/templateCatalog.js';
import { languagesOf, premadeText, WRITER_MAY } from '../../core/templates.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { PreviewParams, TemplateList, TemplateParams, type TemplateView } from './schemas/templateSchemas.js';

/** The preview's call to action goes nowhere: it is a picture of the email, not a send. */
const PREVIEW_LINK = 'https://example.invalid/your-link';

function list(request: { url: string }, { objective, location }: z.output<typeof TemplateParams>): z.output<typeof TemplateList> {
  const { premade, email } = templateCatalog();
  const fits = (t: { objective: string }) => !objective || t.objective === objective;
  const items: z.output<typeof TemplateView>[] = [];
  if (location !== 'email')
    for (const m of premade.filter((m) => fits(m) && (!location || m.locations.includes(location))))
      items.push({
        id: m.id,
        kind: 'premade',
        objective: m.objective,
        locations: m.locations,
        text: Object.fromEntries(languagesOf(m).map((language) => [language, premadeText(m, language)])),
        writerMay: WRITER_MAY.premade,
      });
  if (!location || location === 'email')
    for (const t of email.filter(fits)) {
      const languages = languagesOf(t);
      items.push({
        id: t.id,
        kind: 'email',
        objective: t.objective,
        locations: ['email'],
        text: Object.fromEntries(
          languages.map((language) => {
            const { subject, heading, paragraphs, callToAction } = t.translations?.[language] ?? t;
            return [language, { subject, heading, paragraphs, callToAction }];
          }),
        ),
        writerMay: WRITER_MAY.email,
        preview: Object.fromEntries(
          languages.map((language) => [language, new URL(`/api/templates/${t.id}/preview?language=${language}`, request.url).toString()]),
        ),
      });
    }
  return { items };
}

route({
  name: 'templates',
  route: 'templates',
  tag: 'messages',
  method: 'GET',
  operationId: 'listTemplates',
  summary: 'The pre-made messages and email templates, with their words in each language',
  role: 'message.read',
  query: TemplateParams,
  response: { status: 200, description: 'The templates that fit the filters.', schema: TemplateList },
  problems: [],
  handler: async ({ request, query }) => ({ jsonBody: list(request, query()) }),
});

route({
  name: 'templatePreview',
  route: 'templates/{id}/preview',
  tag: 'messages',
  params: { id: 'An email template id.' },
  method: 'GET',
  operationId: 'previewEmailTemplate',
  summary: 'An email template as recipients see it',
  description: 'In `language` (default: the template’s own), greeting a sample recipient; the button’s link is a placeholder.',
  role: 'message.read',
  query: PreviewParams,
  response: { status: 200, description: 'The email’s HTML.', content: { 'text/html': {} } },
  problems: ['not-found'],
  handler: async ({ params, query }) => {
    const template = templateCatalog().email.find((t) => t.id === params.id);
    if (!template) throw new Problem('not-found', `there is no email template ${params.id}`);
    const { language } = query();
    const email = renderEmail({ templateId: template.id, language, recipientName: 'Alex Wilber', clickUrl: PREVIEW_LINK });
    return { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'private, max-age=300' }, body: email.html };
  },
});
