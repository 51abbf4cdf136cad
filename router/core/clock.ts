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

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  mono: () => performance.now(),
  setTimer(ms, fn) {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
  random: Math.random,
};
