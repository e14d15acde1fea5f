/**
 * Teams activity-feed notifications through Microsoft Graph. The bulk call reaches up to 100 users per
 * request. Sends never retry a 429 here: the outcome carries Retry-After so the delivery limiter schedules
 * the retry (a sleeping send would hold a queue message and the tenant's quota). A 412 (token too close to
 * expiry for the bulk call) gets one retry with a fresh token.
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { SendOutcome } from '../../core/delivery.js';
import { graphClient, graphToken, noRetry } from './graphClient.js';

export interface TeamsNotification {
  /** Same chainId for the same message occurrence: Teams replaces rather than adds a resend. */
  chainId: number;
  previewText: string;
  /** Link the notification opens (the signed click redirect). */
  webUrl: string;
  /** Topic text shown with the notification. */
  topic: string;
}

export const MAX_TEAMS_RECIPIENTS = 100;
/** When a 429 comes without Retry-After (Graph's documented fallback is to back off). */
const DEFAULT_RETRY_AFTER_MS = 5_000;

function activity(n: TeamsNotification) {
  return {
    topic: { source: 'text', value: n.topic, webUrl: n.webUrl },
    activityType: 'systemDefault',
    previewText: { content: n.previewText },
    templateParameters: [{ name: 'systemDefaultText', value: n.previewText }],
    chainId: n.chainId,
  };
}

function retryAfterMs(header: string | null | undefined): number {
  if (!header) return DEFAULT_RETRY_AFTER_MS;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : DEFAULT_RETRY_AFTER_MS;
}

function outcome(error: unknown): SendOutcome {
  if (!(error instanceof GraphError) || error.statusCode < 400)
    return { status: 'failed', reason: `Teams: ${(error as Error).message}`, permanent: false };
  const reason = `Teams: ${error.statusCode} ${error.code ?? ''} ${error.message}`.replace(/\s+/g, ' ').trim();
  if (error.statusCode === 429) return { status: 'throttled', retryAfterMs: retryAfterMs(error.headers?.get('Retry-After')), reason };
  // 412 only lands here after a retry with a fresh token: worth trying again later, not dropping the recipients.
  return { status: 'failed', reason, permanent: error.statusCode < 500 && error.statusCode !== 412 };
}

async function post(tenantId: string, path: string, body: unknown): Promise<SendOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      await graphClient(tenantId).api(path).middlewareOptions([noRetry()]).post(body);
      return { status: 'sent' };
    } catch (error) {
      if (error instanceof GraphError && error.statusCode === 412 && attempt === 1) {
        try {
          await graphToken(tenantId, { fresh: true });
        } catch (tokenError) {
          return outcome(tokenError);
        }
        continue;
      }
      return outcome(error);
    }
  }
}

/** One request to up to 100 users (`sendActivityNotificationToRecipients`). */
export async function sendTeamsBulk(tenantId: string, userIds: string[], n: TeamsNotification): Promise<SendOutcome> {
  if (userIds.length === 0) return { status: 'sent' };
  if (userIds.length > MAX_TEAMS_RECIPIENTS)
    throw new RangeError(`sendTeamsBulk takes at most ${MAX_TEAMS_RECIPIENTS} recipients a call, got ${userIds.length}`);
  return post(tenantId, '/teamwork/sendActivityNotificationToRecipients', {
    ...activity(n),
    recipients: userIds.map((userId) => ({ '@odata.type': 'microsoft.graph.aadUserNotificationRecipient', userId })),
  });
}
