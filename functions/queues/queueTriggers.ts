/**
 * Queue triggers registered under the hops of `core/hops.ts`: the queue's name and its poison queue come
 * from the handle, and each message is checked against the handle's schema before a job sees it.
 */
import { app, type InvocationContext } from '@azure/functions';
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

/** The same, for a job that also talks to Durable orchestrations (raises their events). */
export function onQueueWithClient<T>(
  name: string,
  hop: QueueHop<T>,
  handler: (body: T, client: df.DurableClient, log: Log) => Promise<void>,
  poison = false,
) {
  df.app.client.storageQueue(name, {
    queueName: poison ? hop.poison : hop.name,
    connection: CONNECTION,
    handler: (body: unknown, client, context) => handler(hop.schema.parse(body), client, logOf(context)),
  });
}
