/**
 * Time and randomness behind one interface, so balancers, accrual, budgets and backoffs can be
 * tested exactly with a fake clock (tests/support/fake_clock.ts).
 *
 * @module
 */

/** A clock: wall time in ms, monotonic time in ms, timers and a random source. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds (performance.now()). */
  mono(): number;
  /** A timer; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
  /** Uniform [0, 1). */
  random(): number;
}

/** `setTimeout`'s limit: a longer delay (2^31 ms ≈ 24.8 days) fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What `systemClock.mono()` answers inside {@link holdMono}'s extent; NaN outside one. */
let held = NaN;

/**
 * Make `systemClock.mono()` answer `at` until {@link restoreMono}: a listener holds its arrival
 * reading over the synchronous part of routing a request, so the levels below it that start a
 * timing there (client and endpoint stats, the connection pool's idle check) take that reading
 * instead of one each (issue 6: seven `performance.now()` a proxied request, ~90 ns each). The
 * timings they start move earlier by the few microseconds of routing in between. Call
 * {@link restoreMono} with the result in a `finally`: nothing that runs later (after an `await`)
 * sees the held reading.
 *
 * @param at a reading of `systemClock.mono()` just taken
 * @returns what to restore (an enclosing hold, or NaN)
 * @example
 * ```ts
 * import { holdMono, restoreMono, systemClock } from "./clock.ts";
 * const t0 = systemClock.mono();
 * const prev = holdMono(t0);
 * try {
 *   systemClock.mono() === t0; // true
 * } finally {
 *   restoreMono(prev);
 * }
 * ```
 */
export function holdMono(at: number): number {
  const prev = held;
  held = at;
  return prev;
}

/**
 * End a {@link holdMono} extent.
 *
 * @param prev what `holdMono` returned
 */
export function restoreMono(prev: number): void {
  held = prev;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  mono: () => held === held ? held : performance.now(),
  setTimer(ms, fn) {
    if (!(ms > MAX_TIMER_MS)) {
      const id = setTimeout(fn, ms);
      return () => clearTimeout(id);
    }
    // A far deadline (grpc-timeout allows 99999999H): never, or a chain of maximal timers.
    if (ms === Infinity) return () => {};
    let left = ms;
    let id: ReturnType<typeof setTimeout>;
    const arm = () => {
      const step = Math.min(left, MAX_TIMER_MS);
      left -= step;
      id = setTimeout(left > 0 ? arm : fn, step);
    };
    arm();
    return () => clearTimeout(id);
  },
  random: Math.random,
};
