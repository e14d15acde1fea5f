/**
 * Outlook's decision whether a recipient sees an email's card, in the order Outlook checks (the card
 * found, parsed, its originator, the provider approved and effective for this recipient, the sender
 * registered, SPF/DKIM or a valid signature, a visible recipient), with the reasons recorded as the
 * Actionable Messages debugger reports them: `CardEnabledForMessage`, `Originator` and
 * `ActionableMessageStamping` `{Infos, Errors}`. The first failing check drops the card.
 */
import type { Provider, Recipient } from './dashboard.js';
import { notEffectiveReason } from './dashboard.js';
import type { FoundCard } from './cardMarkup.js';
import { readSignedPayload, signatureProblem } from './cardSignature.js';
import { forOutlook, parseCard, type Json } from './outlookCard.js';

export interface MailAuthentication {
  spf: 'pass' | 'fail' | 'none';
  dkim: 'pass' | 'fail' | 'none';
}

export interface GateReport {
  CardEnabledForMessage: boolean;
  Originator: string | null;
  CardSource: 'signed' | 'script' | 'none';
  AuthHeader: { results: string; authAs: 'Anonymous' };
  ActionableMessageStamping: { Infos: string[]; Errors: string[] };
}

export interface GateInput {
  found: FoundCard;
  from: string;
  recipient: Recipient & { kind: 'to' | 'cc' | 'bcc' };
  mailAuth: MailAuthentication;
  provider: (originator: string) => Provider | undefined;
  now: number;
}

export interface GateResult {
  report: GateReport;
  /** The card as shown (Outlook's rendering rules applied), when it is enabled. */
  card?: Json;
  provider?: Provider;
}

export async function gate(input: GateInput): Promise<GateResult> {
  const { found, from, recipient, mailAuth } = input;
  const infos: string[] = [];
  const errors: string[] = [];
  const report: GateReport = {
    CardEnabledForMessage: false,
    Originator: null,
    CardSource: found.kind === 'signed' || found.kind === 'script' ? found.kind : 'none',
    AuthHeader: {
      results: `spf=${mailAuth.spf} smtp.mailfrom=${domainOf(from)}; dkim=${mailAuth.dkim} header.d=${domainOf(from)}`,
      authAs: 'Anonymous',
    },
    ActionableMessageStamping: { Infos: infos, Errors: errors },
  };
  const drop = (reason: string): GateResult => {
    errors.push(reason);
    return { report };
  };

  // 1. Find the card.
  if (found.kind === 'none')
    return drop('No card found: neither a SignedAdaptiveCard section nor a <script type="application/adaptivecard+json"> in <head>.');
  if (found.kind === 'misplaced') return drop(`No card read: ${found.where} (the card script must be in <head>).`);

  // 2. Parse it.
  const signed = found.kind === 'signed' ? readSignedPayload(found.jws) : undefined;
  if (signed && 'error' in signed) return drop(signed.error);
  const parsed = parseCard(signed ? signed.card : (found as { json: string }).json);
  if ('error' in parsed) return drop(parsed.error);
  const originator = typeof parsed.card.originator === 'string' && parsed.card.originator !== '' ? parsed.card.originator : undefined;
  report.Originator = originator ?? null;
  if (signed && signed.originator !== originator)
    return drop(`The signed card's originator (${signed.originator}) is not the card's (${originator}).`);

  const self = recipient.address.toLowerCase() === from.toLowerCase();
  let provider: Provider | undefined;
  if (!originator) {
    // 3. No originator: only a mail to oneself keeps its card.
    if (!self) return drop('Card removed: the card has no originator and the mail is not to its sender.');
    infos.push('Card allowed for self email.');
  } else {
    // 4. The provider, approved and effective for this recipient.
    provider = input.provider(originator);
    if (!provider) return drop('Unknown originator, no config fetched.');
    const notYet = notEffectiveReason(provider, recipient, input.now);
    if (notYet) return drop(notYet);
    // 5. The sender is one of the provider's.
    if (!provider.senderAddresses.includes(from.toLowerCase()))
      return drop(`Sender ${from} is not a sender address of provider ${provider.id} (${provider.senderAddresses.join(', ')}).`);
    // 6. SPF and DKIM pass, or the signature verifies.
    if (signed) {
      const problem = await signatureProblem(found.kind === 'signed' ? found.jws : '', signed, {
        publicKeyRsaXml: provider.publicKeyRsaXml,
        from,
        recipient: recipient.address,
        nowSeconds: Math.floor(input.now / 1000),
      });
      if (problem) return drop(problem);
      infos.push('Signed card verified with the provider public key.');
    } else if (mailAuth.spf !== 'pass' || mailAuth.dkim !== 'pass') {
      return drop(`Sender authentication failed (spf=${mailAuth.spf}, dkim=${mailAuth.dkim}) and the card is not signed.`);
    }
    infos.push('Card allowed for the sender');
  }
  // 7. A visible recipient.
  if (recipient.kind === 'bcc') return drop('No card for a Bcc recipient.');

  const shown = forOutlook(parsed.card);
  infos.push(...shown.notes);
  report.CardEnabledForMessage = true;
  return { report, card: shown.card, ...(provider ? { provider } : {}) };
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
