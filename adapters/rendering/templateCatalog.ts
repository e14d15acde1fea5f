/** Herald's pre-made content, read once from `templates/` (shipped with the app). */
import { existsSync, readFileSync } from 'node:fs';
import { EmailTemplates, PremadeMessages } from '../../core/templates.js';
import type { Location } from '../../core/message.js';

/** `templates/` at the app's root, seen from this file whether it runs from source or from `dist/`. */
export function templatesDir(): URL {
  const candidates = [new URL('../../templates/', import.meta.url), new URL('../../../templates/', import.meta.url)];
  const found = candidates.find((dir) => existsSync(new URL('email-templates.json', dir)));
  if (!found) throw new Error(`templates not found in ${candidates.map((c) => c.pathname).join(' or ')}`);
  return found;
}

let cache: { premade: ReturnType<typeof PremadeMessages.parse>; email: ReturnType<typeof EmailTemplates.parse> } | undefined;

function load() {
  const read = (file: string) => JSON.parse(readFileSync(new URL(file, templatesDir()), 'utf8')) as unknown;
  cache ??= { premade: PremadeMessages.parse(read('premade-messages.json')), email: EmailTemplates.parse(read('email-templates.json')) };
  return cache;
}

/** Ids of the pre-made templates a message at `location` may use. */
export function premadeIdsFor(location: Location | undefined): Set<string> {
  const { premade, email } = load();
  if (location === 'email') return new Set(email.templates.map((t) => t.id));
  return new Set(premade.messages.filter((m) => !location || (m.locations as string[]).includes(location)).map((m) => m.id));
}
