/**
 * Failures of calls to outside services, worded so that the log line says which service and which address
 * failed: `fetch` and the SDKs otherwise say only "fetch failed" or "connect ECONNREFUSED". Addresses are
 * given without query or user info, which is where a secret could be.
 */

/** `https://host/path` of a URL: no query string, no user name or password. */
export function addressOf(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(an address that is not a URL)';
  }
}

/** The error's message and, for a network failure, the cause under it ("fetch failed: connect ECONNREFUSED …"). */
export function whyFailed(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const under = cause?.message ?? cause?.code;
  return under && !error.message.includes(under) ? `${error.message}: ${under}` : error.message;
}

/** A call to `service` at `address` that got no answer, or an answer that could not be read. */
export class OutsideCallFailed extends Error {
  override name = 'OutsideCallFailed';
  constructor(
    readonly service: string,
    readonly address: string,
    cause: unknown,
  ) {
    super(`${service} call to ${address} failed: ${whyFailed(cause)}`, { cause });
  }
}

/** `fetch`, failing with an OutsideCallFailed that names the service and the address. */
export async function fetchFrom(service: string, url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw new OutsideCallFailed(service, addressOf(url), error);
  }
}
