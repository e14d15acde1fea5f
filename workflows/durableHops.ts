/**
 * The Durable edges of the hops declared in `core/hops.ts`: registering an orchestration or activity under
 * its handle, calling an activity, waiting for or raising an event, starting an orchestration. Taking the
 * handle rather than a name keeps each payload's type checked at both ends.
 */
import * as df from 'durable-functions';
import type { ActivityHandler, DurableClient, OrchestrationContext, OrchestrationHandler, RetryOptions, Task } from 'durable-functions';
import type { ActivityHop, EventHop, OrchestrationHop } from '../core/hops.js';

export const registerOrchestration = <In, Out>(hop: OrchestrationHop<In, Out>, handler: OrchestrationHandler) =>
  df.app.orchestration(hop.name, handler);

export const registerActivity = <In, Out>(
  hop: ActivityHop<In, Out>,
  handler: (input: In, context: Parameters<ActivityHandler>[1]) => Promise<Out>,
) => df.app.activity(hop.name, { handler: handler as ActivityHandler });

export const callActivity = <In, Out>(ctx: OrchestrationContext, hop: ActivityHop<In, Out>, input: In, retry?: RetryOptions): Task =>
  retry ? ctx.df.callActivityWithRetry(hop.name, retry, input) : ctx.df.callActivity(hop.name, input);

export const waitForEvent = <T>(ctx: OrchestrationContext, hop: EventHop<T>): Task => ctx.df.waitForExternalEvent(hop.name);

export const raiseEvent = <T>(client: DurableClient, instanceId: string, hop: EventHop<T>, payload: T) =>
  client.raiseEvent(instanceId, hop.name, payload);

export const startOrchestration = <In, Out>(client: DurableClient, hop: OrchestrationHop<In, Out>, instanceId: string, input: In) =>
  client.startNew(hop.name, { instanceId, input });
