/**
 * The OpenAPI 3.1 document of Herald's public HTTP API (DESIGN.md §6), built from the zod schemas the
 * handlers validate with and answer in: `z.toJSONSchema` turns each into a component, so the document
 * cannot drift from what the API accepts. What zod cannot say in JSON Schema (refinements such as "an
 * IANA time zone" or "an https URL", trimming before a length check) the API still enforces; the
 * descriptions say so where it matters. The operation table below is the one hand-kept part: the
 * integration test compares it with the routes the app registers.
 */
import { z } from 'zod';
import { IMAGE_TYPES, MAX_IMAGE_BYTES } from '../../adapters/stores/imageStore.js';
import { TenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { DraftInput } from '../../core/message.js';
import { ACTIONS, ROLES, type Action } from '../../core/roles.js';
import { Health } from './health.js';
import { InboxParams, InboxView, InteractionInput, InteractionReceipt } from './inbox.js';
import { DeliveryReport, RecipientPage, RecipientParams } from './messageDelivery.js';
import { ActivityParams, ActivityReport, ExportLink } from './reports.js';
import { DeviceList, DeviceView } from './devices.js';
import { DeviceHistory, NotificationView } from './notificationHistory.js';
import { DeviceStatusPage, DeviceStatusParams, HistoryParams, NotificationPage, OpenedInput, OpenedReceipt } from './notifications.js';
import { DeviceInput, NotificationInput } from '../../core/notification.js';
import { Comment, RequiredComment } from './messageActions.js';
import { AuditTrail, DraftPatch, ListParams, MessagePage, MessageView } from './messages.js';
import { KINDS, ProblemDetails, type ProblemKind } from './problem.js';

/** host.json `extensions.http.routePrefix`. */
export const ROUTE_PREFIX = '/api';

type JsonSchema = Record<string, unknown>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type ProblemStatus = (typeof KINDS)[ProblemKind]['status'];

const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });

/** Schemas clients send (read as zod's input: defaults make fields optional) and the ones they receive. */
const REQUESTS = {
  DraftInput,
  DraftPatch,
  Comment,
  RequiredComment,
  TenantSettings,
  InteractionInput,
  DeviceInput,
  NotificationInput,
  OpenedInput,
} as const;
const RESPONSES = {
  MessageView,
  MessagePage,
  AuditTrail,
  TenantSettingsView: TenantSettings,
  Health,
  InboxView,
  InteractionReceipt,
  DeliveryReport,
  RecipientPage,
  ActivityReport,
  ExportLink,
  DeviceView,
  DeviceList,
  DeviceHistory,
  NotificationView,
  NotificationPage,
  DeviceStatusPage,
  OpenedReceipt,
  Problem: ProblemDetails,
} as const;
type RequestSchema = keyof typeof REQUESTS;
type ResponseSchema = keyof typeof RESPONSES;

const DESCRIPTIONS: Partial<Record<RequestSchema | ResponseSchema, string>> = {
  DraftInput:
    'A draft at any step of the wizard: every part optional, unknown fields refused. Also checked but not expressible here: ' +
    'strings are trimmed before their length is checked, `schedule.timeZone` must be an IANA time zone and ' +
    '`content.callToAction.url` an https URL. `content.image` is set only through `PUT …/image`; a value sent here is ignored.',
  DraftPatch:
    'A JSON merge patch (RFC 7396) over the draft’s top-level fields (those of DraftInput): each field named replaces the stored ' +
    'one, `null` clears it. The merged draft must be a valid DraftInput.',
  Comment: 'An optional comment (trimmed, at most 1000 characters), recorded in the audit trail.',
  RequiredComment: 'Why the message is rejected (trimmed, 1 to 1000 characters), recorded in the audit trail.',
  TenantSettings: 'The tenant’s licence tier and default time zone (an IANA time zone such as Europe/Paris).',
  MessageView: 'A message: its draft fields at the top level (so a GET can be edited and PATCHed back), its status and who created it.',
  InteractionInput:
    'What the user did with a message shown on the device. `clientEventId` is chosen by the device and reused when it resends ' +
    'the event, so an event is recorded once. `occurredAt` (default: now) may be at most 5 minutes ahead of the server clock.',
  InboxView:
    'What the device shows now on the surface, newest first. `callToAction.url` is a signed click link: opening it records ' +
    'the click, so the device need not send a `clicked` event as well. Hide a message at `showUntil`.',
  Problem: 'An RFC 9457 problem: `type` is stable and can be switched on, `detail` is for people, `errors` names each offending field.',
};

