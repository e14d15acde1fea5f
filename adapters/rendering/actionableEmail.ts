/**
 * One recipient's actionable email as it is sent: the provider's HTML with the card the gate let through in
 * `<head>` (its Action.Http URLs pointing at Herald's action endpoint) or with no card at all, and the
 * plain-text part read from that HTML, for clients that show no HTML.
 */
import { compile } from 'html-to-text';
import { httpActions, rewriteActions, withCard, withoutCard, type AdaptiveCard, type HttpAction } from '../../core/actionableCard.js';
import type { ActionLink } from '../runtime/actionLinks.js';

const toText = compile({ wordwrap: 100, selectors: [{ selector: 'a', options: { hideLinkHrefIfSameAsText: true } }] });

/** The card with every Action.Http sent through Herald: `urlFor` makes the URL of each, bound to the recipient. */
export function relayedCard(card: AdaptiveCard, urlFor: (link: Pick<ActionLink, 'url' | 'method' | 'kind'>) => string): AdaptiveCard {
  const actions = httpActions(card) as HttpAction[];
  const auto = card.autoInvokeAction as HttpAction | undefined;
  return rewriteActions(card, (i) =>
    urlFor({ url: actions[i]!.url, method: actions[i]!.method, kind: actions[i] === auto ? 'refresh' : 'click' }),
  );
}

export interface ActionableEmailParts {
  html: string;
  plainText: string;
}

export function actionableEmail(html: string, card: AdaptiveCard | undefined): ActionableEmailParts {
  const body = card ? withCard(html, card) : withoutCard(html);
  return { html: body, plainText: toText(withoutCard(html)) };
}
