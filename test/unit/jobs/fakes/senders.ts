/**
 * The providers in memory: each call recorded and answered by the test's script (what Teams, ACS or the
 * push services would say), and a rate limiter that keeps pauses on the fake real clock.
 */
import type { SendOutcome } from '../../../../core/delivery.js';
import type { OutgoingEmail, StatusOutcome, SubmitOutcome } from '../../../../adapters/services/acsEmailSender.js';
import type { PushContent, PushOutcome, PushTarget } from '../../../../adapters/services/pushProviders.js';
import type { TeamsNotification } from '../../../../adapters/services/teamsNotifier.js';
import type { DeliveryPorts } from '../../../../jobs/delivery/deliveryPorts.js';
import type { FakeClock } from './clock.js';

type Limiter = DeliveryPorts['limiter'];

export const SENT: SendOutcome = { status: 'sent' };

export class FakeTeams {
  readonly calls: { userIds: string[]; notification: TeamsNotification }[] = [];
  constructor(private readonly script: (call: number, userIds: string[]) => SendOutcome | Promise<SendOutcome> = () => SENT) {}

  sendTeamsBulk = async (_tenantId: string, userIds: string[], notification: TeamsNotification) => {
    this.calls.push({ userIds: [...userIds], notification });
    return this.script(this.calls.length, userIds);
  };

  /** Everyone a request went to, once per request. */
  get recipients(): string[] {
    return this.calls.flatMap((c) => c.userIds);
  }
}

/**
 * ACS in memory. The script says how a send ends: `sent`, or a failure ACS answers at acceptance (a refused
 * request, a 429). `endsAs` (per operation id) makes ACS accept a send and end it otherwise — Failed after
 * acceptance, as a suppressed address does — and `runningPolls` keeps each send Running for that many
 * polls. Posts of an Operation-Id ACS has are the same operation, as ACS's are: not a second email.
 */
export class FakeEmail {
  readonly sent: OutgoingEmail[] = [];
  readonly polls: string[] = [];
  readonly #operations = new Map<string, { end: SendOutcome; polls: number }>();
  runningPolls = 0;
  /** Status requests go unanswered while set: the host died while its worker was confirming. */
  stalled = false;
  endsAs: (email: OutgoingEmail) => SendOutcome | undefined = () => undefined;
  constructor(private readonly script: (email: OutgoingEmail) => SendOutcome = () => SENT) {}

  submitEmail = async (_tenantId: string, email: OutgoingEmail): Promise<SubmitOutcome> => {
    if (this.#operations.has(email.operationId)) return { status: 'accepted' };
    this.sent.push(email);
    const outcome = this.script(email);
    if (outcome.status !== 'sent') return outcome;
    this.#operations.set(email.operationId, { end: this.endsAs(email) ?? SENT, polls: 0 });
    return { status: 'accepted' };
  };

  emailStatus = async (_tenantId: string, operationId: string): Promise<StatusOutcome> => {
    this.polls.push(operationId);
    if (this.stalled) return new Promise<StatusOutcome>(() => undefined);
    const operation = this.#operations.get(operationId);
    if (!operation) return { status: 'unknown' };
    if (++operation.polls <= this.runningPolls) return { status: 'running', retryAfterMs: 1000 };
    return operation.end;
  };
}

export class FakePush {
  readonly calls: { content: PushContent; targets: PushTarget[] }[] = [];
  constructor(private readonly script: (target: PushTarget) => PushOutcome = () => SENT) {}

  sendPush = async (content: PushContent, targets: readonly PushTarget[]) => {
    this.calls.push({ content, targets: [...targets] });
    return new Map(targets.map((t) => [t.id, this.script(t)]));
  };
}

/**
 * The channel limiter with no rate of its own: only the providers' pauses. A wait within `maxWaitMs` is
 * spent (the fake real clock moves on) and the call goes; a longer one is returned, as RateLimiter does.
 */
export class FakeLimiter implements Limiter {
  readonly #pausedUntil = new Map<string, number>();
  constructor(private readonly clock: FakeClock) {}

  async acquire(key: string, maxWaitMs: number): Promise<number> {
    const wait = (this.#pausedUntil.get(key) ?? 0) - this.clock.real;
    if (wait <= 0) return 0;
    if (wait > maxWaitMs) return wait;
    this.clock.advance(wait);
    return 0;
  }

  pause(key: string, ms: number): void {
    this.#pausedUntil.set(key, Math.max(this.#pausedUntil.get(key) ?? 0, this.clock.real + ms));
  }
}
