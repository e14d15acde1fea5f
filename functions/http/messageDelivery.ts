/**
 * `GET /api/messages/{id}/delivery`: how far each occurrence's delivery has got (recipients resolved, sent,
 * failed, pending, throttled, cancelled, rate, ETA while sending), and
 * `GET /api/messages/{id}/delivery/recipients`: each recipient's status, paged.
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { CHANNEL_OF, DELIVERY_STATUSES, isPushChannel } from '../../core/delivery.js';
import { decodeRecipientContinuation, getOccurrence, listDeliveries, listOccurrences } from '../../adapters/stores/deliveryStore.js';
import { occurrenceProgress } from '../../jobs/delivery/deliveryProgress.js';
import { existing } from './messages.js';
import { handle, Problem, validationProblem } from './problem.js';
import { authorize } from './request.js';

export const RecipientParams = z
  .object({
    occurrence: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').optional(),
    status: z.enum(DELIVERY_STATUSES).optional(),
    pageSize: z.coerce.number().int('must be a whole number').min(1, 'must be 1 to 1000').max(1000, 'must be 1 to 1000').default(100),
    continuation: z.string().min(1).optional(),
  })
  .strict();

const Counts = {
  recipients: z.number().int().describe('Recipients resolved so far (all of them once `resolvedAt` is set).'),
  sent: z.number().int(),
  failed: z.number().int(),
  throttled: z.number().int().describe('Waiting out a provider’s Retry-After; still pending.'),
  cancelled: z.number().int().describe('Not sent because the message was cancelled or ended first.'),
  pending: z.number().int().describe('Without an outcome yet (throttled ones included).'),
};

export const DeliveryReport = z.object({
  messageId: z.string(),
  status: z.string(),
  channel: z.enum(['inbox', 'teams', 'email', 'push']).nullable(),
  pulled: z.boolean().describe('true for inbox locations: devices fetch the message, nothing is pushed.'),
  detail: z.string().optional(),
  occurrences: z.array(
    z.object({
      occurrence: z.number().int(),
      channel: z.enum(['inbox', 'teams', 'email', 'push']),
      state: z.enum(['resolving', 'sending', 'done', 'failed']),
      reason: z.string().optional(),
      startedAt: z.string(),
      resolvedAt: z.string().optional(),
      ...Counts,
      perSecond: z.number().describe('Recipients finished (sent or failed) per second since the occurrence started.'),
      eta: z.string().optional().describe('When the last recipient should be done at the current rate, while sending.'),
    }),
  ),
});

export const RecipientPage = z.object({
  occurrence: z.number().int().optional(),
  items: z.array(
    z.object({
      userId: z.string(),
      upn: z.string(),
      name: z.string().optional(),
      mail: z.string().optional(),
      language: z.string().optional(),
      status: z.enum(DELIVERY_STATUSES),
      attempts: z.number().int(),
      reason: z.string().optional(),
      sentAt: z.string().optional(),
    }),
  ),
  continuation: z.string().optional(),
});

async function delivery(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'delivery.read');
  const message = await existing(caller, request.params.id!);
  const channel = message.draft.location ? CHANNEL_OF[message.draft.location] : undefined;
  if (!channel || !isPushChannel(channel)) {
    return {
      jsonBody: {
        messageId: message.id,
        status: message.status,
        channel: channel ?? null,
        pulled: true,
        detail: 'devices fetch this message from the inbox while it is active; there is no push delivery to track',
        occurrences: [],
      },
    };
  }
  const occurrences = await listOccurrences(caller.tenantId, message.id);
  const progress = await Promise.all(occurrences.map((o) => occurrenceProgress(o, caller.tenantId, message.id)));
  return { jsonBody: { messageId: message.id, status: message.status, channel, pulled: false, occurrences: progress } };
}

async function recipients(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'delivery.read');
  const message = await existing(caller, request.params.id!);
  const parsed = RecipientParams.safeParse(Object.fromEntries(request.query));
  if (!parsed.success) throw validationProblem(parsed.error.issues);
  const params = parsed.data;
  const occurrences = await listOccurrences(caller.tenantId, message.id);
  const number = params.occurrence ?? occurrences.at(-1)?.occurrence;
  const occ = number === undefined ? undefined : await getOccurrence(caller.tenantId, message.id, number);
  if (!occ) {
    if (params.occurrence !== undefined) throw new Problem('not-found', `occurrence ${params.occurrence} has not started`);
    return { jsonBody: { items: [] } };
  }
  const after = params.continuation ? decodeRecipientContinuation(params.continuation) : undefined;
  if (params.continuation && !after)
    throw new Problem('validation', 'the continuation token is not one this API handed out', [
      { path: 'continuation', message: 'is not a token this API handed out' },
    ]);
  const page = await listDeliveries(caller.tenantId, message.id, occ.occurrence, occ.batches ?? occ.batchesWritten, {
    pageSize: params.pageSize,
    ...(params.status ? { status: params.status } : {}),
    ...(after ? { after } : {}),
  });
  return { jsonBody: { occurrence: occ.occurrence, ...page } };
}

app.http('messageDelivery', {
  methods: ['GET'],
  route: 'messages/{id}/delivery',
  authLevel: 'anonymous',
  handler: handle(delivery),
});

app.http('messageDeliveryRecipients', {
  methods: ['GET'],
  route: 'messages/{id}/delivery/recipients',
  authLevel: 'anonymous',
  handler: handle(recipients),
});
