/**
 * Herald's pre-made emails, rendered for one recipient: the template's words in the recipient's language
 * (`core/templates` picks it), poured into the email-safe layout `templates/email/layout.html` with
 * Handlebars, which escapes every value. The plain-text part is derived from that HTML with html-to-text
 * rather than kept as a second layout, so the two parts can never say different things, and values are
 * escaped once (a text layout would need Handlebars' escaping turned off and kept off by hand).
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { compile as compileTextConverter } from 'html-to-text';
import { EmailLayoutStrings, EmailTemplates, languagesOf, pickLanguage, type EmailTemplate } from '../core/templates.js';
import { templatesDir } from './templates.js';

export interface RenderedEmail {
  subject: string;
  html: string;
  plainText: string;
  language: string;
}

export interface EmailRenderInput {
  templateId: string;
  /** Recipient's preferred language (BCP 47); falls back to the template's base language, then English. */
  language?: string | null;
  recipientName?: string | null;
  /** The signed click-tracking URL for the call to action. */
  clickUrl: string;
}

interface Renderer {
  templates: Map<string, EmailTemplate>;
  strings: EmailLayoutStrings;
  layout: Handlebars.TemplateDelegate;
  toText: (html: string) => string;
}

let renderer: Renderer | undefined;

function load(): Renderer {
  if (renderer) return renderer;
  const dir = templatesDir();
  const read = (file: string) => readFileSync(new URL(file, dir), 'utf8');
  const { templates } = EmailTemplates.parse(JSON.parse(read('email-templates.json')));
  const strings = EmailLayoutStrings.parse(JSON.parse(read('email/strings.json')));
  // Its own Handlebars environment: no helper or partial registered elsewhere can change what is escaped.
  const layout = Handlebars.create().compile(read('email/layout.html'), { strict: true });
  const toText = compileTextConverter({
    wordwrap: 78,
    selectors: [
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      // The button already carries the link in text; the HTML-only "if the button does not work" line would repeat it.
      { selector: 'td.link-hint', format: 'skip' },
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block' },
      { selector: 'td', format: 'block' },
    ],
  });
  renderer = { templates: new Map(templates.map((t) => [t.id, t])), strings, layout, toText };
  return renderer;
}

/** The ids of the pre-made email templates with the languages each can be read in. */
export function emailTemplateLanguages(): Map<string, string[]> {
  return new Map([...load().templates.values()].map((t) => [t.id, languagesOf(t)]));
}

export function renderEmail(input: EmailRenderInput): RenderedEmail {
  const { templates, strings, layout, toText } = load();
  const template = templates.get(input.templateId);
  if (!template) throw new Error(`unknown email template '${input.templateId}' (known: ${[...templates.keys()].join(', ')})`);
  const protocol = URL.canParse(input.clickUrl) ? new URL(input.clickUrl).protocol : undefined;
  if (protocol !== 'https:' && protocol !== 'http:') throw new Error(`clickUrl must be an absolute http(s) URL, not '${input.clickUrl}'`);

  const language = pickLanguage(input.language, languagesOf(template));
  const text = template.translations?.[language] ?? template;
  const words = strings[language] ?? strings.en!;
  const name = input.recipientName?.trim();
  const html = layout({
    language,
    subject: text.subject,
    heading: text.heading,
    greeting: name ? words.greetingWithName.replace('{name}', name) : words.greeting,
    paragraphs: text.paragraphs,
    callToAction: text.callToAction,
    clickUrl: input.clickUrl,
    linkHint: words.linkHint,
    footer: words.footer,
  });
  // Layout tables leave runs of empty lines in the text; one blank line between blocks reads as intended.
  return { subject: text.subject, html, plainText: toText(html).replace(/\n{3,}/g, '\n\n'), language };
}
