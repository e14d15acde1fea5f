/**
 * The stand-in's control API for tests and people, JSON without auth under `/devhost/acs/_control/`:
 *   GET  emails[?to=address]   what was received, in arrival order (optionally only one recipient's)
 *   GET  emails/{id}           one email
 *   GET  counts                {received, succeeded, failed, throttled, quotaPerMinute}
 *   POST reset                 forgets every email and the throttling count, and turns the quota off
 *   POST quota {"perMinute":n} accepts at most n sends a minute (null turns throttling off)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { decodeSegment, readBody, sendJson, sendProblem } from './http.js';
import { isRecipient, type EmailStore } from './store.js';
import type { SendQuota } from './throttle.js';

export const CONTROL_PATH = '/devhost/acs/_control';

const QuotaBody = z.object({ perMinute: z.number().int().min(0).nullable() }).strict();

export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  store: EmailStore,
  quota: SendQuota,
): Promise<void> {
  const what = url.pathname.slice(CONTROL_PATH.length + 1);
  const route = `${req.method} ${what.startsWith('emails/') ? 'emails/{id}' : what}`;
  switch (route) {
    case 'GET emails': {
      const to = url.searchParams.get('to');
      return sendJson(res, 200, { emails: to ? store.all().filter((e) => isRecipient(e, to)) : store.all() });
    }
    case 'GET emails/{id}': {
      const id = decodeSegment(what.slice('emails/'.length));
      const email = store.get(id);
      return email ? sendJson(res, 200, email) : sendProblem(res, 404, 'Not Found', `no email with operation id '${id}'`);
    }
    case 'GET counts': {
      const emails = store.all();
      return sendJson(res, 200, {
        received: emails.length,
        succeeded: emails.filter((e) => e.status === 'Succeeded').length,
        failed: emails.filter((e) => e.status === 'Failed').length,
        throttled: quota.throttled,
        quotaPerMinute: quota.perMinute ?? null,
      });
    }
    case 'POST reset':
      store.clear();
      quota.reset();
      return void res.writeHead(204).end();
    case 'POST quota': {
      let json: unknown;
      try {
        json = JSON.parse((await readBody(req)).toString('utf8'));
      } catch {
        return sendProblem(res, 400, 'Bad Request', 'the body must be JSON like {"perMinute": 30}');
      }
      const parsed = QuotaBody.safeParse(json);
      if (!parsed.success)
        return sendProblem(res, 400, 'Bad Request', 'perMinute: must be a whole number ≥ 0, or null to turn throttling off');
      quota.set(parsed.data.perMinute ?? undefined);
      return sendJson(res, 200, { perMinute: parsed.data.perMinute });
    }
    default:
      return sendProblem(res, 404, 'Not Found', `no ACS stand-in control endpoint ${req.method} ${url.pathname}`);
  }
}
