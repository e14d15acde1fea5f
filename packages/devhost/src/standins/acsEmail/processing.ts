/**
 * How long a send reads Running. The stand-in decides a send when it accepts it, so by default the first
 * poll already tells how it ended, as a quick ACS's does: a send costs the POST and one GET, which the SDK's
 * `beginSend` makes itself. A test can make every send read Running for its first n polls, as a busy ACS's
 * does, to see a sender wait the poller out.
 */
export class Processing {
  runningPolls = 0;
  /** Polls answered per operation, while `runningPolls` is set (it is a test's setting, for a few sends). */
  readonly #polls = new Map<string, number>();

  /** Counts a poll of the operation; true when it still reads Running. */
  stillRunning(id: string): boolean {
    if (this.runningPolls === 0) return false;
    const polls = (this.#polls.get(id) ?? 0) + 1;
    this.#polls.set(id, polls);
    return polls <= this.runningPolls;
  }

  set(runningPolls: number): void {
    this.runningPolls = runningPolls;
    this.#polls.clear();
  }
}
