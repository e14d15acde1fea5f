/**
 * A service Herald depends on did not answer (down, overloaded, unreachable): nothing is wrong with the
 * request, and asking again later may work. The HTTP edge answers it 503 with Retry-After, never 500.
 */
export class Unavailable extends Error {
  constructor(
    /** The service, as a person reading the answer knows it. */
    readonly service: string,
    readonly retryAfterSeconds: number,
    reason: string,
  ) {
    super(`${service} is unavailable: ${reason}`);
  }
}
