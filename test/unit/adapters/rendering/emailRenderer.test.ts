import { describe, expect, test } from 'vitest';
import { emailTemplateLanguages, renderEmail, renderEmailInFull } from '../../../../adapters/rendering/emailRenderer.js';

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

test('a name holding $ patterns is written as given, not read as a replacement pattern', () => {
  expect(render('en', "Ann $' $& $$ Lee").plainText).toMatch(/^Hello Ann \$' \$& \$\$ Lee,$/m);
});

describe('each recipient gets exactly the email a full render would make', () => {
  const names = [
    null,
    '   ',
    'Ann',
    `Ann <b>Lee</b> & "Co" 'x' \`y\` =z`,
    '&amp; &lt;not a tag&gt;',
    'Zoë Ñúñez-Çelik',
    '李小龙',
    'محمد عبد الله',
    'Дмитрий Дмитриевич Шостакович',
    '👩🏽‍💻 Ada',
    '  Ann \t\n  Lee  ',
    '\u200bAnn\u200b Lee',
    'Ann\u00a0Lee',
    "Ann $' $& $$ Lee",
    // Long enough to wrap the greeting, and one word too long for any line.
    'Maximiliane Alexandra Katharina Friederike von und zu Hohenzollern-Sigmaringen',
    'X'.repeat(90),
  ];
  const urls = [
    CLICK,
    'http://a.example/?a=1&b=2',
    'https://herald.example/c/m-1?q="quoted"&r=<x>&s=\'y\'',
    'https://herald.example/c/a b?c=d e',
    `https://herald.example/c/m-42?u=ann%40contoso.example&sig=${'k'.repeat(120)}`,
  ];
  // Around each place the call to action and its [URL] stop fitting on one line.
  const lengths = Array.from({ length: 30 }, (_, i) => `https://h.example/?a=1&b=${'x'.repeat(i + 30)}`);

  test.each([...emailTemplateLanguages()])('%s, in every language', (templateId, languages) => {
    for (const language of languages) {
      for (const [recipientName, clickUrl] of [
        ...names.flatMap((name) => urls.map((url) => [name, url] as const)),
        ...lengths.map((url) => ['Ann', url] as const),
      ]) {
        const input = { templateId, language, recipientName, clickUrl };
        expect(renderEmail(input), JSON.stringify(input)).toEqual(renderEmailInFull(input));
      }
    }
  });

  test('the click URL and a long name wrap in the text as html-to-text wraps them', () => {
    const long = `https://h.example/?a=1&b=${'x'.repeat(60)}`;
    const email = render('en', 'Maximiliane Alexandra Katharina Friederike von und zu Hohenzollern-Sigmaringen');
    expect(email.plainText).toMatch(/^Hello Maximiliane .* von und zu\nHohenzollern-Sigmaringen,$/m);
    expect(renderEmail({ templateId: 'email-welcome-assistant', clickUrl: long }).plainText).toContain(`Try your first prompt\n[${long}]`);
    const short = 'https://h.example/?a=1&b=2';
    expect(renderEmail({ templateId: 'email-welcome-assistant', clickUrl: short }).plainText).toContain(`Try your first prompt [${short}]`);
  });
});
