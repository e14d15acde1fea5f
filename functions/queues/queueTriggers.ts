/**
 * Queue triggers registered under the hops of `core/hops.ts`: the queue's name and its poison queue come
 * from the handle, and each message is checked against the handle's schema before a job sees it.
 */
import { app, output, type InvocationContext, type StorageQueueOutput } from '@azure/functions';
import * as df from 'durable-functions';
import type { QueueHop } from '../../core/hops.js';

const CONNECTION = 'AzureWebJobsStorage';
type Log = (line: string) => void;
const logOf =
  (context: InvocationContext): Log =>
  (line) =>
    context.log(line);

/** A job on `hop`'s queue (or, with `poison`, on its poison queue). */
export function onQueue<T>(name: string, hop: QueueHop<T>, handler: (body: T, log: Log) => Promise<void>, poison = false) {
  app.storageQueue(name, {
    queueName: poison ? hop.poison : hop.name,
    connection: CONNECTION,
    handler: (body: unknown, context) => handler(hop.schema.parse(body), logOf(context)),
  });
}

/**
 * Queues a message through the invocation's queue output binding for `hop`: written when the invocation
 * succeeds and, unlike `enqueue`'s, announced to this host's listener on that queue, which polls at once
 * instead of waiting out its back-off (docs/decisions/hand-offs.md).
 */
export type HandOn = <T>(hop: QueueHop<T>, body: T) => void;

/**
 * The same, for a job that also talks to Durable orchestrations (raises their events); `handsOn` names the
 * queues it may hand messages on to through output bindings.
 */
export function onQueueWithClient<T>(
  name: string,
  hop: QueueHop<T>,
  handler: (body: T, client: df.DurableClient, log: Log, handOn: HandOn) => Promise<void>,
  poison = false,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- hops of any payload; `handOn` checks each message against its own
  handsOn: QueueHop<any>[] = [],
) {
  const outputs = new Map<string, StorageQueueOutput>(
    handsOn.map((h) => [h.name, output.storageQueue({ queueName: h.name, connection: CONNECTION })]),
  );
  df.app.client.storageQueue(name, {
    queueName: poison ? hop.poison : hop.name,
    connection: CONNECTION,
    extraOutputs: [...outputs.values()],
    handler: async (body: unknown, client, context) => {
      const pending = new Map<StorageQueueOutput, unknown[]>();
      const handOn: HandOn = (to, message) => {
        const out = outputs.get(to.name);
        if (!out) throw new Error(`${name}: no output binding for queue '${to.name}'`);
        pending.set(out, [...(pending.get(out) ?? []), to.schema.parse(message)]);
      };
      await handler(hop.schema.parse(body), client, logOf(context), handOn);
      for (const [out, messages] of pending) context.extraOutputs.set(out, messages);
    },
  });
}
