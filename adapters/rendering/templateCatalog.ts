/** Herald's pre-made content, read once from `templates/` (shipped with the app). */
import { existsSync, readFileSync } from 'node:fs';
import { EmailTemplates, PremadeMessages, type TemplateCatalog } from '../../core/templates.js';

/** `templates/` at the app's root, seen from this file whether it runs from source or from `dist/`. */
export function templatesDir(): URL {
  const candidates = [new URL('../../templates/', import.meta.url), new URL('../../../templates/', import.meta.url)];
  const found = candidates.find((dir) => existsSync(new URL('email-templates.json', dir)));
  if (!found) throw new Error(`templates not found in ${candidates.map((c) => c.pathname).join(' or ')}`);
  return found;
}

let cache: TemplateCatalog | undefined;

/** Herald's pre-made messages and email templates, read once. */
export function templateCatalog(): TemplateCatalog {
  const read = (file: string) => JSON.parse(readFileSync(new URL(file, templatesDir()), 'utf8')) as unknown;
  cache ??= {
    premade: PremadeMessages.parse(read('premade-messages.json')).messages,
    email: EmailTemplates.parse(read('email-templates.json')).templates,
  };
  return cache;
}
