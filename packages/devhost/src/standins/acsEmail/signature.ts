/**
 * ACS's HMAC-SHA256 request signature, checked the way the service checks what
 * `@azure/communication-common` signs: the body hash, the signed headers, and the date.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** ACS refuses a request whose x-ms-date is further than this from its own (real) time. */
export const MAX_DATE_SKEW_MS = 15 * 60 * 1000;

const REQUIRED_SIGNED_HEADERS = ['x-ms-date', 'host', 'x-ms-content-sha256'];
const AUTHORIZATION = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/;

export interface SignedRequest {
  method: string;
  /** The request path and query as received (`/emails:send?api-version=…`). */
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/** Why the request's signature is not valid for `key` (the decoded access key), or undefined when it is. */
export function signatureProblem(request: SignedRequest, key: Buffer, now: number): string | undefined {
  const match = AUTHORIZATION.exec(header(request.headers, 'authorization') ?? '');
  if (!match) return 'the Authorization header is missing or is not "HMAC-SHA256 SignedHeaders=…&Signature=…"';
  const signedHeaders = match[1]!.toLowerCase().split(';');
  const missing = REQUIRED_SIGNED_HEADERS.filter((h) => !signedHeaders.includes(h));
  if (missing.length) return `SignedHeaders must include ${missing.join(', ')}`;

  const contentHash = createHash('sha256').update(request.body).digest('base64');
  if (header(request.headers, 'x-ms-content-sha256') !== contentHash) return 'x-ms-content-sha256 does not match the body';

  const date = Date.parse(header(request.headers, 'x-ms-date') ?? '');
  if (!Number.isFinite(date)) return 'x-ms-date is missing or not an HTTP date';
  if (Math.abs(now - date) > MAX_DATE_SKEW_MS) return 'x-ms-date is more than 15 minutes away from the current time';

  const values = signedHeaders.map((name) => header(request.headers, name) ?? '');
  const query = request.url.searchParams.toString();
  const pathAndQuery = query ? `${request.url.pathname}?${query}` : request.url.pathname;
  const stringToSign = `${request.method.toUpperCase()}\n${pathAndQuery}\n${values.join(';')}`;
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  const presented = Buffer.from(match[2]!, 'base64');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return 'the signature does not match';
  return undefined;
}
