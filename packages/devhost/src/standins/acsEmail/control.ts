/**
 * The stand-in's control API for tests and people, JSON without auth under `/devhost/acs/_control/`:
 *   GET  emails[?to=address]   what was received, in arrival order (optionally only one recipient's); emails
 *                              older than the most recent DEVHOST_ACS_KEEP_BODIES come without html and
 *                              plainText, marked `bodyNotKept: true`
 *   GET  emails/{id}           one email, whole when its body is still in memory or in the journal
 *   GET  counts                {received, succeeded, failed, throttled, quotaPerMinute, requests: {send, poll}}
 *   POST reset                 forgets every email and the counts, turns the quota off, and sends end by the first poll
 *   POST quota {"perMinute":n} accepts at most n sends a minute (null turns throttling off)
 *   POST processing {"runningPolls":n}  every send reads Running for its first n polls (0: ended by the first)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { decodeSegment, readBody, sendJson, sendProblem } from './http.js';
import { isRecipient, type EmailStore } from './store.js';
import type { Processing } from './processing.js';
import type { SendQuota } from './throttle.js';

export const CONTROL_PATH = '/devhost/acs/_control';

/** The ACS API requests the stand-in answered (whatever the answer), so a test can see what a send costs. */
export interface RequestCounts {
  send: number;
  poll: number;
}

export interface ControlState {
  store: EmailStore;
  quota: SendQuota;
  processing: Processing;
  requests: RequestCounts;
}

const QuotaBody = z.object({ perMinute: z.number().int().min(0).nullable() }).strict();
const ProcessingBody = z.object({ runningPolls: z.number().int().min(0) }).strict();

/** The request's JSON, or undefined when it is not JSON. */
async function jsonBody(req: IncomingMessage): Promise<unknown> {
  try {
    return JSON.parse((await readBody(req)).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  { store, quota, processing, requests }: ControlState,
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
      const email = store.read(id);
      return email ? sendJson(res, 200, email) : sendProblem(res, 404, 'Not Found', `no email with operation id '${id}'`);
    }
    case 'GET counts':
      return sendJson(res, 200, { ...store.counts(), throttled: quota.throttled, quotaPerMinute: quota.perMinute ?? null, requests });
    case 'POST reset':
      store.clear();
      quota.reset();
      processing.set(0);
      Object.assign(requests, { send: 0, poll: 0 } satisfies RequestCounts);
      return void res.writeHead(204).end();
    case 'POST quota': {
      const json = await jsonBody(req);
      if (json === undefined) return sendProblem(res, 400, 'Bad Request', 'the body must be JSON like {"perMinute": 30}');
      const parsed = QuotaBody.safeParse(json);
      if (!parsed.success)
        return sendProblem(res, 400, 'Bad Request', 'perMinute: must be a whole number ≥ 0, or null to turn throttling off');
      quota.set(parsed.data.perMinute ?? undefined);
      return sendJson(res, 200, { perMinute: parsed.data.perMinute });
    }
    case 'POST processing': {
      const parsed = ProcessingBody.safeParse(await jsonBody(req));
      if (!parsed.success)
        return sendProblem(res, 400, 'Bad Request', 'runningPolls: must be a whole number ≥ 0, in a JSON body like {"runningPolls": 1}');
      processing.set(parsed.data.runningPolls);
      return sendJson(res, 200, parsed.data);
    }
    default:
      return sendProblem(res, 404, 'Not Found', `no ACS stand-in control endpoint ${req.method} ${url.pathname}`);
  }
}
