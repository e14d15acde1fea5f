/**
 * A local stand-in for Azure Communication Services Email: it speaks the service's REST API on the host's
 * port (`POST /emails:send`, `GET /emails/operations/{id}`), checks the HMAC signature with the access key,
 * and keeps what it received, so `@azure/communication-email`'s `EmailClient` runs unchanged against
 * `endpoint=<host url>/;accesskey=<key>`. It also serves a control API for tests and pages for people.
 * See devhost/README.md, "Stand-in ACS Email".
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StandIn, StandInContext } from './standin.js';
import { CONTROL_PATH, handleControl, type RequestCounts } from './acsEmail/control.js';
import { BodyTooLarge, decodeSegment, readBody, sendAcsError, sendJson } from './acsEmail/http.js';
import { outcomeFor } from './acsEmail/outcome.js';
import { Processing } from './acsEmail/processing.js';
import { parseSendRequest } from './acsEmail/request.js';
import { signatureProblem } from './acsEmail/signature.js';
import { EmailStore, type ReceivedEmail } from './acsEmail/store.js';
import { SendQuota } from './acsEmail/throttle.js';
import { emailPage, listPage, VIEWER_PATH } from './acsEmail/viewer.js';
import type { OutlookStandIn } from './outlook/index.js';

/** The access key the stand-in checks signatures with unless `DEVHOST_ACS_ACCESS_KEY` names another. Not a secret. */
export const DEFAULT_ACS_ACCESS_KEY = 'ZGV2aG9zdCBBQ1MgRW1haWwgc3RhbmQtaW4gYWNjZXNzIGtleSAobm90IGEgc2VjcmV0KQ==';

/** The connection string an `EmailClient` needs to reach the stand-in on the host at `origin`. */
export const acsConnectionString = (origin: string, accessKey = DEFAULT_ACS_ACCESS_KEY): string =>
  `endpoint=${origin}/;accesskey=${accessKey}`;

const SEND_PATH = '/emails:send';
const OPERATIONS_PATH = '/emails/operations/';

function accessKey(configured: string | undefined): Buffer {
  const text = configured ?? DEFAULT_ACS_ACCESS_KEY;
  // ACS keys are base64 and the SDK signs with the decoded bytes, so a key that is not base64 could never verify.
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text) || text === '')
    throw new Error('DEVHOST_ACS_ACCESS_KEY must be a base64 string, as ACS access keys are');
  return Buffer.from(text, 'base64');
}

/** How many of the most recent emails keep their html and plain text in memory unless `DEVHOST_ACS_KEEP_BODIES` says. */
const DEFAULT_KEEP_BODIES = 2000;

function keepBodies(configured: string | undefined): number {
  if (configured === undefined || configured === '') return DEFAULT_KEEP_BODIES;
  if (!/^\d+$/.test(configured))
    throw new Error(
      `DEVHOST_ACS_KEEP_BODIES must be a whole number ≥ 0 (how many recent emails keep their bodies in memory), not '${configured}'`,
    );
  return Number(configured);
}