function components(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string; description?: string }>();
  for (const [id, schema] of Object.entries(schemas)) {
    const description = DESCRIPTIONS[id as RequestSchema | ResponseSchema];
    registry.add(schema, description ? { id, description } : { id });
  }
  const { schemas: out } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, metadata: registry, uri: (id) => ref(id).$ref });
  // OpenAPI 3.1's dialect is the document's; a component carries neither its own $schema nor an $id.
  return Object.fromEntries(Object.entries(out).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema as JsonSchema]));
}

/** Query parameters from a zod object, one per field, as the handler reads them (all strings, coerced by zod). */
function queryParameters(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _s, ...json } = z.toJSONSchema(field as z.ZodType, { target: 'draft-2020-12', io: 'input' });
    return { name, in: 'query', required: !(field as z.ZodType).isOptional(), schema: json };
  });
}

// ---- responses -------------------------------------------------------------------------------------------

const PROBLEM_RESPONSES: Record<ProblemStatus, string> = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'StatusConflict',
  412: 'PreconditionFailed',
  428: 'PreconditionRequired',
  429: 'TooManyRequests',
};

const HEADERS = {
  ETag: {
    description: 'The message’s version: send it as If-Match to modify or delete the message.',
    schema: { type: 'string' },
  },
  Location: { description: 'The URL of the new message.', schema: { type: 'string', format: 'uri' } },
  Destination: {
    description: 'Where to go: a click link’s call to action, or an export’s file.',
    schema: { type: 'string', format: 'uri' },
  },
  'Retry-After': { description: 'Seconds until the next send is allowed.', schema: { type: 'integer' } },
  'WWW-Authenticate': {
    description: 'RFC 6750 challenge: `Bearer`, with `error="invalid_token"` and a description when a token was sent but refused.',
    schema: { type: 'string' },
  },
};

function problemResponses() {
  const byStatus = new Map<ProblemStatus, string[]>();
  for (const [kind, { status, title }] of Object.entries(KINDS))
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${kind}\`: ${title}`]);
  return Object.fromEntries(
    [...byStatus].map(([status, kinds]) => [
      PROBLEM_RESPONSES[status],
      {
        description: `Problem: ${kinds.join('; ')}.`,
        ...(status === 401 ? { headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } } } : {}),
        ...(status === 412 ? { headers: { ETag: { $ref: '#/components/headers/ETag' } } } : {}),
        ...(status === 429 ? { headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } } : {}),
        content: { 'application/problem+json': { schema: ref('Problem') } },
      },
    ]),
  );
}

// ---- operations ------------------------------------------------------------------------------------------

interface Operation {
  method: Method;
  /** The route as registered (without the prefix). */
  route: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** What the caller must be allowed to do; `signedIn`: any user of the tenant, no role; none means anonymous. */
  action?: Action | 'signedIn';
  query?: z.ZodObject;
  body?: { schema: RequestSchema } | { content: Record<string, unknown>; description: string };
  ifMatch?: 'required' | 'optional';
  success: {
    status: 200 | 201 | 202 | 204 | 302 | 303;
    description: string;
    schema?: ResponseSchema;
    content?: Record<string, unknown>;
    etag?: boolean;
    location?: boolean;
    /** A redirect: the Location header names the destination. */
    redirect?: boolean;
  };
  /** Problems beyond 401/403, which every operation that needs a role can give. */
  problems: ProblemStatus[];
}

// Raw bytes: OpenAPI 3.1 describes a binary body by its media type alone (no schema).
const image = { content: Object.fromEntries(IMAGE_TYPES.map((type) => [type, {}])) };
const message = (status: 200 | 201, description: string) =>
  ({ status, description, schema: 'MessageView', etag: true, location: status === 201 }) as const;

