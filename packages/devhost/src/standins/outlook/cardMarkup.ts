/**
 * Where a card sits in an email's HTML, as Outlook looks for it: first a signed card, a Microdata
 * `<section itemtype="http://schema.org/SignedAdaptiveCard">` whose `signedAdaptiveCard` item holds a
 * compact JWS; else `<script type="application/adaptivecard+json">` in the `<head>`. Replies and forwards
 * carry the HTML without either.
 */
import { DomUtils, parseDocument } from 'htmlparser2';

type Document = ReturnType<typeof parseDocument>;
type Element = Parameters<typeof DomUtils.getAttributeValue>[0];

export type FoundCard =
  | { kind: 'none' }
  | { kind: 'signed'; jws: string }
  | { kind: 'script'; json: string }
  /** A script that is not in the head: Outlook does not read it. */
  | { kind: 'misplaced'; where: string };

const SIGNED_TYPES = new Set(['http://schema.org/signedadaptivecard', 'https://schema.org/signedadaptivecard']);
const CARD_SCRIPT = 'application/adaptivecard+json';

const isSignedSection = (e: Element): boolean =>
  e.name === 'section' && SIGNED_TYPES.has((DomUtils.getAttributeValue(e, 'itemtype') ?? '').trim().toLowerCase());
const isCardScript = (e: Element): boolean =>
  e.name === 'script' && (DomUtils.getAttributeValue(e, 'type') ?? '').trim().toLowerCase() === CARD_SCRIPT;

function parse(html: string): Document {
  return parseDocument(html, { lowerCaseTags: true, lowerCaseAttributeNames: true });
}

export function findCard(html: string | undefined): FoundCard {
  // Most mail carries no card: a fan-out of plain emails is not parsed at all.
  if (!html || !/adaptivecard/i.test(html)) return { kind: 'none' };
  const doc = parse(html);
  const section = DomUtils.findOne(isSignedSection, doc.children, true);
  if (section) {
    const item = DomUtils.findOne((e) => DomUtils.getAttributeValue(e, 'itemprop') === 'signedAdaptiveCard', section.children, true);
    if (item) return { kind: 'signed', jws: DomUtils.textContent(item).trim() };
  }
  const head = DomUtils.findOne((e) => e.name === 'head', doc.children, true);
  const script = head && DomUtils.findOne(isCardScript, head.children, true);
  if (script) return { kind: 'script', json: DomUtils.textContent(script) };
  if (DomUtils.findOne(isCardScript, doc.children, true)) return { kind: 'misplaced', where: 'a card <script> outside <head>' };
  return { kind: 'none' };
}

/** The HTML a reply or forward carries: the same body, with every card (signed section or script) taken out. */
export function withoutCard(html: string): string {
  const doc = parse(html);
  for (const e of DomUtils.findAll((el) => isSignedSection(el) || isCardScript(el), doc.children)) DomUtils.removeElement(e);
  return DomUtils.getOuterHTML(doc);
}
