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

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  mono: () => performance.now(),
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