const OPERATIONS: Operation[] = [
  {
    method: 'get',
    route: 'health',
    operationId: 'getHealth',
    tag: 'service',
    summary: 'Whether the app is up',
    success: { status: 200, description: 'The app is up.', schema: 'Health' },
    problems: [],
  },
  {
    method: 'get',
    route: 'openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'service',
    summary: 'This document',
    success: {
      status: 200,
      description: 'The OpenAPI 3.1 document of the API.',
      content: { 'application/json': { schema: { type: 'object' } } },
    },
    problems: [],
  },
  {
    method: 'post',
    route: 'messages',
    operationId: 'createMessage',
    tag: 'messages',
    summary: 'Create a draft',
    action: 'message.write',
    body: { schema: 'DraftInput' },
    success: message(201, 'The new draft.'),
    problems: [400],
  },
  {
    method: 'get',
    route: 'messages',
    operationId: 'listMessages',
    tag: 'messages',
    summary: 'List the tenant’s messages, newest first',
    description: 'Filters combine; `name` matches names that start with it, ignoring case.',
    action: 'message.read',
    query: ListParams,
    success: { status: 200, description: 'A page of messages.', schema: 'MessagePage' },
    problems: [400],
  },
  {
    method: 'get',
    route: 'messages/{id}',
    operationId: 'getMessage',
    tag: 'messages',
    summary: 'Read a message',
    action: 'message.read',
    success: message(200, 'The message; its ETag is what to send as If-Match to change it.'),
    problems: [404],
  },
  {
    method: 'patch',
    route: 'messages/{id}',
    operationId: 'modifyMessage',
    tag: 'messages',
    summary: 'Modify a draft',
    description: 'Only a Draft can be modified. A patch that changes nothing keeps the ETag and leaves no audit row.',
    action: 'message.write',
    body: { schema: 'DraftPatch' },
    ifMatch: 'required',
    success: message(200, 'The modified draft.'),
    problems: [400, 404, 409, 412, 428],
  },
  {
    method: 'delete',
    route: 'messages/{id}',
    operationId: 'deleteMessage',
    tag: 'messages',
    summary: 'Delete a message',
    description: 'An Active message cannot be deleted: cancel it first. The audit trail remains.',
    action: 'message.write',
    ifMatch: 'optional',
    success: { status: 204, description: 'Deleted.' },
    problems: [404, 409, 412],
  },
  {
    method: 'get',
    route: 'messages/{id}/audit',
    operationId: 'getMessageAudit',
    tag: 'messages',
    summary: 'A message’s audit trail',
    description: 'Every change, oldest first; it outlives a deleted message.',
    action: 'message.read',
    success: { status: 200, description: 'The audit trail.', schema: 'AuditTrail' },
    problems: [404],
  },
  {
    method: 'get',
    route: 'messages/{id}/image',
    operationId: 'getMessageImage',
    tag: 'messages',
    summary: 'A message’s image',
    description: 'Once the message is Active or Delivered, any signed-in user of the tenant may read it (devices show it in the inbox).',
    action: 'message.read',
    success: { status: 200, description: 'The image bytes.', ...image },
    problems: [404],
  },
  {
    method: 'put',
    route: 'messages/{id}/image',
    operationId: 'putMessageImage',
    tag: 'messages',
    summary: 'Set a draft’s image',
    description: `The raw bytes with their Content-Type (${IMAGE_TYPES.join(', ')}), at most ${MAX_IMAGE_BYTES} bytes; the bytes must be of that type.`,
    action: 'message.write',
    body: { ...image, description: 'The image.' },
    ifMatch: 'required',
    success: message(200, 'The draft with its new image.'),
    problems: [400, 404, 409, 412, 428],
  },
  {
    method: 'delete',
    route: 'messages/{id}/image',
    operationId: 'deleteMessageImage',
    tag: 'messages',
    summary: 'Remove a draft’s image',
    action: 'message.write',
    ifMatch: 'required',
    success: message(200, 'The draft without its image.'),
    problems: [404, 409, 412, 428],
  },
  {
    method: 'post',
    route: 'messages/{id}/submit',
    operationId: 'submitMessage',
    tag: 'lifecycle',
    summary: 'Submit a draft for approval',
    description:
      'Draft → PendingApproval (or Scheduled, for a pre-made message). The message must be complete and follow the location ' +
      'and licence rules; each unmet rule is a field error. An urgent message is sent, not submitted.',
    action: 'message.write',
    success: message(200, 'The message in its new status.'),
    problems: [400, 404, 409],
  },
  {
    method: 'post',
    route: 'messages/{id}/send',
    operationId: 'sendMessage',
    tag: 'lifecycle',
    summary: 'Send an urgent message at once',
    description: 'Urgent messages skip approval and schedule: Taskbar or Notification Center, groups only, sent once.',
    action: 'message.write',
    success: message(200, 'The message in its new status.'),
    problems: [400, 404, 409],
  },
  {
    method: 'post',
    route: 'messages/{id}/approve',
    operationId: 'approveMessage',
    tag: 'lifecycle',
    summary: 'Approve a message pending approval',
    description: 'An approver cannot approve their own message (403). 409 when someone else decided first.',
    action: 'message.decide',
    body: { schema: 'Comment' },
    success: message(200, 'The message in its new status.'),
    problems: [400, 404, 409],
  },
  {
    method: 'post',
    route: 'messages/{id}/reject',
    operationId: 'rejectMessage',
    tag: 'lifecycle',
    summary: 'Reject a message pending approval',
    description: 'An approver cannot reject their own message (403). 409 when someone else decided first.',
    action: 'message.decide',
    body: { schema: 'RequiredComment' },
    success: message(200, 'The message in its new status.'),
    problems: [400, 404, 409],
  },
  {
    method: 'post',
    route: 'messages/{id}/cancel',
    operationId: 'cancelMessage',
    tag: 'lifecycle',
    summary: 'Cancel a message pending approval, scheduled or active',
    action: 'message.write',
    success: message(200, 'The message in its new status.'),
    problems: [404, 409],
  },
  {
    method: 'post',
    route: 'messages/{id}/withdraw',
    operationId: 'withdrawMessage',
    tag: 'lifecycle',
    summary: 'Take a rejected message back to Draft',
    action: 'message.write',
    success: message(200, 'The message, a Draft again.'),
    problems: [404, 409],
  },
  {
    method: 'post',
    route: 'messages/{id}/copy',
    operationId: 'copyMessage',
    tag: 'lifecycle',
    summary: 'Copy a message into a new draft',
    action: 'message.write',
    success: message(201, 'The new draft, named “Copy of …”.'),
    problems: [404],
  },
  {
    method: 'get',
    route: 'tenant/settings',
    operationId: 'getTenantSettings',
    tag: 'tenant',
    summary: 'The tenant’s settings',
    action: 'tenant.read',
    success: { status: 200, description: 'The settings (E5 in UTC until a Tenant.Admin sets them).', schema: 'TenantSettingsView' },
    problems: [],
  },
  {
    method: 'put',
    route: 'tenant/settings',
    operationId: 'putTenantSettings',
    tag: 'tenant',
    summary: 'Change the tenant’s settings',
    action: 'tenant.configure',
    body: { schema: 'TenantSettings' },
    success: { status: 200, description: 'The settings as stored.', schema: 'TenantSettingsView' },
    problems: [400],
  },
  {
    method: 'get',
    route: 'messages/{id}/delivery',
    operationId: 'getMessageDelivery',
    tag: 'delivery',
    summary: 'How far a message’s delivery has got',
    description:
      'Per occurrence (the first send, then each frequency resend) of a Teams or email message: recipients resolved, sent, ' +
      'failed, throttled, cancelled and pending, the rate and, while sending, an ETA. Inbox locations are pulled by devices: ' +
      '`pulled` is true and there are no occurrences.',
    action: 'delivery.read',
    success: { status: 200, description: 'The delivery report.', schema: 'DeliveryReport' },
    problems: [404],
  },
  {
    method: 'get',
    route: 'messages/{id}/delivery/recipients',
    operationId: 'listMessageRecipients',
    tag: 'delivery',
    summary: 'Each recipient’s delivery status, paged',
    description: 'For one occurrence (default: the latest), optionally only one status; follow `continuation` for the next page.',
    action: 'delivery.read',
    query: RecipientParams,
    success: { status: 200, description: 'One page of recipients.', schema: 'RecipientPage' },
    problems: [400, 404],
  },
  {
    method: 'get',
    route: 'reports/activity',
    operationId: 'getActivityReport',
    tag: 'reports',
    summary: 'Impressions, clicks and click-through rate, in total and day by day',
    description:
      'Over `from`…`to` (days in the tenant’s time zone, at most 366; default the last 30), for the messages the filters ' +
      'allow: the totals and one entry per day, days without events included as zeros. Impressions ("messages seen") are ' +
      '`seen` on Windows surfaces plus Teams notifications and emails delivered; click-through rate is clicks ÷ impressions.',
    action: 'report.read',
    query: ActivityParams,
    success: { status: 200, description: 'The activity report.', schema: 'ActivityReport' },
    problems: [400, 404],
  },
  {
    method: 'get',
    route: 'reports/activity.csv',
    operationId: 'exportActivityReport',
    tag: 'reports',
    summary: 'The activity report as CSV: one row per message and day with activity',
    description:
      'The same filters as the report. The file (RFC 4180, UTF-8, one header row; text that a spreadsheet would run as a ' +
      'formula starts with an apostrophe) is written to storage as it is produced; the answer redirects to a read-only link ' +
      'that works for 15 minutes and also gives it in the body.',
    action: 'report.read',
    query: ActivityParams,
    success: { status: 303, description: 'See the file at Location.', schema: 'ExportLink', redirect: true },
    problems: [400, 404],
  },
  {
    method: 'get',
    route: 'messages/{id}/recipients.csv',
    operationId: 'exportMessageRecipients',
    tag: 'reports',
    summary: 'Each recipient of a message: delivery status and what they did, as CSV',
    description:
      'Teams and email: everyone in the delivery snapshots (a person resent to appears once, with the latest round), with ' +
      'status, reason and time, and when they first saw, clicked or dismissed it. Windows surfaces: everyone who saw, ' +
      'clicked or dismissed it. Events older than the tenant’s `retentionDays` are purged. 403 when the tenant setting ' +
      '`recipientReports` is off.',
    action: 'report.read',
    success: { status: 303, description: 'See the file at Location.', schema: 'ExportLink', redirect: true },
    problems: [404],
  },
  {
    method: 'post',
    route: 'devices',
    operationId: 'registerDevice',
    tag: 'devices',
    summary: 'Register the device the app runs on, for the signed-in user',
    description:
      'The organisation’s mobile app calls this with its platform, push token, version and MDM enrolment. Registering the same ' +
      'token again updates the device (200) and revives one the push service had called dead. Only enrolled iOS and Android ' +
      'devices receive custom notifications.',
    action: 'signedIn',
    body: { schema: 'DeviceInput' },
    success: { status: 201, description: 'Registered (200 when the token was registered before).', schema: 'DeviceView', location: true },
    problems: [400],
  },
  {
    method: 'get',
    route: 'devices',
    operationId: 'listMyDevices',
    tag: 'devices',
    summary: 'The signed-in user’s devices',
    action: 'signedIn',
    success: { status: 200, description: 'The devices.', schema: 'DeviceList' },
    problems: [],
  },
  {
    method: 'get',
    route: 'devices/{id}',
    operationId: 'getDevice',
    tag: 'devices',
    summary: 'One of the caller’s devices (any device of the tenant for a Tenant.Admin)',
    action: 'signedIn',
    success: { status: 200, description: 'The device.', schema: 'DeviceView' },
    problems: [404],
  },
  {
    method: 'delete',
    route: 'devices/{id}',
    operationId: 'unregisterDevice',
    tag: 'devices',
    summary: 'Unregister a device (the owner, or a Tenant.Admin)',
    action: 'signedIn',
    success: { status: 204, description: 'Unregistered: nothing more is sent to it.' },
    problems: [404],
  },
  {
    method: 'get',
    route: 'devices/{id}/notifications',
    operationId: 'getDeviceNotifications',
    tag: 'devices',
    summary: 'What reached the device, newest first (the app’s Notifications tab)',
    description: 'Notifications of the last 30 days (at most the organisation’s latest 200) delivered to this device.',
    action: 'signedIn',
    success: { status: 200, description: 'The device’s notifications.', schema: 'DeviceHistory' },
    problems: [404],
  },
  {
    method: 'get',
    route: 'users/{userId}/devices',
    operationId: 'listUserDevices',
    tag: 'devices',
    summary: 'A user’s devices',
    action: 'tenant.configure',
    success: { status: 200, description: 'The devices.', schema: 'DeviceList' },
    problems: [],
  },
  {
    method: 'post',
    route: 'notifications',
    operationId: 'sendNotification',
    tag: 'notifications',
    summary: 'Send a custom notification to groups or to one device',
    description:
      'A title (≤ 50 characters) and body (≤ 500) to 1–25 groups (role Notifications.Send.Groups; nested groups are followed ' +
      'and do not count) — every enrolled iOS/Android device their users registered — or to one device (role ' +
      'Notifications.Send.Device; a Windows or macOS, unenrolled or dead device is refused with 400). At most 25 group ' +
      'notifications an hour per organisation and 10 an hour to one device: past that, 429 with Retry-After. Delivery ' +
      'follows on queues; the answer is the notification as recorded.',
    action: 'notification.read',
    body: { schema: 'NotificationInput' },
    success: { status: 202, description: 'Accepted and recorded; delivery has started.', schema: 'NotificationView', location: true },
    problems: [400, 404, 429],
  },
  {
    method: 'get',
    route: 'notifications',
    operationId: 'listNotifications',
    tag: 'notifications',
    summary: 'Every notification sent, newest first, with delivery counts',
    action: 'notification.read',
    query: HistoryParams,
    success: { status: 200, description: 'One page; follow `continuation` for the next.', schema: 'NotificationPage' },
    problems: [400],
  },
  {
    method: 'get',
    route: 'notifications/{id}',
    operationId: 'getNotification',
    tag: 'notifications',
    summary: 'One notification: text, sender, targets, time, state and counts',
    action: 'notification.read',
    success: { status: 200, description: 'The notification.', schema: 'NotificationView' },
    problems: [404],
  },
  {
    method: 'get',
    route: 'notifications/{id}/devices',
    operationId: 'listNotificationDevices',
    tag: 'notifications',
    summary: 'Each targeted device’s status (sent, failed with the reason, pending), paged',
    action: 'notification.read',
    query: DeviceStatusParams,
    success: { status: 200, description: 'One page of devices.', schema: 'DeviceStatusPage' },
    problems: [400, 404],
  },
  {
    method: 'post',
    route: 'notifications/{id}/resend',
    operationId: 'resendNotification',
    tag: 'notifications',
    summary: 'Send the same text to the same targets again, as a new notification',
    description: 'The limits apply as to any send; the new notification names the one it repeats in `resendOf`.',
    action: 'notification.read',
    success: { status: 202, description: 'The new notification.', schema: 'NotificationView', location: true },
    problems: [400, 404, 429],
  },
  {
    method: 'post',
    route: 'notifications/{id}/opened',
    operationId: 'reportNotificationOpened',
    tag: 'notifications',
    summary: 'The app reports that the user opened the notification on their device',
    description: 'Counted once per device: a repeat answers 200 `{recorded: false, duplicate: true}`.',
    action: 'signedIn',
    body: { schema: 'OpenedInput' },
    success: { status: 201, description: 'Recorded (200 when it had been before).', schema: 'OpenedReceipt' },
    problems: [400, 404],
  },
  {
    method: 'get',
    route: 'inbox',
    operationId: 'getInbox',
    tag: 'inbox',
    summary: 'What the caller’s device shows now on a surface',
    description:
      'Active messages for the surface whose audience the caller is in, inside their schedule, that the frequency rules still ' +
      'allow (a click silences a message for a year; seen or dismissed, until its next occurrence), and urgent messages sent ' +
      'in the last 24 hours that the caller has not acted on. Changes reach the inbox within a few seconds.',
    action: 'signedIn',
    query: InboxParams,
    success: { status: 200, description: 'The messages to show, newest first.', schema: 'InboxView' },
    problems: [400],
  },
  {
    method: 'post',
    route: 'inbox/{messageId}/events',
    operationId: 'recordInboxEvent',
    tag: 'inbox',
    summary: 'Record that the caller saw, clicked or dismissed a message',
    description:
      'Idempotent by `clientEventId`: the first time answers 201 `{recorded: true}`, a repeat 200 `{recorded: false, duplicate: true}`. ' +
      '404 for a message the caller was not sent.',
    action: 'signedIn',
    body: { schema: 'InteractionInput' },
    success: { status: 201, description: 'Recorded (200 when it had been recorded before).', schema: 'InteractionReceipt' },
    problems: [400, 404],
  },
  {
    method: 'get',
    route: 'r/{token}',
    operationId: 'followClickLink',
    tag: 'inbox',
    summary: 'Follow a signed click link',
    description:
      'The links Herald puts behind a call to action on every channel. The signed token is the credential: it names the ' +
      'recipient, message, occurrence and channel. Records one click per link, however often it is followed, and redirects ' +
      'to the destination; a token that does not verify answers 400 and records nothing.',
    success: { status: 302, description: 'Redirect to the call to action.', redirect: true },
    problems: [400],
  },
];

