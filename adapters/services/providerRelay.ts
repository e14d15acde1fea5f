/**
 * Relays an action to the provider's target URL: the body Outlook sent, with a JWS Herald signs (RS256,
 * the key `GET /api/actionable/keys` publishes) in `Authorization`, naming the send, the recipient who
 * acted, the action and a hash of the body, so the provider can trust them without trusting the network.
 * The provider's answer comes back as Outlook's reply protocol has it: the status, `CARD-ACTION-STATUS`,
 * and the refresh card when it says `CARD-UPDATE-IN-BODY: true`. Bounded in time: Outlook waits 2 s for a
 * refresh on open, and Herald answers every action within that.
 */
import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { addressOf, whyFailed } from '../runtime/outsideCalls.js';

export interface RelayRequest {
  url: string;
  method: 'GET' | 'POST';
  body: string;
  contentType?: string;
  actionRequestId?: string;
  correlationId?: string;
  /** Who and what the provider is told about, signed. */
  claims: { providerId: string; tenantId: string; sendId: string; recipient: string; actor: string; kind: 'click' | 'refresh' };
}

export type RelayResult =
  { answered: true; status: number; cardActionStatus?: string; refresh?: string } | { answered: false; reason: string };

export interface ProviderRelayDeps {
  sign(claims: JWTPayload, now: number): Promise<string>;
  /** Herald's address: the issuer of what it signs. */
  issuer(): string;
  fetch: typeof fetch;
  now(): number;
  timeoutMs: number;
}

/** What is signed for the provider: also its test vector (bench, tests). */
export const relayClaims = (r: RelayRequest, issuer: string): JWTPayload => ({
  iss: issuer,
  aud: r.claims.providerId,
  sub: r.claims.actor,
  tid: r.claims.tenantId,
  sendId: r.claims.sendId,
  recipient: r.claims.recipient,
  kind: r.claims.kind,
  action: `${r.method} ${r.url}`,
  bodySha256: createHash('sha256').update(r.body).digest('base64url'),
  ...(r.actionRequestId ? { actionRequestId: r.actionRequestId } : {}),
});

export function createProviderRelay(deps: ProviderRelayDeps) {
  return async function relay(r: RelayRequest): Promise<RelayResult> {
    const jws = await deps.sign(relayClaims(r, deps.issuer()), deps.now());
    const headers: Record<string, string> = { authorization: `Bearer ${jws}` };
    if (r.method === 'POST') headers['content-type'] = r.contentType ?? 'application/json';
    if (r.actionRequestId) headers['action-request-id'] = r.actionRequestId;
    if (r.correlationId) headers['card-correlation-id'] = r.correlationId;
    let response: Response;
    try {
      response = await deps.fetch(r.url, {
        method: r.method,
        headers,
        ...(r.method === 'POST' ? { body: r.body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
    } catch (error) {
      const late = (error as Error).name === 'TimeoutError';
      return {
        answered: false,
        reason: late ? `${addressOf(r.url)} did not answer within ${deps.timeoutMs} ms` : `${addressOf(r.url)}: ${whyFailed(error)}`,
      };
    }
    const text = await response.text().catch(() => '');
    if (response.status >= 500 || (response.status >= 300 && response.status < 400))
      return { answered: false, reason: `${addressOf(r.url)} answered ${response.status}` };
    const cardActionStatus = response.headers.get('card-action-status') ?? undefined;
    const refresh =
      response.status === 200 && response.headers.get('card-update-in-body')?.trim().toLowerCase() === 'true' ? text : undefined;
    return {
      answered: true,
      status: response.status,
      ...(cardActionStatus !== undefined ? { cardActionStatus } : {}),
      ...(refresh !== undefined ? { refresh } : {}),
    };
  };
}
