/**
 * An exponentially weighted moving average over irregular stamps (Finagle's `util.Ema`): a
 * sample at stamp `t` after the previous one at `t0` weighs `1 - exp(-(t - t0) / window)`.
 * Stamps may be times (ms) or counters (request numbers). Used by the success-rate accrual
 * policies, the aperture balancer's load band and the retries latency estimate.
 *
 * @example
 * ```ts
 * import { Ema } from "./ema.ts";
 * const sr = new Ema(10);
 * sr.update(1, 1); // 1
 * sr.update(2, 0); // ≈ 0.905
 * ```
 *
 * @module
 */

/** A moving average with a window in stamp units. */
export class Ema {
  readonly #window: number;
  #time = -Infinity;
  #ema = 0;

  /** @param window the time constant, in the unit of the stamps (> 0; 0 = no memory) */
  constructor(window: number) {
    this.#window = window;
  }

  /** True before the first sample (or after `reset`). */
  get isEmpty(): boolean {
    return this.#time === -Infinity;
  }

  /** The current average (0 when empty). */
  get last(): number {
    return this.#ema;
  }

  /**
   * Add a sample.
   *
   * @param stamp non-decreasing stamp
   * @param x the sample
   * @returns the new average
   */
  update(stamp: number, x: number): number {
    if (this.#time === -Infinity) {
      this.#time = stamp;
      this.#ema = x;
      return x;
    }
    const td = Math.max(0, stamp - this.#time);
    this.#time = Math.max(this.#time, stamp);
    const w = this.#window === 0 ? 0 : Math.exp(-td / this.#window);
    this.#ema = x * (1 - w) + this.#ema * w;
    return this.#ema;
  }

  /** Forget everything. */
  reset(): void {
    this.#time = -Infinity;
    this.#ema = 0;
  }
}
