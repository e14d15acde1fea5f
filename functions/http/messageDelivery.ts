/**
 * `GET /api/messages/{id}/delivery`: how far each occurrence's delivery has got (recipients resolved, sent,
 * failed, pending, throttled, cancelled, rate, ETA while sending), and
 * `GET /api/messages/{id}/delivery/recipients`: each recipient's status, paged.
 */
import type { HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { CHANNEL_OF, isPushChannel } from '../../core/delivery.js';
import { decodeRecipientContinuation, getOccurrence, listDeliveries, listOccurrences } from '../../adapters/stores/deliveryStore.js';
import { occurrenceProgress } from '../../jobs/delivery/deliveryProgress.js';
import { existing } from './messageAccess.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { DeliveryReport, RecipientPage, RecipientParams } from './schemas/deliverySchemas.js';
import { MESSAGE_PARAMS } from './schemas/messageSchemas.js';

async function delivery(caller: Caller, id: string): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
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

async function recipients(caller: Caller, id: string, query: () => z.output<typeof RecipientParams>): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  const params = query();
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

route({
  name: 'messageDelivery',
  route: 'messages/{id}/delivery',
  tag: 'delivery',
  params: MESSAGE_PARAMS,
  method: 'GET',
  operationId: 'getMessageDelivery',
  summary: 'How far a message’s delivery has got',
  description:
    'Per occurrence (the first send, then each frequency resend) of a Teams or email message: recipients resolved, sent, ' +
    'failed, throttled, cancelled and pending, the rate and, while sending, an ETA. Inbox locations are pulled by devices: ' +
    '`pulled` is true and there are no occurrences.',
  role: 'delivery.read',
  response: { status: 200, description: 'The delivery report.', schema: DeliveryReport },
  problems: ['not-found'],
  handler: async ({ caller, params }) => delivery(caller, params.id),
});

route({
  name: 'messageDeliveryRecipients',
  route: 'messages/{id}/delivery/recipients',
  tag: 'delivery',
  params: MESSAGE_PARAMS,
  method: 'GET',
  operationId: 'listMessageRecipients',
  summary: 'Each recipient’s delivery status, paged',
  description: 'For one occurrence (default: the latest), optionally only one status; follow `continuation` for the next page.',
  role: 'delivery.read',
  query: RecipientParams,
  response: { status: 200, description: 'One page of recipients.', schema: RecipientPage },
  problems: ['validation', 'not-found'],
  handler: async ({ caller, params, query }) => recipients(caller, params.id, query),
});
