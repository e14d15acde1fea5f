import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { DraftInput, submitProblems, type DraftInput as Draft, type SubmitContext } from '../../../core/message.js';
import { applyTemplate, EmailTemplates, findTemplate, PremadeMessages, WRITER_MAY, type TemplateCatalog } from '../../../core/templates.js';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../../templates/${file}`, import.meta.url), 'utf8')) as unknown;
/** Herald's own templates, as the app ships them. */
const catalog: TemplateCatalog = {
  premade: PremadeMessages.parse(read('premade-messages.json')).messages,
  email: EmailTemplates.parse(read('email-templates.json')).templates,
};
const NOW = Date.parse('2026-03-01T00:00:00Z');
const ctx: SubmitContext = {
  licence: 'E5',
  now: NOW,
  template: (id, location) => findTemplate(catalog, id, location)?.template,
};
const G = '11111111-2222-3333-4444-555555555555';
const complete: Draft = {
  name: 'Spring security reminder',
  objective: 'security',
  location: 'spotlight',
  urgent: false,
  template: { kind: 'custom' },
  content: { title: 'Lock your screen', body: 'Press Win+L when you step away.', language: 'en' },
  audience: { groups: [G] },
  schedule: { start: '2026-03-02T09:00:00Z', end: '2026-03-09T09:00:00Z', frequency: 'weekly' },
};
const paths = (m: Draft, c = ctx) => submitProblems(m, c).map((p) => p.path);

describe('drafts', () => {
  test('may be saved incomplete', () => {
    expect(DraftInput.safeParse({ name: 'half done' }).success).toBe(true);
  });
  test('reject unknown fields and bad values, naming the field', () => {
    const r = DraftInput.safeParse({ name: 'x', colour: 'red', content: { callToAction: { label: 'Go', url: 'http://example.com' } } });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues.some((i) => i.includes('content.callToAction.url: must be an https URL'))).toBe(true);
    expect(issues.some((i) => /colour|Unrecognized/.test(i))).toBe(true);
  });
});

describe('submitting', () => {
  test('a complete custom message has no problems', () => {
    expect(submitProblems(complete, ctx)).toEqual([]);
  });
  test('an incomplete one lists each missing part', () => {
    expect(paths({ name: 'x' })).toEqual(
      expect.arrayContaining([
        'objective',
        'location',
        'template',
        'content.title',
        'content.body',
        'audience',
        'schedule.start',
        'schedule.end',
      ]),
    );
  });
  test('the end must follow the start and lie in the future', () => {
    expect(paths({ ...complete, schedule: { start: '2026-03-02T00:00:00Z', end: '2026-03-01T00:00:00Z' } })).toEqual([
      'schedule.end',
      'schedule.end',
    ]);
  });
  test('"Teams notification channels only support recipient selection via Microsoft Entra groups" — and action segments', () => {
    expect(paths({ ...complete, location: 'teams', audience: { groups: [G], departments: ['Sales'] } })).toEqual(['audience']);
    // "Action Segments are available for … Microsoft Teams notifications", the Teams segment included.
    expect(paths({ ...complete, location: 'teams', audience: { groups: [G], segments: ['inactiveCopilotUsersInTeams'] } })).toEqual([]);
  });
  test('usage targeting: an advanced option (E3/E5), Windows surfaces only, not with email', () => {
    const usage = { groups: [G], usage: [{ product: 'copilot' as const, inactiveDays: 60 }] };
    expect(paths({ ...complete, audience: usage })).toEqual([]);
    expect(paths({ ...complete, location: 'teams', audience: usage })).toEqual(['audience']);
    expect(paths({ ...complete, audience: usage }, { ...ctx, licence: 'basic' })).toEqual(['template', 'audience']);
    expect(DraftInput.safeParse({ audience: { usage: [{ product: 'copilot', inactiveDays: 181 }] } }).success).toBe(false);
  });
  test('urgent: Taskbar or Notifications, groups only, no dates', () => {
    expect(paths({ ...complete, urgent: true })).toEqual(['location', 'schedule']);
    expect(paths({ ...complete, urgent: true, location: 'taskbar', schedule: undefined })).toEqual([]);
  });
  test('email: pre-made email templates only, no usage segments', () => {
    expect(paths({ ...complete, location: 'email', audience: { groups: [G], segments: ['inactiveCopilotUsers'] } })).toEqual([
      'template',
      'audience.segments',
    ]);
    const email = { ...complete, objective: 'onboarding' as const, location: 'email' as const, content: {} };
    expect(paths({ ...email, template: { kind: 'premade', id: 'email-welcome-assistant' } })).toEqual([]);
  });
  test('without E3/E5 only pre-made messages and group targeting', () => {
    const basic = { ...ctx, licence: 'basic' as const };
    expect(paths({ ...complete, template: { kind: 'premade', id: 'security-lock-screen' }, content: {} }, basic)).toEqual([]);
    expect(paths({ ...complete, audience: { groups: [G], locations: ['Paris'] } }, basic)).toEqual(['template', 'audience']);
  });
});

describe('the document\'s pre-made messages: "content that Microsoft partially creates … customize the message by adding your logo and URL"', () => {
  const premade: Draft = { ...complete, template: { kind: 'premade', id: 'security-lock-screen' }, content: {} };

  test("a pre-made message's words come from its template; the writer's link stays theirs", () => {
    const url = 'https://intranet.contoso.test/lock';
    const { draft, problems } = applyTemplate({ ...premade, content: { callToAction: { url } } }, catalog);
    expect(problems).toEqual([]);
    expect(draft.template).toEqual({ kind: 'premade', id: 'security-lock-screen' });
    expect(draft.content).toMatchObject({ title: 'Lock your screen when you step away', callToAction: { url } });
    expect(draft.content!.callToAction!.label).toBe(catalog.premade.find((m) => m.id === 'security-lock-screen')!.callToAction);
    expect(WRITER_MAY.premade).toEqual({ link: true, logo: true });
  });

  test("the words in the message's language when the template has it, else the template's own", () => {
    const french = catalog.premade.find((m) => m.id === 'security-lock-screen')!.translations?.fr;
    const { draft } = applyTemplate({ ...premade, content: { language: 'fr-CA' } }, catalog);
    expect(draft.content!.title).toBe(french?.title ?? 'Lock your screen when you step away');
  });

  test('words that differ from the template make it a custom message, which needs approval', () => {
    const { draft } = applyTemplate({ ...premade, content: { title: 'Lock it or lose it', body: 'Seriously.' } }, catalog);
    expect(draft.template).toEqual({ kind: 'custom' });
    expect(draft.content).toMatchObject({ title: 'Lock it or lose it' });
    // The template's words sent back unchanged keep it pre-made.
    const same = applyTemplate(premade, catalog).draft;
    expect(applyTemplate(same, catalog).draft.template).toEqual(premade.template);
  });

  test('"Pre-made messages aren\'t available for all selections in the Objective step": a template fits its objective only', () => {
    expect(submitProblems({ ...premade, objective: 'event' }, ctx)).toEqual([
      { path: 'template.id', message: 'is a template for the security objective, not event' },
    ]);
    expect(paths({ ...premade, template: { kind: 'premade', id: 'event-campus-day' } })).toEqual(['template.id']);
  });

  test('a template fits its locations only', () => {
    expect(paths({ ...premade, location: 'teams' })).toEqual(['template.id']);
  });

  test('"The email templates aren\'t customizable": nothing the email ignores is asked for, and words sent for one are refused', () => {
    const email: Draft = {
      ...complete,
      objective: 'onboarding',
      location: 'email',
      template: { kind: 'premade', id: 'email-welcome-assistant' },
    };
    expect(paths({ ...email, content: {} })).toEqual([]);
    expect(applyTemplate(email, catalog).problems.map((p) => p.path)).toEqual(['content.title', 'content.body']);
    expect(applyTemplate({ ...email, content: { callToAction: { url: 'https://contoso.test/' } } }, catalog).problems).toEqual([]);
    expect(WRITER_MAY.email).toEqual({ link: true, logo: false });
  });
});