/** `outlook` gets every accepted email, as Exchange delivers what ACS sends, and shows its card on the email's page. */
export async function createAcsEmailStandIn(ctx: StandInContext, outlook?: Pick<OutlookStandIn, 'deliver' | 'panel'>): Promise<StandIn> {
  const key = accessKey(process.env.DEVHOST_ACS_ACCESS_KEY);
  const store = EmailStore.open(ctx.stateDir, ctx.log, keepBodies(process.env.DEVHOST_ACS_KEEP_BODIES));
  const quota = new SendQuota(() => ctx.clock.now());
  const processing = new Processing();
  const requests: RequestCounts = { send: 0, poll: 0 };

  /** Reads the body and checks the signature and api-version; answers the error and returns undefined when they fail. */
  async function checkedBody(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Buffer | undefined> {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      sendAcsError(res, 413, 'RequestBodyTooLarge', error.message);
      return undefined;
    }
    // The signature is checked against real time: the SDK signs with the machine's time, whatever the host clock says.
    const problem = signatureProblem({ method: req.method ?? 'GET', url, headers: req.headers, body }, key, Date.now());
    if (problem) {
      ctx.log(`ACS Email stand-in: refused ${req.method} ${url.pathname}: ${problem}`);
      sendAcsError(res, 401, 'Denied', `Denied by the resource provider: ${problem}.`);
      return undefined;
    }
    if (!url.searchParams.get('api-version')) {
      sendAcsError(res, 400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
      return undefined;
    }
    return body;
  }

  function accepted(res: ServerResponse, url: URL, id: string): void {
    const location = `${ctx.origin()}${OPERATIONS_PATH}${encodeURIComponent(id)}?api-version=${encodeURIComponent(url.searchParams.get('api-version')!)}`;
    sendJson(res, 202, { id, status: 'Running' }, { 'Operation-Location': location, 'Retry-After': '0', 'x-ms-request-id': randomUUID() });
  }

  async function send(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await checkedBody(req, res, url);
    if (!body) return;
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const operationId = req.headers['operation-id'];
    const id = typeof operationId === 'string' && operationId !== '' ? operationId : randomUUID();
    const earlier = store.get(id);
    if (earlier) {
      if (earlier.bodyHash === bodyHash) return accepted(res, url, id);
      return sendAcsError(res, 409, 'OperationIdConflict', `Operation-Id '${id}' was already used for a different email.`);
    }
    const parsed = parseSendRequest(body);
    if (!parsed.ok) return sendAcsError(res, 400, 'BadRequest', parsed.message, { target: parsed.target });
    const retryAfter = quota.take();
    if (retryAfter !== undefined)
      return sendAcsError(res, 429, 'TooManyRequests', `The send quota of ${quota.perMinute} emails a minute is used up.`, {
        headers: { 'Retry-After': String(retryAfter) },
      });

    const { request } = parsed;
    const to = request.recipients.to ?? [];
    const cc = request.recipients.cc ?? [];
    const bcc = request.recipients.bcc ?? [];
    const email: ReceivedEmail = {
      id,
      time: new Date(ctx.clock.now()).toISOString(),
      bodyHash,
      from: request.senderAddress,
      to,
      cc,
      bcc,
      replyTo: request.replyTo ?? [],
      subject: request.content.subject,
      ...(request.content.html === undefined ? {} : { html: request.content.html }),
      ...(request.content.plainText === undefined ? {} : { plainText: request.content.plainText }),
      headers: request.headers ?? {},
      attachments: (request.attachments ?? []).map((a) => ({
        name: a.name,
        contentType: a.contentType,
        bytes: Buffer.from(a.contentInBase64, 'base64').length,
      })),
      userEngagementTrackingDisabled: request.userEngagementTrackingDisabled ?? false,
      ...outcomeFor([...to, ...cc, ...bcc]),
    };
    store.add(email);
    if (email.status === 'Succeeded') await outlook?.deliver(email);
    accepted(res, url, id);
  }

  async function operation(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!(await checkedBody(req, res, url))) return;
    const id = decodeSegment(url.pathname.slice(OPERATIONS_PATH.length));
    const email = store.get(id);
    if (!email) return sendAcsError(res, 404, 'NotFound', `No email send operation has the id '${id}'.`);
    if (processing.stillRunning(id)) return sendJson(res, 200, { id, status: 'Running' }, { 'Retry-After': '0' });
    sendJson(res, 200, { id, status: email.status, ...(email.error ? { error: email.error } : {}) });
  }

  return {
    name: 'acs-email',
    async handle(req, res, url) {
      const path = url.pathname;
      const method = req.method ?? 'GET';
      if (path === SEND_PATH) {
        requests.send++;
        if (method === 'POST') await send(req, res, url);
        else sendAcsError(res, 405, 'MethodNotAllowed', `${method} is not allowed on ${SEND_PATH}.`, { headers: { Allow: 'POST' } });
        return true;
      }
      if (path.startsWith(OPERATIONS_PATH)) {
        requests.poll++;
        if (method === 'GET') await operation(req, res, url);
        else sendAcsError(res, 405, 'MethodNotAllowed', `${method} is not allowed on an operation.`, { headers: { Allow: 'GET' } });
        return true;
      }
      if (path.startsWith(`${CONTROL_PATH}/`)) {
        await handleControl(req, res, url, { store, quota, processing, requests });
        return true;
      }
      if (method === 'GET' && path === VIEWER_PATH) {
        listPage(res, store.all());
        return true;
      }
      if (method === 'GET' && path.startsWith(`${VIEWER_PATH}/`)) {
        const id = decodeSegment(path.slice(VIEWER_PATH.length + 1));
        emailPage(res, store.read(id), id, outlook?.panel(path, id, url.searchParams.get('as') ?? undefined));
        return true;
      }
      return false;
    },
    close() {
      store.close();
    },
  };
}
