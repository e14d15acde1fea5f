/**
 * Teams activity-feed notifications: `POST /users/{id|upn}/teamwork/sendActivityNotification` (204) and
 * `POST /teamwork/sendActivityNotificationToRecipients` (202, at most 100 recipients, and a token at least
 * 45 minutes from expiry, else 412). Bodies are checked as Graph checks them; what is accepted goes to the feed.
 */
import { z } from 'zod';
import { GraphFault, type GraphResponse } from './graphErrors.js';
import type { TeamsFeed } from './teamsFeed.js';
import type { TenantDirectory } from './tenantDirectory.js';

const MAX_BULK_RECIPIENTS = 100;
const BULK_TOKEN_MIN_LIFETIME_S = 45 * 60;

const Topic = z
  .object({
    source: z.enum(['entityUrl', 'text']),
    value: z.string().min(1),
    webUrl: z.url().optional(),
  })
  .refine((t) => t.source !== 'text' || t.webUrl !== undefined, { message: "webUrl is required when source is 'text'", path: ['webUrl'] });

const Notification = z.object({
  topic: Topic,
  activityType: z.string().min(1),
  previewText: z.object({ content: z.string() }),
  templateParameters: z.array(z.object({ name: z.string().min(1), value: z.string() })).default([]),
  chainId: z.number().int().optional(),
  teamsAppId: z.string().optional(),
  iconId: z.string().optional(),
});

const Recipient = z.object({
  '@odata.type': z.enum(['microsoft.graph.aadUserNotificationRecipient', '#microsoft.graph.aadUserNotificationRecipient'], {
    message: 'only microsoft.graph.aadUserNotificationRecipient is supported by this stand-in',
  }),
  userId: z.string().min(1),
});

const Bulk = Notification.extend({
  recipients: z
    .array(Recipient)
    .min(1)
    .max(MAX_BULK_RECIPIENTS, { message: `at most ${MAX_BULK_RECIPIENTS} recipients are allowed in one request` }),
});

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GraphFault(400, 'BadRequest', `Invalid request body: ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const n = parsed.data as z.output<typeof Notification>;
  if (n.activityType === 'systemDefault' && !n.templateParameters.some((p) => p.name === 'systemDefaultText'))
    throw new GraphFault(
      400,
      'BadRequest',
      "Invalid request body: templateParameters: activityType 'systemDefault' needs a 'systemDefaultText' parameter",
    );
  return parsed.data;
}

export interface Caller {
  tenantId: string;
  /** Token expiry, epoch seconds. */
  expiresAt: number;
}

/** Runs `send`, recording a refusal in the feed's counts before passing it on. */
function counted(feed: TeamsFeed, caller: Caller, kind: 'single' | 'bulk', send: () => GraphResponse): GraphResponse {
  try {
    return send();
  } catch (error) {
    if (error instanceof GraphFault) feed.refused(caller.tenantId, kind, error.status === 429 ? 'throttled' : 'rejected');
    throw error;
  }
}

export function sendToUser(
  feed: TeamsFeed,
  directory: TenantDirectory,
  caller: Caller,
  userKey: string,
  body: unknown,
  now: number,
  admit: () => void,
): GraphResponse {
  return counted(feed, caller, 'single', () => {
    admit();
    const n = parse(Notification, body);
    const user = directory.user(userKey);
    if (!user)
      throw new GraphFault(
        404,
        'Request_ResourceNotFound',
        `Resource '${userKey}' does not exist or one of its queried reference-property objects are not present.`,
      );
    feed.sent(caller.tenantId, 'single', now, n, [user.id], 0);
    return { status: 204, headers: {} };
  });
}

export function sendToRecipients(
  feed: TeamsFeed,
  directory: TenantDirectory,
  caller: Caller,
  body: unknown,
  now: number,
  admit: () => void,
): GraphResponse {
  return counted(feed, caller, 'bulk', () => {
    admit();
    if (caller.expiresAt - Date.now() / 1000 < BULK_TOKEN_MIN_LIFETIME_S)
      throw new GraphFault(
        412,
        'PreconditionFailed',
        'The access token must be valid for at least 45 more minutes to send activity notifications to recipients; get a new token.',
      );
    const { recipients, ...n } = parse(Bulk, body);
    const known = [...new Set(recipients.map((r) => directory.user(r.userId)?.id).filter((id): id is string => id !== undefined))];
    const unknown = recipients.filter((r) => !directory.user(r.userId)).length;
    feed.sent(caller.tenantId, 'bulk', now, n, known, unknown);
    return { status: 202, headers: {} };
  });
}
