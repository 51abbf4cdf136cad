/**
 * Retry budgets (`service.retries.budget`, and the client's `requeueBudget`), with Finagle's
 * `RetryBudget` semantics so retries can never amplify load into a storm:
 *
 * - every request **deposits** 1 unit, every retry **withdraws** `1 / percentCanRetry` units
 *   (fixed point: deposit 1000, withdraw `floor(1000 / percentCanRetry)`);
 * - the tokens live in a leaky bucket over a sliding `ttlSecs` window (Finagle's
 *   `TokenBucket.newLeakyBucket` on a 10-slice `WindowedAdder`): deposits and withdrawals
 *   expire after the window;
 * - a fixed **reserve** of `minRetriesPerSec × ttlSecs` retries lets low-traffic services
 *   retry at all.
 *
 * So over any window, retries ≤ `percentCanRetry × requests + minRetriesPerSec × ttlSecs`.
 * Defaults are Linkerd's: `percentCanRetry` 0.2, `minRetriesPerSec` 10, `ttlSecs` 10.
 * `balance()` (retries available now) is the `retries/budget` gauge.
 *
 * One budget per logical service (path stack), owned by the router snapshot — never global.
 *
 * @example
 * ```ts
 * import { RetryBudget } from "./retry_budget.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const budget = new RetryBudget({}, systemClock);
 * budget.balance(); // 100: the reserve, 10/s × 10 s
 * budget.deposit();
 * budget.tryWithdraw(); // true
 * ```
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";

/** Linkerd's `budget` block. */
export interface RetryBudgetConfig {
  /** Retries allowed per request, on top of the reserve (0 to 1000; default 0.2). */
  readonly percentCanRetry?: number | undefined;
  /** Reserve of retries per second for low traffic (default 10). */
  readonly minRetriesPerSec?: number | undefined;
  /** Deposit lifetime in seconds (1 to 60; default 10). */
  readonly ttlSecs?: number | undefined;
}

const SCALE = 1000;
const SLICES = 10;

/**
 * A time-windowed sum: the current slice plus `slices - 1` older ones (Finagle's
 * `WindowedAdder`, same slice arithmetic, single-threaded).
 *
 * @example
 * ```ts
 * import { WindowedAdder } from "./retry_budget.ts";
 * const adder = new WindowedAdder(10_000, 10, () => performance.now());
 * adder.add(3);
 * adder.sum(); // 3
 * ```
 */
export class WindowedAdder {
  // What `add` touches comes first (fields are laid out in this order: issue 6).
  /**
   * When the current slice began, in whole ms (a small integer: a fractional one was a boxed
   * number, read from its own cache line on every `add`, and a new box at each slice). Slices
   * then begin up to 1 ms early, against windows of seconds.
   */
  #old: number;
  #writer = 0;
  readonly #window: number;
  readonly #now: () => number;
  readonly #buf: number[];
  #i = 0;

  /**
   * @param rangeMs the window length
   * @param slices number of slices (> 1)
   * @param now monotonic ms
   */
  constructor(rangeMs: number, slices: number, now: () => number) {
    if (!(slices > 1)) throw new RangeError("slices must be > 1");
    this.#window = rangeMs / slices;
    this.#buf = new Array<number>(slices - 1).fill(0);
    this.#now = now;
    this.#old = Math.floor(now());
  }

