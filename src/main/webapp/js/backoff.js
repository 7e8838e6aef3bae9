/**
 * How long to wait before the next reconnect attempt after a failure that came with no
 * instructions (a dropped connection, a refused handshake, close 1013).
 *
 * Exponential with "equal jitter": the n-th delay is drawn uniformly from
 * [ceiling / 2, ceiling] where ceiling = min(capMs, baseMs * 2^n). The jitter keeps a crowd of
 * clients that lost the same server from coming back in step; the lower half-bound keeps a
 * client from ever retrying in a tight loop; the cap keeps it from giving up in practice.
 *
 * Pure: the random source is injected, nothing here touches timers or the network.
 */
export class Backoff {
  #baseMs;
  #capMs;
  #random;
  #attempt = 0;

  /**
   * @param {{baseMs?: number, capMs?: number, random?: () => number}} [options]
   */
  constructor({ baseMs = 500, capMs = 30_000, random = Math.random } = {}) {
    if (!(baseMs > 0) || !(capMs >= baseMs)) {
      throw new RangeError(`need 0 < baseMs <= capMs, got baseMs=${baseMs} capMs=${capMs}`);
    }
    this.#baseMs = baseMs;
    this.#capMs = capMs;
    this.#random = random;
  }

  /** Failed attempts since the last {@link reset}. */
  get attempts() {
    return this.#attempt;
  }

  /** The upper bound of the next delay, before jitter. */
  get ceiling() {
    // 2^n overflows to Infinity long after it passed the cap; min() keeps it finite.
    return Math.min(this.#capMs, this.#baseMs * 2 ** this.#attempt);
  }

  /** The delay before the next attempt, in whole milliseconds; counts one more attempt. */
  next() {
    const ceiling = this.ceiling;
    const r = Math.min(Math.max(Number(this.#random()) || 0, 0), 1);
    this.#attempt++;
    return Math.round(ceiling / 2 + r * (ceiling / 2));
  }

  /** A connection got through: the next failure starts again from the base delay. */
  reset() {
    this.#attempt = 0;
  }
}
