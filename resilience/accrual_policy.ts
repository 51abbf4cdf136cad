/**
 * Failure accrual policies (`client.failureAccrual.kind`), Finagle's `FailureAccrualPolicy`:
 * fed every classified outcome of one endpoint, a policy says when to mark it dead and for how
 * long (the next step of its backoff schedule); `revived()` resets history and backoff.
 *
 * | kind | marks dead when | params |
 * |---|---|---|
 * | `io.l5d.consecutiveFailures` (default, 5) | `failures` failures in a row | `failures` |
 * | `io.l5d.successRate` | EWMA success rate over ~`requests` requests < `successRate`, after at least `requests` requests | `successRate`, `requests` |
 * | `io.l5d.successRateWindowed` | EWMA success rate over ~`window` s < `successRate`, after at least `window` s since start/revival | `successRate`, `window` |
 * | `none` | never (accrual disabled) | |
 *
 * The windowed kind also needs at least 5 requests in its last window (Finagle's
 * `DefaultMinimumRequestThreshold`).
 *
 * Every kind takes an optional `backoff` (`constant` / `jittered`); the default is Finagle's
 * `equalJittered(5 s, 300 s)`.
 *
 * @example
 * ```ts
 * import { accrualPolicyFactory } from "./accrual_policy.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const newPolicy = accrualPolicyFactory(undefined, systemClock); // 5 consecutive failures
 * const policy = newPolicy!();
 * for (let i = 0; i < 4; i++) policy.markDeadOnFailure(); // undefined
 * policy.markDeadOnFailure(); // 5000: dead for 5 s
 * ```
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import { type Backoff, type BackoffConfig, backoffFromConfig, equalJittered } from "./backoff.ts";
import { Ema } from "./ema.ts";
import { WindowedAdder } from "./retry_budget.ts";

/** Decides when an endpoint is marked dead. One instance per endpoint. */
export interface AccrualPolicy {
  /** A request succeeded. */
  recordSuccess(): void;
  /**
   * A request failed.
   *
   * @returns ms to mark the endpoint dead for, or undefined to keep it
   */
  markDeadOnFailure(): number | undefined;
  /** The endpoint came back (a probe succeeded): reset history and backoff. */
  revived(): void;
}

/**
 * Makes a fresh policy for one endpoint ({@link accrualPolicyFactory}). `untilFailure`: a fresh
 * policy's `recordSuccess()` changes nothing (it counts failures in a row), so a node may make
 * its policy on its first failure and keep none while it only succeeds (issue 6: with 1000
 * services × 10 endpoints, 10 000 policies of endpoints that never failed were ~0.5 MB).
 */
export type AccrualPolicyFactory = (() => AccrualPolicy) & { readonly untilFailure?: boolean };

/** Linkerd's `failureAccrual` block. */
export type FailureAccrualConfig =
  | {
    readonly kind: "io.l5d.consecutiveFailures";
    readonly failures: number;
    readonly backoff?: BackoffConfig | undefined;
  }
  | {
    readonly kind: "io.l5d.successRate";
    readonly successRate: number;
    readonly requests: number;
    readonly backoff?: BackoffConfig | undefined;
  }
  | {
    readonly kind: "io.l5d.successRateWindowed";
    readonly successRate: number;
    /** Seconds. */
    readonly window: number;
    readonly backoff?: BackoffConfig | undefined;
  }
  | { readonly kind: "none" }
  | { readonly kind: "io.l5d.none" };

/**
 * Finagle's default accrual backoff: `equalJittered(5 s, 300 s)`.
 *
 * @param random uniform [0, 1) (use `clock.random`)
 * @returns a fresh schedule
 *
 * @example
 * ```ts
 * import { defaultAccrualBackoff } from "./accrual_policy.ts";
 * defaultAccrualBackoff(Math.random).ms; // 5000
 * ```
 */
