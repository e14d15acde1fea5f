/**
 * The Durable edges of the hops declared in `core/hops.ts`: registering an orchestration or activity under
 * its handle, calling an activity, waiting for or raising an event, starting an orchestration. Taking the
 * handle rather than a name keeps each payload's type checked at both ends.
 */
import * as df from 'durable-functions';
import type { ActivityHandler, DurableClient, OrchestrationContext, OrchestrationHandler, RetryOptions, Task } from 'durable-functions';
import type { ActivityHop, EventHop, OrchestrationHop, QueueHop } from '../core/hops.js';
import { queueOutput } from '../adapters/runtime/queueOutput.js';

export const registerOrchestration = <In, Out>(hop: OrchestrationHop<In, Out>, handler: OrchestrationHandler) =>
  df.app.orchestration(hop.name, handler);

export const registerActivity = <In, Out>(
  hop: ActivityHop<In, Out>,
  handler: (input: In, context: Parameters<ActivityHandler>[1]) => Promise<Out>,
) => df.app.activity(hop.name, { handler: handler as ActivityHandler });

/**
 * An activity that hands messages on to `to` through a queue output binding: the host writes them when the
 * activity returns (only if it succeeded) and tells its own listener on that queue, which polls at once
 * instead of waiting out its back-off, as an SDK write would (docs/decisions/hand-offs.md).
 */
export function registerActivityHandingOn<In, Out, T>(
  hop: ActivityHop<In, Out>,
  to: QueueHop<T>,
  handler: (input: In, context: Parameters<ActivityHandler>[1], handOn: (message: T) => void) => Promise<Out>,
) {
  const queue = queueOutput(to);
  df.app.activity(hop.name, {
    extraOutputs: [queue],
    handler: async (input: unknown, context) => {
      const messages: T[] = [];
      const result = await handler(input as In, context, (message) => messages.push(to.schema.parse(message)));
      if (messages.length > 0) context.extraOutputs.set(queue, messages);
      return result;
    },
  });
}

export const callActivity = <In, Out>(ctx: OrchestrationContext, hop: ActivityHop<In, Out>, input: In, retry?: RetryOptions): Task =>
  retry ? ctx.df.callActivityWithRetry(hop.name, retry, input) : ctx.df.callActivity(hop.name, input);

export const waitForEvent = <T>(ctx: OrchestrationContext, hop: EventHop<T>): Task => ctx.df.waitForExternalEvent(hop.name);

export const raiseEvent = <T>(client: DurableClient, instanceId: string, hop: EventHop<T>, payload: T) =>
  client.raiseEvent(instanceId, hop.name, payload);

export const startOrchestration = <In, Out>(client: DurableClient, hop: OrchestrationHop<In, Out>, instanceId: string, input: In) =>
  client.startNew(hop.name, { instanceId, input });
