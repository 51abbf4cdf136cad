/**
 * Folder-private test helpers: bounded waits on Vars and a minimal fake clock. Tests only.
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import type { Var } from "../router/core/var.ts";

/**
 * Resolve with the Var's value once `pred` holds (checking the current value first); reject
 * after `ms`. Leaves no timer or subscription behind.
 */
export function waitFor<T>(
  v: Var<T>,
  pred: (value: T) => boolean,
  ms = 3000,
  what = "condition",
): Promise<T> {
  const now = v.get();
  if (pred(now)) return Promise.resolve(now);
  return new Promise<T>((resolve, reject) => {
    let off = (): void => {};
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(v.get())}`),
      );
    }, ms);
    const check = (value: T): void => {
      if (!pred(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    };
    off = v.subscribe(check);
    check(v.get()); // it may have changed while the timer was being set up
  });
}

/** A fake clock whose timers fire only from `advance`. */
export interface FakeClock extends Clock {
  /** Move time forward, firing due timers in order. */
  advance(ms: number): void;
  /** Timers not yet fired or cancelled. */
  pending(): number;
}

/** Make a FakeClock starting at `start` ms. */
export function fakeClock(start = 1_700_000_000_000): FakeClock {
  let t = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => t,
    mono: () => t - start,
    random: () => 0.5,
    setTimer(ms, fn) {
      const id = ++seq;
      timers.set(id, { at: t + ms, fn });
      return () => timers.delete(id);
    },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const e of timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
        if (!next) break;
        timers.delete(next[0]);
        t = next[1].at;
        next[1].fn();
      }
      t = end;
    },
    pending: () => timers.size,
  };
}
