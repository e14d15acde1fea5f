/**
 * The stand-in's send quota: off until set; then at most `perMinute` accepted sends in each minute of the
 * host clock (so a test clock decides when the window opens again), and a count of the sends refused.
 */
export class SendQuota {
  perMinute: number | undefined;
  throttled = 0;
  #windowStart = 0;
  #used = 0;

  constructor(private readonly now: () => number) {}

  /** Takes one send from the quota; returns the seconds to wait (≥ 1) when none is left. */
  take(): number | undefined {
    if (this.perMinute === undefined) return undefined;
    const now = this.now();
    if (now - this.#windowStart >= 60_000) {
      this.#windowStart = now;
      this.#used = 0;
    }
    if (this.#used < this.perMinute) {
      this.#used++;
      return undefined;
    }
    this.throttled++;
    return Math.max(1, Math.ceil((this.#windowStart + 60_000 - now) / 1000));
  }

  set(perMinute: number | undefined): void {
    this.perMinute = perMinute;
    this.#windowStart = this.now();
    this.#used = 0;
  }

  reset(): void {
    this.set(undefined);
    this.throttled = 0;
  }
}
