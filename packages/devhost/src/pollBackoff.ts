/**
 * A queue poller's pacing: exponential back-off between empty polls, cut short by `poke()` (someone wrote to
 * the queue, or a test asks for idle). A poke during a poll makes the next poll immediate, because the poll
 * under way may have started before the message arrived.
 */
export class PollBackoff {
  #delay: number;
  #poked = false;
  #wake: (() => void) | undefined;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.#delay = minMs;
  }

  /** Call as a poll starts. */
  polling(): void {
    this.#poked = false;
  }

  /** A poke came after the current poll started: its empty answer proves nothing. */
  get pokedSincePoll(): boolean {
    return this.#poked;
  }

  /** The poll found messages: the next one comes at once. */
  found(): void {
    this.#delay = this.minMs;
  }

  /** The poll found nothing: wait out the back-off (doubling it), unless poked since the poll started. */
  async empty(): Promise<void> {
    if (this.#poked) return;
    await this.sleep(this.#delay);
    this.#delay = Math.min(this.maxMs, this.#delay * 2);
  }

  poke(): void {
    this.#poked = true;
    this.#delay = this.minMs;
    this.wake();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(handle);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const handle = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  wake(): void {
    this.#wake?.();
  }
}