export function defaultAccrualBackoff(random: () => number): Backoff {
  return equalJittered(5_000, 300_000, { random });
}

/**
 * Mark dead after `failures` consecutive failures.
 *
 * @param failures threshold (≥ 1)
 * @param backoff dead-time schedule
 * @returns a fresh policy
 *
 * @example
 * ```ts
 * import { consecutiveFailures, defaultAccrualBackoff } from "./accrual_policy.ts";
 * const p = consecutiveFailures(5, defaultAccrualBackoff(Math.random));
 * ```
 */
export function consecutiveFailures(failures: number, backoff: Backoff): AccrualPolicy {
  return new ConsecutiveFailures(failures, backoff);
}

/** One object per endpoint, no closures (the default policy of every endpoint, issue 6). */
class ConsecutiveFailures implements AccrualPolicy {
  #run = 0;
  #next: Backoff;
  readonly #failures: number;
  readonly #backoff: Backoff;

  constructor(failures: number, backoff: Backoff) {
    this.#failures = failures;
    this.#backoff = this.#next = backoff;
  }

  recordSuccess(): void {
    this.#run = 0;
  }

  markDeadOnFailure(): number | undefined {
    this.#run++;
    if (this.#run < this.#failures) return undefined;
    const ms = this.#next.ms;
    this.#next = this.#next.next();
    return ms;
  }

  revived(): void {
    this.#run = 0;
    this.#next = this.#backoff;
  }
}

/** How the windowed policy counts requests (absent: every request is enough, as `successRate`). */
interface RequestCount {
  /** One more request (success or failure). */
  add(): void;
  /** Whether enough requests were seen lately to judge. */
  sufficient(): boolean;
  /** Forget them (revival). */
  reset(): void;
}

function successRatePolicy(
  required: number,
  window: number,
  backoff: Backoff,
  stamp: () => number,
  resetStamp: () => void,
  count?: RequestCount,
): AccrualPolicy {
  if (!(required >= 0 && required <= 1)) throw new RangeError(`successRate must be in [0, 1]`);
  if (!(window > 0)) throw new RangeError(`window must be positive`);
  const sr = new Ema(window);
  let next = backoff;
  return {
    recordSuccess() {
      count?.add();
      sr.update(stamp(), 1);
    },
    markDeadOnFailure() {
      count?.add();
      const s = stamp();
      const rate = sr.update(s, 0);
      if (s < window || rate >= required || !(count?.sufficient() ?? true)) return undefined;
      const ms = next.ms;
      next = next.next();
      return ms;
    },
    revived() {
      next = backoff;
      resetStamp();
      count?.reset();
      sr.reset();
    },
  };
}

/** Options of {@link successRate}. */
export interface SuccessRateOptions {
  /** Required success rate in [0, 1]. */
  readonly successRate: number;
  /** Window, in requests. */
  readonly requests: number;
  /** Dead-time schedule. */
  readonly backoff: Backoff;
}

/**
 * Mark dead when the EWMA success rate over about `requests` requests drops below
 * `successRate` (only once `requests` requests were seen).
 *
 * @param opts rate, window and backoff
 * @returns a fresh policy
 * @throws {RangeError} when `successRate` is outside [0, 1] or `requests` ≤ 0
 *
 * @example
 * ```ts
 * import { successRate } from "./accrual_policy.ts";
 * import { constantBackoff } from "./backoff.ts";
 * const p = successRate({ successRate: 0.9, requests: 100, backoff: constantBackoff(5000) });
 * ```
 */
export function successRate(opts: SuccessRateOptions): AccrualPolicy {
  let n = 0;
  return successRatePolicy(opts.successRate, opts.requests, opts.backoff, () => ++n, () => (n = 0));
}

/** Options of {@link successRateWindowed}. */
export interface SuccessRateWindowedOptions {
  /** Required success rate in [0, 1]. */
  readonly successRate: number;
  /** Window, ms (Linkerd's `window` is in seconds). */
  readonly windowMs: number;
  /** Dead-time schedule. */
  readonly backoff: Backoff;
  /** Time source. */
  readonly clock: Clock;
}

/**
 * Finagle's `FailureAccrualPolicy.DefaultMinimumRequestThreshold`: the windowed policy judges
 * only with at least this many requests in its window (Linkerd's `successRateWindowed` keeps it).
 */
export const WINDOWED_MIN_REQUESTS = 5;

/**
 * Mark dead when the EWMA success rate over about `windowMs` drops below `successRate` (only
 * once `windowMs` passed since creation or revival, and with at least
 * {@link WINDOWED_MIN_REQUESTS} requests in the last window: Finagle's
 * `successRateWithinDuration`, its request count a 5-slice `WindowedAdder` over `windowMs`).
 *
 * @param opts rate, window, backoff and clock
 * @returns a fresh policy
 * @throws {RangeError} when `successRate` is outside [0, 1] or `windowMs` ≤ 0
 *
 * @example
 * ```ts
 * import { successRateWindowed } from "./accrual_policy.ts";
 * import { constantBackoff } from "./backoff.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const p = successRateWindowed({
 *   successRate: 0.9,
 *   windowMs: 30_000,
 *   backoff: constantBackoff(5000),
 *   clock: systemClock,
 * });
 * ```
 */
export function successRateWindowed(opts: SuccessRateWindowedOptions): AccrualPolicy {
  const { clock } = opts;
  let start = clock.mono();
  const requests = new WindowedAdder(opts.windowMs, 5, () => clock.mono());
  return successRatePolicy(
    opts.successRate,
    opts.windowMs,
    opts.backoff,
    () => clock.mono() - start,
    () => (start = clock.mono()),
    {
      add: () => requests.add(1),
      sufficient: () => requests.sum() >= WINDOWED_MIN_REQUESTS,
      reset: () => requests.reset(),
    },
  );
}

/**
 * A policy factory for a config block (one policy per endpoint).
 *
 * @param config the `failureAccrual` block; undefined = Linkerd's default (5 consecutive)
 * @param clock time and randomness for windows and jittered backoffs
 * @returns a factory, or null for `kind: none` (accrual disabled, zero cost); for
 *   `io.l5d.consecutiveFailures` it is `untilFailure` (see {@link AccrualPolicyFactory})
 *
 * @example
 * ```ts
 * import { accrualPolicyFactory } from "./accrual_policy.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const newPolicy = accrualPolicyFactory({ kind: "io.l5d.consecutiveFailures", failures: 5 }, systemClock);
 * ```
 */
export function accrualPolicyFactory(
  config: FailureAccrualConfig | undefined,
  clock: Clock,
): AccrualPolicyFactory | null {
  const random = () => clock.random();
  const c: FailureAccrualConfig = config ?? { kind: "io.l5d.consecutiveFailures", failures: 5 };
  if (c.kind === "none" || c.kind === "io.l5d.none") return null;
  const cfg = c.backoff;
  // One schedule for every policy the factory makes: a schedule is immutable (`next()` gives the
  // rest of it, each policy keeps its own position) and its first wait is fixed, so a client's
  // endpoints share its head instead of one object each (issue 6: 10 000 with 1000 × 10).
  const head = backoffFromConfig(cfg, random, defaultAccrualBackoff(random));
  const backoff = () => head;
  switch (c.kind) {
    case "io.l5d.consecutiveFailures":
      return Object.assign(() => consecutiveFailures(c.failures, backoff()), {
        untilFailure: true,
      });
    case "io.l5d.successRate":
      return () =>
        successRate({ successRate: c.successRate, requests: c.requests, backoff: backoff() });
    case "io.l5d.successRateWindowed":
      return () =>
        successRateWindowed({
          successRate: c.successRate,
          windowMs: c.window * 1000,
          backoff: backoff(),
          clock,
        });
  }
}
