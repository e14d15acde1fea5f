/**
 * Reading requests and writing answers for the push stand-in. Its TLS port serves HTTP/2 (APNs) and
 * HTTP/1.1 (firebase-admin's legacy transport, Google's token endpoint) through the same handlers, so these
 * helpers take the shape both `node:http` and `node:http2`'s compatibility API share.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** What the handlers read of a request, from an HTTP/1.1 `IncomingMessage` or an HTTP/2 `Http2ServerRequest`. */
export interface PushRequest extends AsyncIterable<unknown> {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersionMajor: number;
}

/** What the handlers write of a response, on either protocol. */
export interface PushResponse {
  readonly headersSent: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  end(): unknown;
  end(body: string | Buffer): unknown;
}

/** An answer as data: the handlers return one and the router writes it, so each handler stays a plain function. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** JSON-encoded unless a string; nothing for an empty body. */
  body?: unknown;
}

export class BodyTooLarge extends Error {}

export async function readBody(req: AsyncIterable<unknown>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > limit) throw new BodyTooLarge(`the request is larger than ${limit} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

export function write(res: PushResponse, answer: Answer): void {
  if (answer.body === undefined) {
    res.writeHead(answer.status, answer.headers ?? {});
    res.end();
    return;
  }
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8', ...answer.headers });
  res.end(text);
}

/** devhost's own endpoints (the control API) answer errors as RFC 9457 problems, like its admin API. */
export function problem(status: number, title: string, detail: string): Answer {
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: 'about:blank', title, status, detail }),
  };
}

/** The host the client asked for (HTTP/2 `:authority` or HTTP/1.1 `Host`), lower case and without its port. */
export function requestedHost(headers: IncomingHttpHeaders): string {
  const authority = (headers[':authority'] as string | undefined) ?? headers.host ?? '';
  return authority
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
}

/** One header's value as a string (the first, if it was repeated), or undefined. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Seconds since the epoch on the machine's clock: the client libraries sign their tokens with it, whatever devhost's clock says. */
export const realSeconds = (): number => Math.floor(Date.now() / 1000);

/** A path segment decoded, or as given when it is not valid percent-encoding (it then names nothing valid). */
export function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
