/**
 * Backoff schedules, as Finagle's immutable `Backoff` streams: `ms` is the current wait and
 * `next()` the rest of the schedule, so a retry loop or a failure-accrual policy keeps its own
 * position and `revived()` restarts from the head.
 *
 * - `constantBackoff(ms)`: Linkerd `backoff: {kind: constant, ms}`; `ms` defaults to 0 =
 *   retry immediately (Linkerd's retries default, `Backoff.const(0)`).
 * - `decorrelatedJittered(minMs, maxMs)`: Linkerd `backoff: {kind: jittered, minMs, maxMs}`,
 *   AWS "decorrelated jitter" as Finagle's `Backoff.decorrelatedJittered`: the first wait is
 *   `minMs`, then each wait is uniform in `[prev, min(3 × prev, maxMs))`, settling at `maxMs`.
 * - `equalJittered(startMs, maxMs)`: Finagle's `Backoff.equalJittered`, failure accrual's
 *   default (5 s–300 s): first `startMs`, then attempt n (from 1) waits `h + uniform[0, h)` with
 *   `h = min(startMs × 2ⁿ⁻¹, maxMs)`, settling at `maxMs` (5 s, 5–10 s, 10–20 s, …).
 *
 * Randomness comes from the injected `random` (use `clock.random`), so tests are exact.
 *
 * @example
 * ```ts
 * import { decorrelatedJittered } from "./backoff.ts";
 * let b = decorrelatedJittered(100, 1000, { random: Math.random });
 * const waits: number[] = [];
 * for (let i = 0; i < 5; i++, b = b.next()) waits.push(b.ms); // 100, then 100..300, ...
 * ```
 *
 * @module
 */

/** One position in an immutable backoff schedule. */
export interface Backoff {
  /** The wait at this position, ms. */
  readonly ms: number;
  /** The schedule after this wait. */
  next(): Backoff;
}

/** Where a jittered schedule draws its randomness (use `clock.random`). */
export interface JitterOptions {
  /** Uniform [0, 1). */
  readonly random: () => number;
}

/** Linkerd's backoff config block (`kind: constant | jittered`). */
export type BackoffConfig =
  | { readonly kind: "constant"; readonly ms?: number | undefined }
  | { readonly kind: "jittered"; readonly minMs: number; readonly maxMs: number };

class Const implements Backoff {
  constructor(readonly ms: number) {}
  next(): Backoff {
    return this;
  }
}

const IMMEDIATE = new Const(0);

/**
 * A constant schedule.
 *
 * @param ms the wait (default 0: immediate)
 * @returns a schedule whose every wait is `ms`
 *
 * @example
 * ```ts
 * import { constantBackoff } from "./backoff.ts";
 * constantBackoff(100).next().ms; // 100
 * ```
 */
export function constantBackoff(ms = 0): Backoff {
  return ms === 0 ? IMMEDIATE : new Const(Math.max(0, ms));
}

class Decorrelated implements Backoff {
  constructor(
    readonly ms: number,
    private readonly max: number,
    private readonly random: () => number,
  ) {}
  next(): Backoff {
    const start = this.ms;
    const upper = start >= this.max / 3 ? this.max : start * 3;
    const range = Math.abs(upper - start);
    const next = range === 0 ? start : start + Math.floor(this.random() * range);
    return next >= this.max ? new Const(this.max) : new Decorrelated(next, this.max, this.random);
  }
}

/**
 * AWS decorrelated jitter (Finagle `Backoff.decorrelatedJittered`).
 *
 * @param minMs first wait (> 0)
 * @param maxMs cap (≥ minMs)
 * @param opts the random source
 * @returns the schedule
 * @throws {RangeError} when `minMs <= 0` or `maxMs < minMs`
 *
 * @example
 * ```ts
 * import { decorrelatedJittered } from "./backoff.ts";
 * const b = decorrelatedJittered(100, 1000, { random: () => 0.5 });
 * [b.ms, b.next().ms]; // [100, 200]
 * ```
 */
export function decorrelatedJittered(minMs: number, maxMs: number, opts: JitterOptions): Backoff {
  check(minMs, maxMs);
  return minMs === maxMs ? new Const(minMs) : new Decorrelated(minMs, maxMs, opts.random);
}

class EqualJittered implements Backoff {
  constructor(
    readonly ms: number,
    private readonly start: number,
    private readonly max: number,
    private readonly attempt: number,
    private readonly random: () => number,
  ) {}
  next(): Backoff {
    const shift = 2 ** Math.min(this.attempt - 1, 62);
    const halfExp = this.start >= this.max / shift ? this.max : this.start * shift;
    const jitter = Math.floor(this.random() * halfExp);
    if (halfExp === this.max || halfExp >= this.max - jitter) return new Const(this.max);
    return new EqualJittered(halfExp + jitter, this.start, this.max, this.attempt + 1, this.random);
  }
}

/**
 * Exponential backoff with equal jitter (Finagle `Backoff.equalJittered`).
 *
 * @param startMs first wait (> 0)
 * @param maxMs cap (≥ startMs)
 * @param opts the random source
 * @returns the schedule
 * @throws {RangeError} when `startMs <= 0` or `maxMs < startMs`
 *
 * @example
 * ```ts
 * import { equalJittered } from "./backoff.ts";
 * const b = equalJittered(5000, 300_000, { random: () => 0.5 });
 * [b.ms, b.next().ms]; // [5000, 7500]
 * ```
 */
export function equalJittered(startMs: number, maxMs: number, opts: JitterOptions): Backoff {
  check(startMs, maxMs);
  return startMs === maxMs
    ? new Const(startMs)
    : new EqualJittered(startMs, startMs, maxMs, 1, opts.random);
}

/**
 * Build a schedule from Linkerd's config block.
 *
 * @param config the `backoff` block, or undefined
 * @param random uniform [0, 1) (use `clock.random`)
 * @param fallback the schedule when `config` is undefined
 * @returns the schedule
 * @throws {RangeError} for invalid jittered bounds
 *
 * @example
 * ```ts
 * import { backoffFromConfig, constantBackoff } from "./backoff.ts";
 * const b = backoffFromConfig(
 *   { kind: "jittered", minMs: 10, maxMs: 100 },
 *   Math.random,
 *   constantBackoff(0),
 * );
 * ```
 */
export function backoffFromConfig(
  config: BackoffConfig | undefined,
  random: () => number,
  fallback: Backoff,
): Backoff {
  if (!config) return fallback;
  if (config.kind === "constant") return constantBackoff(config.ms ?? 0);
  return decorrelatedJittered(config.minMs, config.maxMs, { random });
}

function check(min: number, max: number): void {
  if (!(min > 0) || !(max >= min) || !Number.isFinite(max)) {
    throw new RangeError(`backoff needs 0 < min <= max, got ${min}..${max}`);
  }
}