const PATH_PARAMETERS: Record<string, string> = {
  id: 'The message id.',
  messageId: 'The message id.',
  token: 'The signed token of a click link.',
  userId: 'The user’s Entra object id.',
};

function operation(op: Operation) {
  const pathParams = [...op.route.matchAll(/\{(\w+)\}/g)].map(([, name = '']) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    ...(PATH_PARAMETERS[name] ? { description: PATH_PARAMETERS[name] } : {}),
  }));
  const ifMatch = op.ifMatch
    ? [
        {
          name: 'If-Match',
          in: 'header',
          required: op.ifMatch === 'required',
          description: 'The ETag the message was read with, or `*`.' + (op.ifMatch === 'required' ? ' Without it: 428.' : ''),
          schema: { type: 'string' },
        },
      ]
    : [];
  const parameters = [...pathParams, ...(op.query ? queryParameters(op.query) : []), ...ifMatch];

  const roleAction = op.action === 'signedIn' ? undefined : op.action;
  const allowed: readonly string[] = roleAction ? ACTIONS[roleAction] : [];
  const who = !op.action
    ? 'Anonymous.'
    : op.action === 'signedIn'
      ? 'Needs a bearer token of any user of the tenant; no role is needed.'
      : allowed.length === ROLES.length
        ? `Needs a bearer token with any Herald role (${allowed.join(', ')}).`
        : `Needs a bearer token with the role ${allowed.join(' or ')}.`;
  const denied: ProblemStatus[] = !op.action ? [] : op.action === 'signedIn' ? [401] : [401, 403];
  const problems: ProblemStatus[] = [...new Set<ProblemStatus>([...op.problems, ...denied])];

  const { success } = op;
  const headers = {
    ...(success.etag ? { ETag: { $ref: '#/components/headers/ETag' } } : {}),
    ...(success.location ? { Location: { $ref: '#/components/headers/Location' } } : {}),
    ...(success.redirect ? { Location: { $ref: '#/components/headers/Destination' } } : {}),
  };
  const content = success.schema ? { 'application/json': { schema: ref(success.schema) } } : success.content;

  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    description: [who, op.description].filter(Boolean).join('\n\n'),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            ...('schema' in op.body
              ? { content: { 'application/json': { schema: ref(op.body.schema) } } }
              : { description: op.body.description, content: op.body.content }),
          },
        }
      : {}),
    // One requirement per role: any one of them is enough (roles are not scopes, so this names them for people).
    security: op.action === 'signedIn' ? [{ bearer: [] }] : op.action ? allowed.map((role) => ({ bearer: [role] })) : [],
    ...(roleAction ? { 'x-required-roles': allowed } : {}),
    responses: {
      [success.status]: {
        description: success.description,
        ...(Object.keys(headers).length ? { headers } : {}),
        ...(content ? { content } : {}),
      },
      ...Object.fromEntries(
        [...problems].sort((a, b) => a - b).map((status) => [status, { $ref: `#/components/responses/${PROBLEM_RESPONSES[status]}` }]),
      ),
    },
  };
}

