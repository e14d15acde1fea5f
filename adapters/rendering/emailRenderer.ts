/**
 * Herald's pre-made emails, rendered for one recipient: the template's words in the recipient's language
 * (`core/templates` picks it), poured into the email-safe layout `templates/email/layout.html` with
 * Handlebars, which escapes every value. The plain-text part is derived from that HTML with html-to-text
 * rather than kept as a second layout, so the two parts can never say different things, and values are
 * escaped once (a text layout would need Handlebars' escaping turned off and kept off by hand).
 *
 * A fan-out sends the same template to thousands of people, and the layout and html-to-text cost far more
 * than the two values that differ (the name and the click URL). So each template and language is rendered
 * once with a marker in place of each value, and a recipient's email is the cached render with the values
 * put in: escaped as Handlebars escapes them in the HTML, and in the plain text re-wrapped the way
 * html-to-text wraps, since a longer name or URL moves line breaks. `renderEmailInFull` is the direct render
 * both must equal byte for byte.
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { compile as compileTextConverter } from 'html-to-text';
import { EmailLayoutStrings, EmailTemplates, languagesOf, pickLanguage, type EmailTemplate } from '../../core/templates.js';
import { templatesDir } from './templateCatalog.js';

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

/** The plain text's line length. */
const WRAP_COLUMNS = 78;
/** What html-to-text splits words on (its default), and so what the re-wrap splits values on. */
const TEXT_WHITESPACE = /[ \t\r\n\f\u200b]+/;
/**
 * Markers for the recipient's values in the cached render: private-use characters, which no template
 * holds, Handlebars does not escape and html-to-text keeps as they are.
 */
const NAME_MARK = '\uE000';
const URL_MARK = '\uE001';
const MARKS = /[\uE000\uE001]/g;

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
    wordwrap: WRAP_COLUMNS,
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

interface Recipient {
  template: EmailTemplate;
  language: string;
  /** The trimmed name, or undefined for the greeting without one. */
  name: string | undefined;
  clickUrl: string;
}

function recipientOf(input: EmailRenderInput): Recipient {
  const template = load().templates.get(input.templateId);
  if (!template) throw new Error(`unknown email template '${input.templateId}' (known: ${[...load().templates.keys()].join(', ')})`);
  const protocol = URL.canParse(input.clickUrl) ? new URL(input.clickUrl).protocol : undefined;
  if (protocol !== 'https:' && protocol !== 'http:') throw new Error(`clickUrl must be an absolute http(s) URL, not '${input.clickUrl}'`);
  const language = pickLanguage(input.language, languagesOf(template));
  return { template, language, name: input.recipientName?.trim() || undefined, clickUrl: input.clickUrl };
}

function renderFully({ template, language, name, clickUrl }: Recipient): RenderedEmail {
  const { strings, layout, toText } = load();
  const text = template.translations?.[language] ?? template;
  const words = strings[language] ?? strings.en!;
  const html = layout({
    language,
    subject: text.subject,
    heading: text.heading,
    // A function, so a name holding `$&` or `$'` is put in as written, not read as a replacement pattern.
    greeting: name === undefined ? words.greeting : words.greetingWithName.replace('{name}', () => name),
    paragraphs: text.paragraphs,
    callToAction: text.callToAction,
    clickUrl,
    linkHint: words.linkHint,
    footer: words.footer,
  });
  // Layout tables leave runs of empty lines in the text; one blank line between blocks reads as intended.
  return { subject: text.subject, html, plainText: toText(html).replace(/\n{3,}/g, '\n\n'), language };
}

/** The template rendered in full for one recipient, without the cache: what `renderEmail` must equal. */
export function renderEmailInFull(input: EmailRenderInput): RenderedEmail {
  return renderFully(recipientOf(input));
}

interface CachedRender {
  subject: string;
  language: string;
  /** The HTML split at the markers: static text at even indexes, a marker at odd ones. */
  html: string[];
  /** The plain text's paragraphs (it has no run of blank lines); those holding a marker are unwrapped onto one line. */
  paragraphs: { text: string; hasMark: boolean }[];
}

const cache = new Map<string, CachedRender>();

function cachedRender(recipient: Recipient): CachedRender {
  const key = `${recipient.template.id}\n${recipient.language}\n${recipient.name === undefined ? '' : 'named'}`;
  let cached = cache.get(key);
  if (!cached) {
    const marked = renderFully({ ...recipient, name: recipient.name === undefined ? undefined : NAME_MARK, clickUrl: URL_MARK });
    cached = {
      subject: marked.subject,
      language: marked.language,
      html: marked.html.split(/([\uE000\uE001])/),
      paragraphs: marked.plainText.split('\n\n').map((text) => {
        const hasMark = /[\uE000\uE001]/.test(text);
        return { text: hasMark ? text.replaceAll('\n', ' ') : text, hasMark };
      }),
    };
    cache.set(key, cached);
  }
  return cached;
}

/** Words laid out as html-to-text lays them: greedily, a word too long for any line alone on its own. */
function wrap(words: string[]): string {
  let text = '';
  let column = 0;
  for (const word of words) {
    if (column === 0) {
      text += word;
      column = word.length;
    } else if (column + 1 + word.length <= WRAP_COLUMNS) {
      text += ` ${word}`;
      column += 1 + word.length;
    } else {
      text += `\n${word}`;
      column = word.length;
    }
  }
  return text;
}

export function renderEmail(input: EmailRenderInput): RenderedEmail {
  const recipient = recipientOf(input);
  const cached = cachedRender(recipient);
  const name = recipient.name ?? '';
  // Handlebars' escaping is right in both places a value goes: text and double-quoted attributes.
  const inHtml = { [NAME_MARK]: Handlebars.escapeExpression(name), [URL_MARK]: Handlebars.escapeExpression(recipient.clickUrl) };
  let html = cached.html[0]!;
  for (let i = 1; i < cached.html.length; i += 2) html += inHtml[cached.html[i] as keyof typeof inHtml] + cached.html[i + 1]!;
  const inText = { [NAME_MARK]: name, [URL_MARK]: recipient.clickUrl };
  const plainText = cached.paragraphs
    .map(({ text, hasMark }) =>
      hasMark
        ? wrap(
            text
              .replace(MARKS, (mark) => inText[mark as keyof typeof inText])
              .split(TEXT_WHITESPACE)
              .filter(Boolean),
          )
        : text,
    )
    .join('\n\n');
  return { subject: cached.subject, html, plainText, language: cached.language };
}
