/**
 * The push stand-in's control API, JSON without auth on the host's HTTP port under `/devhost/push/_control/`:
 *   GET  received[?platform=fcm|apns][&token=t]  what was accepted, in arrival order
 *   GET  counts                                  per platform: received, rejected, unregistered, throttled; dead tokens
 *   GET  dead                                    the tokens marked dead
 *   POST dead {"platform","token"}               that token answers unregistered from now on (FCM 404, APNs 410)
 *   GET  throttling                              the throttling settings
 *   PUT  throttling {"fcm"?: {...}|null, "apns"?: {...}|null}   429 for that platform's sends (see throttle.ts)
 *   POST reset                                   forgets what was received, dead tokens, throttling and counts
 *   GET  connection                              what a client needs: port, CA, service account, APNs key
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { problem, readBody, write, type Answer } from './http.js';
import type { PushConnection } from './material.js';
import { PLATFORMS, type Platform, type PushStore } from './store.js';
import type { Throttling } from './throttle.js';

export const CONTROL_PATH = '/devhost/push/_control';

export interface PlatformCounts {
  rejected: number;
  unregistered: number;
}

export interface ControlState {
  store: PushStore;
  throttling: Throttling;
  counts: Record<Platform, PlatformCounts>;
  /** Undefined until the TLS port listens. */
  connection: () => PushConnection | undefined;
  /** The host clock (epoch ms). */
  now: () => number;
}

const PlatformName = z.enum(['fcm', 'apns']);
const DeadBody = z.object({ platform: PlatformName, token: z.string().min(1) }).strict();
const Setting = z.object({ retryAfterSeconds: z.number().int().min(0), times: z.number().int().min(1).optional() }).strict();
const ThrottlingBody = z
  .object({
    fcm: Setting.nullable().optional(),
    apns: Setting.extend({ reason: z.enum(['TooManyRequests', 'TooManyProviderTokenUpdates']).optional() })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();

const json = (body: unknown, status = 200): Answer => ({ status, body });

/** APNs device tokens are hex, kept in lower case; FCM tokens are compared as given. */
export const normalToken = (platform: Platform, token: string): string => (platform === 'apns' ? token.toLowerCase() : token);

async function parsed<T>(req: IncomingMessage, schema: z.ZodType<T>, example: string): Promise<T | Answer> {
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8'));
  } catch {
    return problem(400, 'Bad Request', `the body must be JSON like ${example}`);
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
  return problem(400, 'Bad Request', `${detail} (expected JSON like ${example})`);
}

const isAnswer = (value: unknown): value is Answer =>
  typeof value === 'object' && value !== null && 'status' in value && typeof value.status === 'number';

async function answer(req: IncomingMessage, url: URL, state: ControlState): Promise<Answer> {
  const what = url.pathname.slice(CONTROL_PATH.length + 1);
  const { store, throttling, counts } = state;
  switch (`${req.method} ${what}`) {
    case 'GET received': {
      const platform = url.searchParams.get('platform');
      if (platform && !PLATFORMS.includes(platform as Platform)) return problem(400, 'Bad Request', 'platform must be fcm or apns');
      const token = url.searchParams.get('token');
      const notifications = store.received({ platform }).filter((n) => !token || n.token === normalToken(n.platform, token));
      return json({ notifications });
    }
    case 'GET counts': {
      const per = (p: Platform) => ({ received: store.count(p), ...counts[p], throttled: throttling.throttled[p] });
      return json({ fcm: per('fcm'), apns: per('apns'), dead: store.allDead().length });
    }
    case 'GET dead':
      return json({ dead: store.allDead() });
    case 'POST dead': {
      const body = await parsed(req, DeadBody, '{"platform": "fcm", "token": "…"}');
      if (isAnswer(body)) return body;
      return json(store.markDead(body.platform, normalToken(body.platform, body.token), state.now()));
    }
    case 'GET throttling':
      return json(throttling.settings());
    case 'PUT throttling': {
      const body = await parsed(req, ThrottlingBody, '{"fcm": {"retryAfterSeconds": 30}, "apns": null}');
      if (isAnswer(body)) return body;
      for (const platform of PLATFORMS) if (body[platform] !== undefined) throttling.set(platform, body[platform]);
      return json(throttling.settings());
    }
    case 'POST reset':
      store.clear();
      throttling.reset();
      for (const platform of PLATFORMS) Object.assign(counts[platform], { rejected: 0, unregistered: 0 } satisfies PlatformCounts);
      return { status: 204 };
    case 'GET connection': {
      const connection = state.connection();
      return connection ? json(connection) : problem(503, 'Service Unavailable', 'the push stand-in is not listening yet');
    }
    default:
      return problem(404, 'Not Found', `no push stand-in control endpoint ${req.method} ${url.pathname}`);
  }
}

export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, state: ControlState): Promise<void> {
  write(res, await answer(req, url, state));
}