/** The whole document; `version` is the app's (package.json). */
export function buildOpenApiDocument(version: string) {
  const paths: Record<string, Partial<Record<Method, unknown>>> = {};
  for (const op of OPERATIONS) (paths[`${ROUTE_PREFIX}/${op.route}`] ??= {})[op.method] = operation(op);
  return {
    openapi: '3.1.1',
    info: {
      title: 'Herald',
      version,
      description:
        'Organizational messages: writers draft them, approvers decide, Herald delivers them on schedule. ' +
        'Errors are RFC 9457 problem documents (`application/problem+json`).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [
      { name: 'messages', description: 'Drafting messages' },
      { name: 'lifecycle', description: 'Moving a message through submission, approval and delivery' },
      { name: 'tenant', description: 'Per-tenant settings' },
      { name: 'delivery', description: 'Progress and per-recipient status of Teams and email delivery' },
      { name: 'inbox', description: 'What recipients’ devices show (Spotlight, Notification Center, Taskbar), and click links' },
      { name: 'service', description: 'About the service itself' },
    ],
    paths,
    components: {
      schemas: { ...components(REQUESTS, 'input'), ...components(RESPONSES, 'output') },
      responses: problemResponses(),
      headers: HEADERS,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Microsoft Entra ID v2.0 access token for the API’s audience (RS256; `tid`, `oid`, `exp` required). ' +
            `The token’s \`roles\` claim carries the app roles (${ROLES.join(', ')}); each operation names the roles it needs.`,
        },
      },
    },
  };
}
export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
