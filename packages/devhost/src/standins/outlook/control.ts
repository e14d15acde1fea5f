/**
 * The Outlook stand-in's control API, JSON without auth under `/devhost/outlook/_control/` (errors as
 * `application/problem+json`). The dashboard:
 *   GET  providers                        every registered provider
 *   POST providers                        register one (the "New Provider" form); Test Users scope is approved at once
 *   GET  providers/{id}                   one provider
 *   POST providers/{id}/approve {"approvedBy"}   an Organization provider approved by its tenant's admin, or a Global one by Microsoft
 *   POST providers/{id}/reject {"reason"} / suspend
 *   PUT  providers/{id}/consent/{tenant} {"state": "Consented"|"Consenting"|"NotConsented"}   a Global provider's tenant consent
 *   DELETE providers/{id}
 *   GET/PUT mail-auth/{domain} {"spf": "pass", "dkim": "pass"}   how mail from a domain authenticates (default: none)
 * The mailboxes:
 *   GET  mailboxes                                    every mailbox with how many mails it holds
 *   GET  mailboxes/{address}/messages                 a mailbox's mails, oldest first (card, report, actions)
 *   GET  mailboxes/{address}/messages/{id}            one mail, not opened
 *   POST mailboxes/{address}/messages/{id}/open       opens it: runs the card's autoInvokeAction (2 s)
 *   POST mailboxes/{address}/messages/{id}/close
 *   POST mailboxes/{address}/messages/{id}/actions {"action": id or title, "inputs": {id: value}}   presses a button (15 s)
 *   POST mailboxes/{address}/messages/{id}/reply | forward {"to"}   a new mail with the HTML and no card
 *   POST reset                                        forgets every mail, and the providers and mail-auth settings not from the app's file
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { decodeSegment, readBody, sendJson, sendProblem } from '../acsEmail/http.js';
import { DashboardError, firstIssue, type Dashboard } from './dashboard.js';
import type { MailAuthentication } from './gate.js';
import { MailboxError, type Mail, type Mailboxes } from './mailboxes.js';

export const CONTROL_PATH = '/devhost/outlook/_control';

export interface ControlState {
  dashboard: Dashboard;
  mailboxes: Mailboxes;
  mailAuth: Map<string, MailAuthentication>;
  /** Forgets every mail, the API's providers and mail-auth settings, keeping what the app's file says. */
  reset: () => void;
}

const AuthResult = z.enum(['pass', 'fail', 'none']);
const MailAuthBody = z.object({ spf: AuthResult, dkim: AuthResult }).strict();
const ApproveBody = z.object({ approvedBy: z.string().trim().min(1, 'must name who approved') }).strict();
const RejectBody = z.object({ reason: z.string().trim().min(1, 'must say why') }).strict();
const ConsentBody = z.object({ state: z.enum(['NotConsented', 'Consenting', 'Consented']) }).strict();
const ClickBody = z
  .object({
    action: z.string({ error: 'must name the action (its id or title)' }).min(1, 'must name the action (its id or title)'),
    inputs: z.record(z.string(), z.string()).default({}),
  })
  .strict();
const ForwardBody = z.object({ to: z.email('must be an email address').optional() }).strict();

class BadBody extends Error {}

async function jsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const text = (await readBody(req)).toString('utf8');
  let json: unknown = {};
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      throw new BadBody('the body must be JSON');
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new BadBody(firstIssue(parsed.error));
  return parsed.data;
}

/** A mail as the control API (and the mailbox page) shows it: with the actions its card offers. */
export function mailView(mail: Mail, mailboxes: Mailboxes): Mail & { actions: ReturnType<Mailboxes['actions']> } {
  return { ...mail, actions: mailboxes.actions(mail) };
}

