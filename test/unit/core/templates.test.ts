import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { OBJECTIVES } from '../../../core/message.js';
import { EmailTemplates, PremadeMessages } from '../../../core/templates.js';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../../templates/${file}`, import.meta.url), 'utf8')) as unknown;

test('pre-made messages are valid, unique, and cover every objective', () => {
  const { messages } = PremadeMessages.parse(read('premade-messages.json'));
  expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
  expect(new Set(messages.map((m) => m.objective))).toEqual(new Set(OBJECTIVES));
});

test('there are exactly eight valid email templates with unique ids', () => {
  const { templates } = EmailTemplates.parse(read('email-templates.json'));
  expect(new Set(templates.map((t) => t.id)).size).toBe(8);
});
