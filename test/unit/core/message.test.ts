import { describe, expect, test } from 'vitest';
import { DraftInput, submitProblems, type DraftInput as Draft } from '../../../core/message.js';

const NOW = Date.parse('2026-03-01T00:00:00Z');
const ctx = { licence: 'E5' as const, now: NOW, premadeIds: new Set(['welcome']) };
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
    expect(paths({ ...complete, location: 'email', template: { kind: 'premade', id: 'welcome' } })).toEqual([]);
  });
  test('without E3/E5 only pre-made messages and group targeting', () => {
    const basic = { ...ctx, licence: 'basic' as const };
    expect(paths({ ...complete, audience: { groups: [G], locations: ['Paris'] } }, basic)).toEqual(['template', 'audience']);
  });
});
