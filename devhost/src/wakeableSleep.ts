/** A sleep that can be cut short: pollers back off with it and wake at once when told there is work. */
export class WakeableSleep {
  #wake: (() => void) | undefined;

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
