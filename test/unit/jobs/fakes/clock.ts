/** The app clock and real time, both under the test's hand. */
import type { Clock } from '../../../../jobs/delivery/deliveryPorts.js';

export class FakeClock implements Clock {
  constructor(
    public app = Date.parse('2026-03-02T09:00:00Z'),
    public real = 1_000_000_000_000,
  ) {}

  now = () => this.app;
  realNow = () => this.real;

  /** Time passes for both. */
  advance(ms: number) {
    this.app += ms;
    this.real += ms;
  }
}