export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, state: ControlState): Promise<void> {
  const { dashboard, mailboxes, mailAuth } = state;
  const parts = url.pathname
    .slice(CONTROL_PATH.length + 1)
    .split('/')
    .map(decodeSegment);
  const method = req.method ?? 'GET';
  const [what, a, b, c, d] = parts;
  try {
    if (what === 'providers') {
      if (a === undefined && method === 'GET') return sendJson(res, 200, { providers: dashboard.list() });
      if (a === undefined && method === 'POST') return sendJson(res, 201, dashboard.register(await jsonBody(req, z.unknown())));
      if (a !== undefined && b === undefined && method === 'GET') {
        const provider = dashboard.get(a);
        return provider ? sendJson(res, 200, provider) : sendProblem(res, 404, 'Not Found', `no provider ${a} is registered`);
      }
      if (a !== undefined && b === undefined && method === 'DELETE') return void (dashboard.remove(a), res.writeHead(204).end());
      if (a !== undefined && method === 'POST' && b === 'approve')
        return sendJson(res, 200, dashboard.approve(a, (await jsonBody(req, ApproveBody)).approvedBy));
      if (a !== undefined && method === 'POST' && b === 'reject')
        return sendJson(res, 200, dashboard.reject(a, (await jsonBody(req, RejectBody)).reason));
      if (a !== undefined && method === 'POST' && b === 'suspend') return sendJson(res, 200, dashboard.suspend(a));
      if (a !== undefined && method === 'PUT' && b === 'consent' && c !== undefined)
        return sendJson(res, 200, dashboard.consent(a, c, (await jsonBody(req, ConsentBody)).state));
    }
    if (what === 'mail-auth' && a !== undefined && b === undefined) {
      const domain = a.toLowerCase();
      if (method === 'GET') return sendJson(res, 200, mailAuth.get(domain) ?? { spf: 'none', dkim: 'none' });
      if (method === 'PUT') {
        const body = await jsonBody(req, MailAuthBody);
        mailAuth.set(domain, body);
        return sendJson(res, 200, body);
      }
    }
    if (what === 'mailboxes') {
      if (a === undefined && method === 'GET') return sendJson(res, 200, { mailboxes: mailboxes.mailboxes() });
      if (a !== undefined && b === 'messages') {
        if (c === undefined && method === 'GET')
          return sendJson(res, 200, { messages: mailboxes.list(a).map((m) => mailView(m, mailboxes)) });
        if (c !== undefined && d === undefined && method === 'GET') return sendJson(res, 200, mailView(mailboxes.get(a, c), mailboxes));
        if (c !== undefined && method === 'POST' && d === 'open') {
          const { mail, autoInvoke } = await mailboxes.open(a, c);
          return sendJson(res, 200, { ...mailView(mail, mailboxes), ...(autoInvoke ? { autoInvoke } : {}) });
        }
        if (c !== undefined && method === 'POST' && d === 'close') return void (mailboxes.close(a, c), res.writeHead(204).end());
        if (c !== undefined && method === 'POST' && d === 'actions') {
          const body = await jsonBody(req, ClickBody);
          const { mail, outcome } = await mailboxes.click(a, c, body.action, body.inputs);
          return sendJson(res, 200, { outcome, mail: mailView(mail, mailboxes) });
        }
        if (c !== undefined && method === 'POST' && (d === 'reply' || d === 'forward')) {
          const body = await jsonBody(req, ForwardBody);
          return sendJson(res, 201, mailView(mailboxes.respond(a, c, d, body.to), mailboxes));
        }
      }
    }
    if (what === 'reset' && a === undefined && method === 'POST') {
      state.reset();
      return void res.writeHead(204).end();
    }
    return sendProblem(res, 404, 'Not Found', `no Outlook stand-in control endpoint ${method} ${url.pathname}`);
  } catch (error) {
    if (error instanceof BadBody) return sendProblem(res, 400, 'Bad Request', error.message);
    if (error instanceof DashboardError || error instanceof MailboxError)
      return sendProblem(
        res,
        error.status,
        error.status === 404 ? 'Not Found' : error.status === 400 ? 'Bad Request' : 'Conflict',
        error.message,
      );
    throw error;
  }
}
