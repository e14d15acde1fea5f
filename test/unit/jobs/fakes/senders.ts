/**
 * The providers in memory: each call recorded and answered by the test's script (what Teams, ACS or the
 * push services would say), and a rate limiter that keeps pauses on the fake real clock.
 */
import type { SendOutcome } from '../../../../core/delivery.js';
import type { OutgoingEmail } from '../../../../adapters/services/acsEmailSender.js';
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

export class FakeEmail {
  readonly sent: OutgoingEmail[] = [];
  constructor(private readonly script: (email: OutgoingEmail) => SendOutcome = () => SENT) {}

  sendEmail = async (_tenantId: string, email: OutgoingEmail) => {
    this.sent.push(email);
    return this.script(email);
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
