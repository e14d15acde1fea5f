/**
 * `GET /api/messages/{id}/preview`: a message's email as its recipients will get it, rendered by the same
 * renderer and templates the delivery uses (adapters/rendering/emailRenderer), so the console's preview is
 * the real email rather than a look-alike. Only the click link differs: a preview must not mint a tracked one.
 */
import { renderEmail } from '../../adapters/rendering/emailRenderer.js';
import { z } from 'zod';
import { LanguageTag } from '../../core/templates.js';
import { existing } from './messageAccess.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { MESSAGE_PARAMS } from './schemas/messageSchemas.js';

/** The link the delivery would wrap in click tracking; without one, a placeholder (it is a picture, not a send). */
const PLACEHOLDER_LINK = 'https://example.invalid/your-link';

const MessagePreviewParams = z
  .object({
    channel: z.enum(['email']).default('email'),
    language: LanguageTag.optional(),
  })
  .strict();

route({
  name: 'messagePreview',
  route: 'messages/{id}/preview',
  tag: 'messages',
  params: MESSAGE_PARAMS,
  method: 'GET',
  operationId: 'previewMessage',
  summary: 'A message’s email as recipients will see it',
  description:
    'The email rendered from Herald’s template in `language` (a recipient’s preferred language; the template’s own, then ' +
    'English, when it has no such translation: `Content-Language` says which), greeting the caller; the button links to ' +
    'the message’s own link. 404 for a message that does not go by email.',
  role: 'message.read',
  query: MessagePreviewParams,
  response: { status: 200, description: 'The email’s HTML.', content: { 'text/html': {} } },
  problems: ['validation', 'not-found'],
  handler: async ({ caller, params, query }) => {
    const message = await existing(caller, params.id);
    const { language } = query();
    const template = message.draft.template;
    if (message.draft.location !== 'email' || template?.kind !== 'premade')
      throw new Problem('not-found', `message ${params.id} does not go by email: it has no email to preview`);
    const email = renderEmail({
      templateId: template.id,
      language: language ?? message.draft.content?.language,
      recipientName: caller.name,
      clickUrl: message.draft.content?.callToAction?.url ?? PLACEHOLDER_LINK,
    });
    return {
      headers: { 'content-type': 'text/html; charset=utf-8', 'content-language': email.language, 'cache-control': 'private, no-cache' },
      body: email.html,
    };
  },
});