  /**
   * Add `x` to the current slice.
   *
   * @param x the amount
   * @param at the current monotonic time when the caller has it (saves a clock read)
   */
  add(x: number, at?: number): void {
    const now = at === undefined || at !== at ? this.#now() : at;
    if (now - this.#old >= this.#window) this.#expire();
    this.#writer += x;
  }

  /** The sum over the window. */
  sum(): number {
    if (this.#now() - this.#old >= this.#window) this.#expire();
    let s = this.#writer;
    for (const v of this.#buf) s += v;
    return s;
  }

  /** Forget everything added so far (Finagle's `WindowedAdder.reset`). */
  reset(): void {
    this.#buf.fill(0);
    this.#writer = 0;
    this.#old = Math.floor(this.#now());
  }

  #expire(): void {
    const n = this.#buf.length;
    this.#buf[this.#i] = this.#writer;
    this.#writer = 0;
    this.#i = (this.#i + 1) % n;
    const now = Math.floor(this.#now());
    const skip = Math.min(Math.floor((now - this.#old) / this.#window) - 1, n);
    for (let k = 0; k < skip; k++) {
      this.#buf[this.#i] = 0;
      this.#i = (this.#i + 1) % n;
    }
    this.#old = now;
  }
}

/**
 * A retry budget: deposit per request, withdraw per retry. It is the `WindowedAdder` of its
 * tokens (Finagle's composes one): one object, so that a deposit, made on every request, touches
 * one object's cache lines, not two (issue 6: with 1000 services, each a miss).
 *
 * @example
 * ```ts
 * import { RetryBudget } from "./retry_budget.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const budget = new RetryBudget({ percentCanRetry: 0.2, minRetriesPerSec: 10, ttlSecs: 10 }, systemClock);
 * budget.deposit();
 * const mayRetry = budget.tryWithdraw();
 * ```
 */
export class RetryBudget extends WindowedAdder {
  readonly #deposit: number;
  readonly #withdraw: number;
  readonly #reserve: number;
  /** The effective config, defaults applied. */
  readonly config: Required<{ [K in keyof RetryBudgetConfig]: number }>;

  /**
   * @param config Linkerd's budget block (defaults 0.2 / 10 / 10 s)
   * @param clock monotonic time source
   * @throws {RangeError} for out-of-range values (Finagle's bounds)
   */
  constructor(config: RetryBudgetConfig, clock: Clock) {
    const percent = config.percentCanRetry ?? 0.2;
    const minPerSec = config.minRetriesPerSec ?? 10;
    const ttlSecs = config.ttlSecs ?? 10;
    if (!(percent >= 0 && percent <= SCALE)) {
      throw new RangeError(`percentCanRetry must be in [0, ${SCALE}]: ${percent}`);
    }
    if (!(minPerSec >= 0)) throw new RangeError(`minRetriesPerSec must be >= 0: ${minPerSec}`);
    if (!(ttlSecs >= 1 && ttlSecs <= 60)) {
      throw new RangeError(`ttlSecs must be in [1, 60]: ${ttlSecs}`);
    }
    super(ttlSecs * 1000, SLICES, () => clock.mono());
    this.config = { percentCanRetry: percent, minRetriesPerSec: minPerSec, ttlSecs };
    this.#deposit = percent === 0 ? 0 : SCALE;
    this.#withdraw = percent === 0 ? 1 : Math.floor(SCALE / percent);
    this.#reserve = minPerSec * ttlSecs * this.#withdraw;
  }

  /**
   * Credit one request.
   *
   * @param at the request's monotonic arrival time when known (`ctx.startMono`; NaN or absent:
   *   the clock is read)
   */
  deposit(at?: number): void {
    if (this.#deposit !== 0) this.add(this.#deposit, at);
  }

  /**
   * Whether {@link tryWithdraw} would grant a retry now, without taking it.
   *
   * @returns true when the balance covers one withdrawal
   */
  canWithdraw(): boolean {
    return this.sum() + this.#reserve >= this.#withdraw;
  }

  /**
   * Take one retry if the budget allows.
   *
   * @returns true when the retry may go ahead
   */
  tryWithdraw(): boolean {
    if (this.sum() + this.#reserve < this.#withdraw) return false;
    this.add(-this.#withdraw);
    return true;
  }

  /**
   * Retries available right now (the `retries/budget` gauge).
   *
   * @returns a whole number ≥ 0
   */
  balance(): number {
    return Math.max(0, Math.floor((this.sum() + this.#reserve) / this.#withdraw));
  }
}
