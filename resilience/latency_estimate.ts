/**
 * A "typical latency" estimate for one logical service: the moving average of attempt
 * latencies over roughly the last `window` attempts (an {@link Ema} stamped by attempt count).
 * `retries` feeds one by default and will not start a retry when the time left before
 * `ctx.deadline` is shorter than `estimateMs()`: such a retry would only add load and then
 * time out anyway.
 *
 * @example
 * ```ts
 * import { LatencyEstimate } from "./latency_estimate.ts";
 * const est = new LatencyEstimate();
 * est.observe(20);
 * est.estimateMs(); // 20
 * ```
 *
 * @module
 */
import { Ema } from "./ema.ts";

/** Moving average of observed attempt latencies. */
export class LatencyEstimate {
  readonly #ema: Ema;
  #n = 0;

  /** @param window attempts the average roughly spans (default 32) */
  constructor(window = 32) {
    this.#ema = new Ema(window);
  }

  /** Record one attempt's latency. */
  observe(ms: number): void {
    this.#ema.update(++this.#n, ms);
  }

  /**
   * The typical latency.
   *
   * @returns ms; 0 before any observation (then only the deadline itself gates a retry)
   */
  estimateMs(): number {
    return this.#ema.last;
  }
}
