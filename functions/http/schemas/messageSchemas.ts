/** What the messages resource and its lifecycle actions read and answer (`/api/messages…`). */
import { z } from 'zod';
import { MESSAGE_STATUSES, TRANSITION_RECORDS } from '../../../core/lifecycle.js';
import { DraftInput, LIMITS, LOCATIONS, OBJECTIVES } from '../../../core/message.js';
import type { Success } from '../routes.js';
import { requestComponents, responseComponents } from './components.js';

DraftInput.register(requestComponents, {
  id: 'DraftInput',
  description:
    'A draft at any step of the wizard: every part optional, unknown fields refused. Also checked but not expressible here: ' +
    'strings are trimmed before their length is checked, `schedule.timeZone` must be an IANA time zone and ' +
    '`content.callToAction.url` an https URL. `content.image` is set only through `PUT …/image`; a value sent here is ignored.',
});
export { DraftInput };

/** What each message route's `{id}` is. */
export const MESSAGE_PARAMS = { id: 'The message id.' };

export const ListParams = z
  .object({
    status: z.enum(MESSAGE_STATUSES).optional(),
    location: z.enum(LOCATIONS).optional(),
    objective: z.enum(OBJECTIVES).optional(),
    name: z.string().trim().min(1, 'must not be empty').max(LIMITS.name).optional(),
    pageSize: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').default(25),
    continuation: z.string().min(1).optional(),
  })
  .strict();

/**
 * A PATCH body: a JSON merge patch (RFC 7396) over the draft's top-level fields. Each field named replaces
 * the stored one (so a wizard step sends its whole section) and `null` clears it.
 */
export const DraftPatch = z.record(z.string(), z.unknown()).register(requestComponents, {
  id: 'DraftPatch',
  description:
    'A JSON merge patch (RFC 7396) over the draft’s top-level fields (those of DraftInput): each field named replaces the stored ' +
    'one, `null` clears it. The merged draft must be a valid DraftInput.',
});

export const Comment = z
  .object({ comment: z.string().trim().max(1000, 'at most 1000 characters').optional() })
  .strict()
  .register(requestComponents, {
    id: 'Comment',
    description: 'An optional comment (trimmed, at most 1000 characters), recorded in the audit trail.',
  });
export const RequiredComment = z
  .object({ comment: z.string().trim().min(1, 'is required when rejecting').max(1000, 'at most 1000 characters') })
  .strict()
  .register(requestComponents, {
    id: 'RequiredComment',
    description: 'Why the message is rejected (trimmed, 1 to 1000 characters), recorded in the audit trail.',
  });

const ActorView = z.object({ id: z.string(), upn: z.string(), name: z.string() });

/** A message's engagement so far, all channels: what the message list shows beside each message. */
const MessageActivity = z.object({
  seen: z.number().int().describe('Impressions: seen on Windows surfaces plus Teams notifications and emails delivered.'),
  viewers: z.number().int().describe('Distinct people who saw it on a Windows surface.'),
  clicks: z.number().int(),
  clickers: z.number().int().describe('Distinct people who clicked.'),
  clickThroughRate: z.number().describe('clicks ÷ seen; 0 when nothing was seen.'),
  dismissed: z.number().int(),
  delivered: z.number().int(),
  failed: z.number().int(),
});

/** What a client sees of a message: its draft fields at the top level, so a GET can be edited and PATCHed back. */
export const MessageView = DraftInput.extend({
  id: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  createdBy: ActorView,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** In `GET /api/messages` and `GET /api/messages/{id}`. */
  activity: MessageActivity.optional(),
  lifecycle: z
    .string()
    .optional()
    .describe(
      'The instance id of the Durable orchestration running the latest submission (`msg-<tenant>-<message>-v<version>`), ' +
        'for the Durable HTTP API at `/runtime/webhooks/durabletask/instances/{lifecycle}`; absent until the message is first submitted.',
    ),
  lifecycleEnded: z
    .object({
      runtimeStatus: z.string().describe('`Terminated`, `Failed`, `Completed` or `Missing` (the instance is gone).'),
      reason: z.string(),
      at: z.iso.datetime(),
    })
    .optional()
    .describe(
      'Present when the orchestration of the latest submission ended while the message was still under way (terminated or ' +
        'failed): nothing will move it on by itself. It can still be cancelled, and then deleted.',
    ),
}).register(responseComponents, {
  id: 'MessageView',
  description: 'A message: its draft fields at the top level (so a GET can be edited and PATCHed back), its status and who created it.',
});
export type MessageView = z.output<typeof MessageView>;

/** A page of `GET /api/messages`; `continuation`, when present, asks for the next one. */
export const MessagePage = z
  .object({ items: z.array(MessageView), continuation: z.string().optional() })
  .register(responseComponents, { id: 'MessagePage' });

/** `GET /api/messages/{id}/audit`: every change to the message, oldest first. */
export const AuditTrail = z
  .object({
    items: z.array(
      z.object({
        at: z.iso.datetime(),
        action: z.enum(['created', 'modified', 'deleted', ...TRANSITION_RECORDS]),
        by: ActorView,
        /** The status after the change. */
        status: z.enum(MESSAGE_STATUSES),
        /** For `modified`: the top-level fields that changed. */
        fields: z.array(z.string()).optional(),
        comment: z.string().optional(),
      }),
    ),
  })
  .register(responseComponents, { id: 'AuditTrail' });

/** A message in the answer, with its ETag; a new one (201) with its Location too. */
export const messageResponse = (status: 200 | 201, description: string): Success => ({
  status,
  description,
  schema: MessageView,
  etag: true,
  ...(status === 201 ? { location: 'created' as const } : {}),
});

/** A lifecycle action's answer: the message as its orchestration moved it, or a 202 while it has not yet. */
export const lifecycleResponse: Success = {
  ...messageResponse(200, 'The message in its new status.'),
  accepted:
    'The action is accepted and recorded, but the lifecycle has not moved the message yet (a busy host): the body is the ' +
    'message as it is now. Read `Location` after `Retry-After` seconds for its new status.',
};
