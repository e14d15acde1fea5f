/**
 * The card gate: where an actionable email's card sits in its HTML, what it must be, and — for each
 * recipient — whether it goes out with the mail or is stripped (the HTML body always goes). The checks run
 * in the order Outlook's own sender verification uses, and the first that fails is the reason recorded for
 * that recipient, with the checks that passed, as Outlook's Actionable Messages debugger shows them.
 */
import { z } from 'zod';
import { actionUrlAllowed, type Provider } from './provider.js';
import { decodeSignedCard, SignedCardRejected, verifySignedCard } from './signedCard.js';

/** Where a card was found: the signed Microdata section (looked for first), or the `<script>` in `<head>`. */
export type FoundCard = { kind: 'signed'; jws: string } | { kind: 'script'; json: string };

const SIGNED_SECTION = /<section\b[^>]*itemtype\s*=\s*["']https?:\/\/schema\.org\/SignedAdaptiveCard["'][^>]*>([\s\S]*?)<\/section>/i;
const SIGNED_DIV = /<div\b[^>]*itemprop\s*=\s*["']signedAdaptiveCard["'][^>]*>([\s\S]*?)<\/div>/i;
const CARD_SCRIPT = /<script\b[^>]*type\s*=\s*["']application\/adaptivecard\+json["'][^>]*>([\s\S]*?)<\/script>/i;
const HEAD = /<head\b[^>]*>([\s\S]*?)<\/head>/i;

/** The card of an HTML body, if it carries one where Outlook looks. */
export function findCard(html: string): FoundCard | undefined {
  const section = SIGNED_SECTION.exec(html);
  const div = section ? SIGNED_DIV.exec(section[1]!) : null;
  if (div) return { kind: 'signed', jws: div[1]!.trim() };
  const head = HEAD.exec(html);
  const script = head ? CARD_SCRIPT.exec(head[1]!) : null;
  if (script) return { kind: 'script', json: script[1]!.trim() };
  return undefined;
}

/** The HTML without any card markup: what a recipient whose card was stripped gets. */
export const withoutCard = (html: string) =>
  html.replace(new RegExp(SIGNED_SECTION.source, 'gi'), '').replace(new RegExp(CARD_SCRIPT.source, 'gi'), '');

const escapeScript = (json: string) => json.replace(/<\//g, '<\\/');

/** The HTML with its card markup replaced by `card` in a `<script>` in `<head>` (one made if there is none). */
export function withCard(html: string, card: AdaptiveCard): string {
  const script = `<script type="application/adaptivecard+json">${escapeScript(JSON.stringify(card))}</script>`;
  const bare = withoutCard(html);
  if (HEAD.test(bare)) return bare.replace(/<head\b[^>]*>/i, (open) => `${open}${script}`);
  if (/<html\b[^>]*>/i.test(bare)) return bare.replace(/<html\b[^>]*>/i, (open) => `${open}<head>${script}</head>`);
  return `<html><head>${script}</head><body>${bare}</body></html>`;
}

export const HttpAction = z.looseObject({
  type: z.literal('Action.Http'),
  title: z.string().optional(),
  method: z.enum(['GET', 'POST']),
  url: z.string().min(1),
  body: z.string().optional(),
  headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});
export type HttpAction = z.output<typeof HttpAction>;

export const AdaptiveCard = z.looseObject({
  type: z.literal('AdaptiveCard'),
  version: z.string(),
  originator: z.string().optional(),
  correlationId: z.string().optional(),
  autoInvokeAction: z.unknown().optional(),
  body: z.array(z.unknown()).optional(),
  actions: z.array(z.unknown()).optional(),
});
export type AdaptiveCard = z.output<typeof AdaptiveCard>;

/** `{type}` objects anywhere under a card: body elements, actions, ActionSets, ShowCard cards. */
function walk(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, visit));
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (typeof o.type === 'string') visit(o);
  for (const value of Object.values(o)) if (typeof value === 'object') walk(value, visit);
}

/** Every Action.Http of a card in a fixed order (the auto-invoke action first): its index is its action key. */
export function httpActions(card: AdaptiveCard): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const visit = (o: Record<string, unknown>) => {
    if (o.type === 'Action.Http') found.push(o);
  };
  walk(card.autoInvokeAction, visit);
  for (const [key, value] of Object.entries(card)) if (key !== 'autoInvokeAction') walk(value, visit);
  return found;
}

/** The card with each Action.Http's `url` replaced by `urlFor(its index)`; the card itself is not changed. */
export function rewriteActions(card: AdaptiveCard, urlFor: (index: number) => string): AdaptiveCard {
  const copy = structuredClone(card);
  httpActions(copy).forEach((action, index) => {
    action.url = urlFor(index);
  });
  return copy;
}

/** A provider as the gate reads it. */
export type GateProvider = Pick<Provider, 'id' | 'senderAddresses' | 'targetUrls' | 'publicKey'>;

export type RecipientKind = 'to' | 'cc' | 'bcc';
export interface GateRecipient {
  address: string;
  kind: RecipientKind;
}

export interface GateInput {
  html: string;
  /** The mail's From. */
  sender: string;
  recipients: readonly GateRecipient[];
  /** The provider the send is authenticated as. */
  provider: GateProvider;
  /** Why the provider is not approved and effective for a recipient (registry rules), or undefined when it is. */
  notEffectiveFor(recipient: GateRecipient): string | undefined;
  now: number;
}

/** One recipient's outcome, shaped as Outlook's debugger reports it. */
export interface CardVerdict {
  address: string;
  kind: RecipientKind;
  cardEnabled: boolean;
  /** The check that removed the card; empty when it goes. */
  errors: string[];
  /** The checks that passed, in order. */
  infos: string[];
}

export interface GateResult {
  /** The card that goes to every recipient whose verdict enables it. */
  card?: AdaptiveCard;
  found?: FoundCard['kind'];
  verdicts: CardVerdict[];
}

type Step = { ok: true; info: string } | { ok: false; error: string };
const pass = (info: string): Step => ({ ok: true, info });
const fail = (error: string): Step => ({ ok: false, error });

/** Reads the card out of the markup: a signed one's payload, or the script's JSON. */
function readCard(found: FoundCard): { card: AdaptiveCard; signed?: ReturnType<typeof decodeSignedCard> } | string {
  let raw: unknown;
  let signed: ReturnType<typeof decodeSignedCard> | undefined;
  if (found.kind === 'signed') {
    try {
      signed = decodeSignedCard(found.jws);
    } catch (error) {
      return (error as Error).message;
    }
    raw = signed.card;
  } else {
    try {
      raw = JSON.parse(found.json);
    } catch (error) {
      return `the card is not JSON: ${(error as Error).message}`;
    }
  }
  const parsed = AdaptiveCard.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `the card is not an AdaptiveCard: ${issue.path.join('.') || '(card)'} ${issue.message}`;
  }
  const actions = httpActions(parsed.data);
  for (const [i, action] of actions.entries()) {
    const a = HttpAction.safeParse(action);
    if (!a.success) return `Action.Http ${i} is not valid: ${a.error.issues[0]!.path.join('.')} ${a.error.issues[0]!.message}`;
    if (a.data.method === 'POST' && a.data.body === undefined) return `Action.Http ${i} is POST and has no body`;
  }
  return { card: parsed.data, ...(signed ? { signed } : {}) };
}

