import { describe, expect, test } from 'vitest';
import { emailTemplateLanguages, renderEmail } from '../../../adapters/emailRender.js';

const CLICK = 'https://herald.example/c/m-42?u=ann%40contoso.example&sig=a1b2=';
const render = (language?: string | null, recipientName?: string | null, templateId = 'email-welcome-assistant') =>
  renderEmail({ templateId, language, recipientName, clickUrl: CLICK });

/** Attribute and text values as a browser reads them back from the HTML. */
const decode = (html: string) =>
  html.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot);/gi, (_, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(Number(e[1] === 'x' ? `0${e.slice(1)}` : e.slice(1)))
      : { amp: '&', lt: '<', gt: '>', quot: '"' }[e]!,
  );
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => decode(m[1]!));

describe('language', () => {
  test.each([
    ['fr', 'fr', 'Découvrez votre assistant IA au travail'],
    ['fr-CA', 'fr', 'Découvrez votre assistant IA au travail'],
    ['DE-at', 'de', 'Lernen Sie Ihren KI-Assistenten bei der Arbeit kennen'],
    ['es-MX', 'en', 'Meet your AI assistant at work'],
    [null, 'en', 'Meet your AI assistant at work'],
  ])('%s is written in %s', (requested, language, subject) => {
    const email = render(requested);
    expect(email).toMatchObject({ language, subject });
    expect(email.html).toContain(`<html lang="${language}">`);
    expect(email.html).toContain(`<title>${subject}</title>`);
  });

  test('the layout speaks the same language as the template', () => {
    const email = render('de', 'Jonas');
    expect(email.plainText).toContain('Hallo Jonas,');
    expect(email.plainText).toContain('Sie erhalten diese E-Mail, weil Ihre Organisation Herald nutzt');
  });
});

test('a name with markup is escaped in the HTML and kept as plain text in the text part', () => {
  const email = render('en', 'Ann <script>alert("x")</script> & Co');
  expect(email.html).not.toContain('<script');
  expect(email.html).toContain('Hello Ann &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co,');
  expect(email.plainText).toContain('Hello Ann <script>alert("x")</script> & Co,');
});

test('without a name the greeting is generic', () => {
  expect(render('fr', '  ').plainText).toMatch(/^Bonjour,$/m);
});

test('the click URL survives escaping: it is the button and fallback link in HTML and appears whole in the text', () => {
  const email = render('en', 'Ann');
  expect(hrefs(email.html)).toEqual([CLICK, CLICK]);
  // The URL is never split, though the line before it may wrap.
  expect(email.plainText).toMatch(/^\[https:\S+\]$/m);
  expect(email.plainText.replace(/\s+/g, ' ')).toContain(`Try your first prompt [${CLICK}]`);
});

test('the plain text carries the heading, every paragraph, and the footer saying why it came', () => {
  const { plainText } = render('en');
  expect(plainText).toContain('Your assistant is ready');
  expect(plainText).toContain('Ask it to draft a reply, summarise a long thread');
  expect(plainText).toContain('You are receiving this email because your organisation uses Herald');
  expect(plainText).not.toMatch(/\n{3,}/);
});

test('an unknown template or a non-http click URL is refused with a clear error', () => {
  expect(() => render('en', null, 'email-nope')).toThrow(/unknown email template 'email-nope'/);
  expect(() => renderEmail({ templateId: 'email-journey-data', clickUrl: 'javascript:alert(1)' })).toThrow(
    /clickUrl must be an absolute http\(s\) URL/,
  );
});

test('every template renders in every language it declares, fr and de included', () => {
  const templates = emailTemplateLanguages();
  expect(templates.size).toBe(8);
  for (const [templateId, languages] of templates) {
    expect(languages).toEqual(expect.arrayContaining(['en', 'fr', 'de']));
    const subjects = new Set<string>();
    for (const language of languages) {
      const email = renderEmail({ templateId, language, recipientName: 'Ann', clickUrl: CLICK });
      expect(email.language).toBe(language);
      expect(hrefs(email.html)).toContain(CLICK);
      expect(email.plainText).toContain(CLICK);
      subjects.add(email.subject);
    }
    expect(subjects.size, `${templateId} has a distinct subject per language`).toBe(languages.length);
  }
});
