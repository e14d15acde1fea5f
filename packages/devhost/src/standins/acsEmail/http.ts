/** Reading requests and writing answers in ACS's shapes, for the ACS Email stand-in. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** ACS's limit on a whole send request, attachments included. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge(`The request is larger than ACS's limit of ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/** ACS's error answer: `{"error":{"code","message"}}` with the code repeated in `x-ms-error-code`. */
export function sendAcsError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  options: { target?: string; headers?: Record<string, string> } = {},
): void {
  const error = { code, message, ...(options.target ? { target: options.target } : {}) };
  sendJson(res, status, { error }, { ...options.headers, 'x-ms-error-code': code });
}

/** devhost's own endpoints (control API) answer errors as RFC 9457 problems, like its admin API. */
export function sendProblem(res: ServerResponse, status: number, title: string, detail: string): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

/** A path segment decoded, or as given when it is not valid percent-encoding (it then names nothing stored). */
export function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
