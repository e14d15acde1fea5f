/**
 * The card in the mailbox page (`/devhost/email/{id}?as=<recipient>`): the panel shows the card one
 * recipient sees, rendered in the browser by the Adaptive Cards JavaScript renderer (`adaptivecards`, with
 * `markdown-it` for TextBlock Markdown, HTML left as text), and its actions go through the stand-in's own
 * endpoint, which adds the token and calls the action URL from the server, as Outlook's service does. The
 * page then shows `CARD-ACTION-STATUS` and the refreshed card. Opening the page opens the mail (auto-invoke).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ServerResponse } from 'node:http';
import type { Mail } from './mailboxes.js';

export const ASSETS_PATH = '/devhost/outlook/assets';

const require = createRequire(import.meta.url);
const ASSETS: Record<string, () => string> = {
  'adaptivecards.js': () => readFileSync(require.resolve('adaptivecards/dist/adaptivecards.min.js'), 'utf8'),
  'markdown-it.js': () => readFileSync(require.resolve('markdown-it/browser'), 'utf8'),
  'mailbox.js': () => MAILBOX_SCRIPT,
};
const cache = new Map<string, string>();

/** Serves the renderer and the page's script; false when `name` is none of them. */
export function serveAsset(res: ServerResponse, name: string): boolean {
  const load = ASSETS[name];
  if (!load) return false;
  let text = cache.get(name);
  if (text === undefined) cache.set(name, (text = load()));
  res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=300' }).end(text);
  return true;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page's Content-Security-Policy with the card panel: its scripts and calls are the host's own. */
export const CARD_PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src http: https: data:; frame-src 'self'";

/**
 * The panel for an email's page: which recipient's mailbox it shows (links to the others) and, when that
 * recipient's mail has a card, the element the script renders it into. Undefined when no recipient's mail
 * has a card, so the page stays as it was.
 */
export function cardPanel(emailPath: string, mails: Mail[], as: string | undefined): string | undefined {
  if (!mails.some((m) => m.report.CardSource !== 'none')) return undefined;
  const shown = mails.find((m) => m.mailbox === as?.toLowerCase()) ?? mails.find((m) => m.card) ?? mails[0]!;
  const links = mails
    .map((m) =>
      m === shown
        ? `<strong>${escapeHtml(m.mailbox)}</strong>`
        : `<a href="${emailPath}?as=${encodeURIComponent(m.mailbox)}">${escapeHtml(m.mailbox)}</a>`,
    )
    .join(' · ');
  const report = `<details><summary>Card debugger</summary><pre id="outlook-report">${escapeHtml(JSON.stringify(shown.report, null, 2))}</pre></details>`;
  const body = shown.card
    ? `<div id="outlook-card" data-mailbox="${escapeHtml(shown.mailbox)}" data-mail="${escapeHtml(shown.id)}"><p class="loading">Opening…</p></div>` +
      `<p id="outlook-status" role="status"></p>` +
      `<script src="${ASSETS_PATH}/markdown-it.js"></script><script src="${ASSETS_PATH}/adaptivecards.js"></script>` +
      `<script src="${ASSETS_PATH}/mailbox.js"></script>`
    : `<p class="no-card">${escapeHtml(shown.mailbox)} sees no card: ${escapeHtml(shown.report.ActionableMessageStamping.Errors.join(' '))}</p>`;
  return `<section class="outlook"><h2>Actionable message, as Outlook shows it</h2><p>Mailbox: ${links}</p>${body}${report}</section>`;
}

export const CARD_PANEL_STYLE = `.outlook{border:1px solid #c8c8c8;padding:1rem;margin:1rem 0;max-width:40rem}
#outlook-card{border:1px solid #e1e1e1;padding:.5rem;background:#fff}#outlook-status{color:#107c10;min-height:1.2em}
#outlook-status.error{color:#a4262c}.ac-pushButton{margin:.2rem;padding:.3rem .8rem;cursor:pointer}`;

/** Runs in the browser: opens the mail, renders its card, sends presses to the control API, shows the answer. */
const MAILBOX_SCRIPT = String.raw`(function () {
  'use strict';
  var host = document.getElementById('outlook-card');
  var statusLine = document.getElementById('outlook-status');
  var base = '/devhost/outlook/_control/mailboxes/' + encodeURIComponent(host.dataset.mailbox) + '/messages/' + encodeURIComponent(host.dataset.mail);
  var md = window.markdownit({ html: false, linkify: true });
  // Outlook's own action: the renderer has it but leaves registering it to the host, as Outlook does.
  AdaptiveCards.GlobalRegistry.actions.register('Action.Http', AdaptiveCards.HttpAction);
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = function (text, result) {
    result.outputHtml = md.render(text);
    result.didProcess = true;
  };
  function show(status, isError) {
    statusLine.textContent = status || '';
    statusLine.className = isError ? 'error' : '';
  }
  function render(mail) {
    var card = new AdaptiveCards.AdaptiveCard();
    card.onExecuteAction = press;
    card.parse(mail.card);
    host.replaceChildren(card.render());
    host.dataset.rendered = String(Number(host.dataset.rendered || '0') + 1);
  }
  function inputsOf(action) {
    var values = {};
    var root = action.parent ? action.parent.getRootElement() : null;
    (root ? root.getAllInputs() : []).forEach(function (input) {
      values[input.id] = input.value === undefined || input.value === null ? '' : String(input.value);
    });
    return values;
  }
  function press(action) {
    if (action.getJsonTypeName() === 'Action.OpenUrl') return window.open(action.url, '_blank', 'noopener');
    if (action.getJsonTypeName() !== 'Action.Http') return;
    show('Working on it…', false);
    fetch(base + '/actions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: action.id, inputs: inputsOf(action) }),
    })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (!answer.outcome) return show(answer.detail || 'An error occurred. Please try again later.', true);
        var o = answer.outcome;
        if (o.kind === 'authenticate') {
          show('Sign in to continue: ', false);
          var link = document.createElement('a');
          link.href = o.url;
          link.target = '_blank';
          link.textContent = o.url;
          statusLine.appendChild(link);
          return;
        }
        if (o.kind === 'refresh') render(answer.mail);
        show(answer.mail.cardStatus, o.kind === 'error' || o.kind === 'refused');
      })
      .catch(function () { show('An error occurred. Please try again later.', true); });
  }
  fetch(base + '/open', { method: 'POST' })
    .then(function (r) { return r.json(); })
    .then(function (mail) {
      if (!mail.card) return show(mail.detail || 'This mail shows no card.', true);
      render(mail);
      if (mail.cardStatus) show(mail.cardStatus, false);
    })
    .catch(function () { show('An error occurred. Please try again later.', true); });
})();
`;
