/**
 * Pages for people: `/devhost/email` lists what the stand-in received, newest first, and
 * `/devhost/email/{id}` shows one email. The email's HTML is shown in a sandboxed iframe (no scripts, no
 * same-origin access), and the page's CSP forbids scripts too, since mail bodies are untrusted.
 */
import type { ServerResponse } from 'node:http';
import { CARD_PAGE_CSP, CARD_PANEL_STYLE } from '../outlook/page.js';
import type { Address, ReceivedEmail } from './store.js';

export const VIEWER_PATH = '/devhost/email';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const addresses = (list: Address[]): string => list.map((a) => (a.displayName ? `${a.displayName} <${a.address}>` : a.address)).join(', ');

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; frame-src 'self'";

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}th{background:#f4f4f4}
.Failed{color:#a4262c}.Succeeded{color:#107c10}iframe{width:100%;height:32rem;border:1px solid #ccc}
pre{white-space:pre-wrap;background:#f8f8f8;padding:1rem;border:1px solid #ddd}`;

/** `withCard`: the page carries Outlook's card panel, whose scripts are the host's own (the mail's HTML still runs none). */
function page(res: ServerResponse, status: number, title: string, body: string, withCard = false): void {
  const style = withCard ? `${STYLE}${CARD_PANEL_STYLE}` : STYLE;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${style}</style></head><body>${body}</body></html>`;
  res
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': withCard ? CARD_PAGE_CSP : CSP })
    .end(html);
}

export function listPage(res: ServerResponse, emails: ReceivedEmail[]): void {
  const rows = [...emails]
    .reverse()
    .map(
      (e) =>
        `<tr><td>${escapeHtml(e.time)}</td><td>${escapeHtml(addresses([...e.to, ...e.cc, ...e.bcc]))}</td>` +
        `<td><a href="${VIEWER_PATH}/${encodeURIComponent(e.id)}">${escapeHtml(e.subject)}</a></td>` +
        `<td class="${e.status}">${e.status}</td></tr>`,
    )
    .join('');
  const table = emails.length
    ? `<table><thead><tr><th>Time</th><th>To</th><th>Subject</th><th>Status</th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p>No email received yet.</p>';
  page(res, 200, 'Emails received', `<h1>Emails received (${emails.length})</h1>${table}`);
}

const NOT_KEPT =
  '<p class="not-kept">The body of this email is not kept: the stand-in holds the HTML and plain text of the most recent ' +
  'emails only (<code>DEVHOST_ACS_KEEP_BODIES</code>), and devhost runs without a stand-ins directory ' +
  '(<code>DEVHOST_STANDINS_DIR</code>) whose journal would have it.</p>';

/** `cardPanel`: the card a recipient sees, from the Outlook stand-in, when the email carries one. */
export function emailPage(res: ServerResponse, email: ReceivedEmail | undefined, id: string, cardPanel?: string): void {
  if (!email) return page(res, 404, 'Not found', `<h1>No email ${escapeHtml(id)}</h1><p><a href="${VIEWER_PATH}">All emails</a></p>`);
  const fields: [string, string][] = [
    ['Operation id', email.id],
    ['Received', email.time],
    ['Status', email.error ? `${email.status}: ${email.error.code} (${email.error.message})` : email.status],
    ['From', email.from],
    ['To', addresses(email.to)],
    ['Cc', addresses(email.cc)],
    ['Bcc', addresses(email.bcc)],
    ['Reply-To', addresses(email.replyTo)],
    ['Subject', email.subject],
    ['Engagement tracking', email.userEngagementTrackingDisabled ? 'disabled' : 'enabled'],
    ...Object.entries(email.headers),
    ...email.attachments.map((a): [string, string] => ['Attachment', `${a.name} (${a.contentType}, ${a.bytes} bytes)`]),
  ];
  const headers = fields
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  const html =
    email.html === undefined ? '<p>No HTML part.</p>' : `<iframe sandbox title="HTML part" srcdoc="${escapeHtml(email.html)}"></iframe>`;
  const text = email.plainText === undefined ? '<p>No plain-text part.</p>' : `<pre>${escapeHtml(email.plainText)}</pre>`;
  page(
    res,
    200,
    email.subject,
    `<p><a href="${VIEWER_PATH}">All emails</a></p><h1>${escapeHtml(email.subject)}</h1><table>${headers}</table>` +
      (cardPanel ?? '') +
      (email.bodyNotKept ? NOT_KEPT : `<h2>HTML</h2>${html}<h2>Plain text</h2>${text}`),
    cardPanel !== undefined,
  );
}