/**
 * Runs the gate for every recipient: (1) card found and parsed, (2) `originator` is the provider (or, with
 * none, the mail goes to its sender), (3) the provider is approved and effective for the recipient, (4) the
 * sender is one of its addresses, (5) a signed card verifies, (6) version 1.0 for Action.Http, (7) every
 * action URL under a target URL, (8) the recipient is in To or CC.
 */
export async function gateCard(input: GateInput): Promise<GateResult> {
  const { provider, sender, recipients } = input;
  const found = findCard(input.html);
  const everyone = (error: string, kind?: FoundCard['kind']): GateResult => ({
    ...(kind ? { found: kind } : {}),
    verdicts: recipients.map((r) => ({ address: r.address, kind: r.kind, cardEnabled: false, errors: [error], infos: [] })),
  });
  if (!found)
    return everyone('no card: neither a SignedAdaptiveCard section nor a <script type="application/adaptivecard+json"> in <head>');
  const read = readCard(found);
  if (typeof read === 'string') return everyone(read, found.kind);
  const { card, signed } = read;
  const actions = httpActions(card) as HttpAction[];
  const visible = recipients.filter((r) => r.kind !== 'bcc').map((r) => r.address);

  // Message-wide checks, in the gate's order; each recipient's own checks are slotted in between.
  let signature: Step | undefined;
  const signatureStep = async (): Promise<Step> => {
    if (found.kind !== 'signed') return pass('Card is not signed; sent as Herald verified it');
    if (!provider.publicKey) return fail('the card is signed but the provider has no public key registered');
    try {
      await verifySignedCard(found.jws, provider.publicKey, { sender, recipients: [], now: input.now });
      return pass('Card signature verified');
    } catch (error) {
      if (error instanceof SignedCardRejected) return fail(error.message);
      throw error;
    }
  };
  const originator = signed?.originator ?? card.originator;
  const versionStep =
    actions.length === 0 || card.version === '1.0'
      ? pass(`Card version ${card.version}`)
      : fail(`Action.Http needs card version 1.0, not ${card.version}: Outlook hides its buttons otherwise`);
  const outside = actions.find((a) => !actionUrlAllowed(provider, a.url));
  const targetStep = outside
    ? fail(`the action URL ${outside.url} is not under one of the provider's target URLs (HTTPS)`)
    : pass('Every action URL is under a target URL');

  const verdicts: CardVerdict[] = [];
  for (const r of recipients) {
    const infos: string[] = [`Card found (${found.kind === 'signed' ? 'SignedAdaptiveCard' : 'script in head'}) and parsed`];
    const steps: (() => Step | Promise<Step>)[] = [
      () => {
        if (!originator)
          return r.address.toLowerCase() === sender.toLowerCase()
            ? pass('Card allowed for self email.')
            : fail('the card has no originator: it is removed when sent to anyone but its sender');
        return originator.toLowerCase() === provider.id.toLowerCase()
          ? pass(`Originator ${originator}`)
          : fail(`Unknown originator ${originator}: it is not the provider sending it (${provider.id})`);
      },
      () => {
        const why = originator ? input.notEffectiveFor(r) : undefined;
        return why ? fail(why) : pass('Provider approved and effective for the recipient');
      },
      () =>
        provider.senderAddresses.some((a) => a.toLowerCase() === sender.toLowerCase())
          ? pass('Card allowed for the sender')
          : fail(`the sender ${sender} is not one of the provider's sender addresses`),
      async () => {
        signature ??= await signatureStep();
        if (!signature.ok || !signed) return signature;
        return r.kind === 'bcc' || signed.recipients.includes(r.address.toLowerCase())
          ? signature
          : fail(`recipientsSerialized does not list ${r.address}`);
      },
      () => versionStep,
      () => targetStep,
      () =>
        r.kind === 'bcc'
          ? fail('BCC recipients get no card: only To and CC do')
          : pass(`Recipient in ${r.kind.toUpperCase()} (${visible.length} visible)`),
    ];
    let error: string | undefined;
    for (const step of steps) {
      const s = await step();
      if (!s.ok) {
        error = s.error;
        break;
      }
      infos.push(s.info);
    }
    verdicts.push({ address: r.address, kind: r.kind, cardEnabled: !error, errors: error ? [error] : [], infos });
  }
  return { card, found: found.kind, verdicts };
}
