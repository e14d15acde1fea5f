import { events, isoTime } from './history.js';
import { stableGuid } from './ids.js';
import { returnedValue, type EngineServices } from './services.js';
import type { TaskMessage } from './taskHubStore.js';

const HTTP_ACTIVITY = 'BuiltIn::HttpActivity';

interface DurableHttpRequest {
  method?: string;
  uri?: string;
  headers?: Record<string, string | string[]>;
  content?: string;
  tokenSource?: unknown;
}

/** Activity trigger data as the extension hands it over: the single argument, JSON text unless already a string. */
export function activityInput(scheduledInput: string | null | undefined): string | undefined {
  const args = scheduledInput ? (JSON.parse(scheduledInput) as unknown[]) : [];
  const arg = Array.isArray(args) ? args[0] : args;
  if (arg === null || arg === undefined) return undefined;
  return typeof arg === 'string' ? arg : JSON.stringify(arg);
}

/** Runs one activity work item (at least once, as on Azure) and returns the result message for its orchestration. */
export class ActivityRunner {
  constructor(private readonly s: EngineServices) {}

  async process(m: TaskMessage): Promise<TaskMessage> {
    const scheduled = m.event;
    const name = scheduled.Name ?? '';
    const id = scheduled.EventId;
    let outcome: { ok: true; result: string } | { ok: false; reason: string; details: string };
    if (name === HTTP_ACTIVITY) outcome = await this.#http(activityInput(scheduled.Input));
    else outcome = await this.#invoke(m, name);
    const at = isoTime(this.s.clock.now());
    const event = outcome.ok ? events.taskCompleted(at, id, outcome.result) : events.taskFailed(at, id, outcome.reason, outcome.details);
    return {
      messageId: stableGuid(m.instanceId, m.executionId, 'task-result', id),
      instanceId: m.instanceId,
      executionId: m.executionId,
      event,
    };
  }

  async #invoke(m: TaskMessage, name: string): Promise<{ ok: true; result: string } | { ok: false; reason: string; details: string }> {
    const target = this.s.findFunction('activityTrigger', name);
    if (!target) {
      const reason = `The function '${name}' doesn't exist, is disabled, or is not an activity function.`;
      return { ok: false, reason, details: JSON.stringify({ ClassName: 'System.ArgumentException', Message: reason }) };
    }
    const input = activityInput(m.event.Input);
    const result = await this.s.invoker.invoke(target.fn, {
      inputData: [{ name: target.triggerName, data: input === undefined ? {} : { string: input } }],
      triggerMetadata: { instanceId: { string: m.instanceId } },
    });
    let message: string;
    if (result.ok) {
      try {
        await this.s.invoker.writeOutputs(target.fn, result.response);
        return { ok: true, result: JSON.stringify(returnedValue(result.response.returnValue) ?? null) };
      } catch (error) {
        message = `writing output bindings failed: ${(error as Error).message}`;
        this.s.logger.error(message, { functionName: target.fn.metadata.name, invocationId: result.invocationId });
      }
    } else message = result.error.message;
    return {
      ok: false,
      reason: `Activity function '${target.fn.metadata.name}' failed: ${message}`,
      details: JSON.stringify({
        $type: 'System.Exception, System.Private.CoreLib',
        ClassName: 'System.Exception',
        Message: message,
        StackTraceString: result.ok ? null : (result.error.stack ?? null),
      }),
    };
  }

  /** `callHttp`: exactly one request per action; the SDK itself polls 202 + Location. */
  async #http(input: string | undefined): Promise<{ ok: true; result: string } | { ok: false; reason: string; details: string }> {
    try {
      const request = JSON.parse(input ?? '{}') as DurableHttpRequest;
      if (request.tokenSource) throw new Error('managed identity tokens (tokenSource) cannot be obtained locally');
      const headers = new Headers();
      for (const [k, v] of Object.entries(request.headers ?? {})) for (const value of Array.isArray(v) ? v : [v]) headers.append(k, value);
      const response = await fetch(String(request.uri), {
        method: request.method ?? 'GET',
        headers,
        body: request.content ?? undefined,
        redirect: 'manual',
      });
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, key) => (responseHeaders[key] = value));
      return {
        ok: true,
        result: JSON.stringify({ statusCode: response.status, content: await response.text(), headers: responseHeaders }),
      };
    } catch (error) {
      const message = (error as Error).message;
      return {
        ok: false,
        reason: `Activity function '${HTTP_ACTIVITY}' failed: ${message}`,
        details: JSON.stringify({ Message: message }),
      };
    }
  }
}
